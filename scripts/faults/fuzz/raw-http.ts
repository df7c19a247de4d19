/**
 * HTTP/1.1 spoken by hand over a socket, so a request can be malformed in ways fetch and node:http refuse to
 * send (a content-length that lies, two of them, bytes that are not UTF-8, a body cut short, a method nobody
 * knows). One connection per request (`connection: close`), so a broken request cannot spoil the next one.
 */
import { connect } from 'node:net';

export interface FuzzRequest {
  /** "<family>: <detail>", e.g. "body field: seq NaN": the family groups the report, the detail reads a finding. */
  label: string;
  method: string;
  /** The request target exactly as sent: path and query, malformed on purpose when the case says so. */
  target: string;
  /** Sent in this order (a name may repeat); content-length is added from the body unless `asFramed`. */
  headers: [string, string][];
  body?: string | Buffer;
  /** The headers say how the body is framed (or deliberately do not): add no content-length. */
  asFramed?: boolean;
  /** Ends our side after writing, so a body shorter than its content-length is truncated rather than slow. */
  halfClose?: boolean;
}

export type Answer = { status: number; text: string } | { status: 'connection error'; text: string };

export interface Origin {
  host: string;
  port: number;
}

export function originOf(baseUrl: string): Origin {
  const url = new URL(baseUrl);
  return { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
}

/** The bytes of the request: request line, headers and body. */
export function requestBytes(request: FuzzRequest, origin: Origin): Buffer {
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : (request.body ?? Buffer.alloc(0));
  const headers: [string, string][] = [
    ['host', `${origin.host}:${origin.port}`],
    ['connection', 'close'],
    ...request.headers,
  ];
  if (!request.asFramed && request.body !== undefined) headers.push(['content-length', String(body.length)]);
  const head = `${request.method} ${request.target} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * Sends the request and reads the answer. A connection closed or reset before an answer arrived, or no answer
 * within `timeoutMs`, is a 'connection error': what the fuzz suite counts as a dropped connection.
 */
export function exchange(origin: Origin, request: FuzzRequest, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect(origin.port, origin.host);
    const chunks: Buffer[] = [];
    let failure: string | undefined;
    let settled = false;
    const settle = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(
      () =>
        settle(
          parseAnswer(Buffer.concat(chunks)) ?? {
            status: 'connection error',
            text: `no answer within ${timeoutMs} ms${partial(chunks)}`,
          },
        ),
      timeoutMs,
    );
    socket.on('connect', () => {
      socket.write(requestBytes(request, origin));
      if (request.halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const answer = parseAnswer(Buffer.concat(chunks));
      if (answer?.complete) settle(answer);
    });
    // an error while we still write (EPIPE, ECONNRESET) is fine if the answer came before it: judged at close
    socket.on('error', (error: NodeJS.ErrnoException) => (failure ??= error.code ?? error.message));
    socket.on('close', () => {
      // once the head has come, the close ends the answer (a HEAD, or a body delimited by the close)
      const answer = parseAnswer(Buffer.concat(chunks));
      settle(
        answer ?? { status: 'connection error', text: `${failure ?? 'closed'} before an answer${partial(chunks)}` },
      );
    });
  });
}

const partial = (chunks: Buffer[]) =>
  chunks.length > 0 ? `; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}` : '';

/** The final (non-1xx) answer in `bytes`, and whether all of its body has arrived. */
function parseAnswer(bytes: Buffer): { status: number; text: string; complete: boolean } | undefined {
  let rest = bytes.toString('latin1');
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = rest.slice(0, end);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    if (!Number.isInteger(status)) return undefined;
    rest = rest.slice(end + 4);
    // "100 Continue" and the like come before the real answer
    if (status >= 100 && status < 200) continue;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    const complete = length !== undefined && Buffer.byteLength(rest, 'latin1') >= Number(length);
    return { status, text: Buffer.from(rest, 'latin1').toString('utf8'), complete };
  }
}
