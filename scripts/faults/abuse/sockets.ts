/**
 * Clients that misbehave at the socket: one request with its answer's head (raw bytes, from any loopback address,
 * so a second "client" can be told apart from the first), a connection opened and left idle, one whose headers
 * or body trickle in a byte at a time. Each says what the gateway did: answered (status, how long it took),
 * closed it (after how long), or nothing yet.
 */
import { connect, type Socket } from 'node:net';
import type { Origin } from '../fuzz/raw-http.js';

/**
 * The gateway closed the connection while the client was still sending (a body or headers past a limit), and
 * the reset reached the client before the answer did: refused, but the client was not told why. Not a dropped
 * connection of a request the gateway read (that is 'connection error').
 */
export const RESET_WHILE_SENDING = 'reset while still sending';

export interface RawAnswer {
  status: number | 'connection error' | typeof RESET_WHILE_SENDING;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
  ms: number;
}

export interface RawRequestOptions {
  /** The local address to connect from (127.0.0.2 is another client to the gateway). */
  from?: string;
  timeoutMs?: number;
}

/**
 * Writes `bytes` (a whole request, or its start) and reads the answer: its head and as much body as its
 * content-length says. No answer before the close or the timeout is a 'connection error'.
 */
export function rawRequest(
  origin: Origin,
  bytes: Buffer | Buffer[],
  options: RawRequestOptions = {},
): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({
      port: origin.port,
      host: origin.host,
      ...(options.from ? { localAddress: options.from } : {}),
    });
    const chunks: Buffer[] = [];
    let failure: string | undefined;
    let settled = false;
    const settle = (answer: Omit<RawAnswer, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...answer, ms: Date.now() - started });
    };
    const timeoutMs = options.timeoutMs ?? 15_000;
    const timer = setTimeout(
      () =>
        settle(
          parseHead(Buffer.concat(chunks)) ?? {
            status: 'connection error',
            headers: {},
            body: `no answer within ${timeoutMs} ms`,
          },
        ),
      timeoutMs,
    );
    // the gateway may answer (413, 431) and close before it has read all of a large request: a client still
    // sending then gets a reset (EPIPE, ECONNRESET), which may come before the answer is read
    let sending = true;
    socket.on('connect', () =>
      socket.write(Buffer.concat(Array.isArray(bytes) ? bytes : [bytes]), () => (sending = false)),
    );
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const answer = parseHead(Buffer.concat(chunks));
      if (answer?.complete) settle(answer);
    });
    // an error while writing (EPIPE, ECONNRESET) is fine if the answer came before it: judged at close
    socket.on('error', (error: NodeJS.ErrnoException) => (failure ??= error.code ?? error.message));
    socket.on('close', () =>
      settle(
        parseHead(Buffer.concat(chunks)) ??
          (sending && (failure === 'EPIPE' || failure === 'ECONNRESET')
            ? {
                status: RESET_WHILE_SENDING,
                headers: {},
                body: `${failure} while the request was still being sent, before an answer was read`,
              }
            : { status: 'connection error', headers: {}, body: `${failure ?? 'closed'} before an answer` }),
      ),
    );
  });
}

/** The final answer's status, headers and body so far, and whether all of the body has come. */
function parseHead(bytes: Buffer): (Omit<RawAnswer, 'ms'> & { complete: boolean }) | undefined {
  let rest = bytes.toString('latin1');
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const lines = rest.slice(0, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
    if (!Number.isInteger(status)) return undefined;
    rest = rest.slice(end + 4);
    if (status >= 100 && status < 200) continue;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = headers['content-length'];
    const complete = length !== undefined && Buffer.byteLength(rest, 'latin1') >= Number(length);
    return { status, headers, body: Buffer.from(rest, 'latin1').toString('utf8'), complete };
  }
}

/** A request's bytes: the request line, Host, `headers` in order, then `body` (content-length added unless framed). */
export function requestOf(
  origin: Origin,
  method: string,
  target: string,
  headers: [string, string][] = [],
  body?: Buffer | string,
  framed = false,
): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const all: [string, string][] = [['host', `${origin.host}:${origin.port}`], ['connection', 'close'], ...headers];
  if (payload && !framed) all.push(['content-length', String(payload.length)]);
  const head = `${method} ${target} HTTP/1.1\r\n${all.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : Buffer.from(head, 'latin1');
}

/** What a held connection saw: the gateway's first bytes (an answer), and when it closed, from the connect. */
export interface Held {
  socket: Socket;
  connectedAtMs: number;
  /** The status of an answer the gateway sent on it, if any. */
  answer(): number | undefined;
  /** Ms from the connect to the gateway's close; undefined while open. */
  closedAfterMs(): number | undefined;
  /** Resolves once connected (or failed to). */
  ready: Promise<boolean>;
  /** Resolves when it closes, or after `ms` (then with false). */
  closed(ms: number): Promise<boolean>;
  destroy(): void;
}

/** Opens a connection and, once connected, calls `onConnect` (to send something, or nothing: an idle one). */
export function hold(origin: Origin, onConnect: (socket: Socket) => void = () => undefined): Held {
  const socket = connect(origin.port, origin.host);
  const startedAt = Date.now();
  let connectedAtMs = startedAt;
  let firstBytes = '';
  let closedAt: number | undefined;
  let destroyedHere = false;
  const closedPromise = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    if (firstBytes.length < 64) firstBytes += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  socket.once('close', () => {
    if (!destroyedHere) closedAt = Date.now();
  });
  const ready = new Promise<boolean>((resolve) => {
    socket.once('connect', () => {
      connectedAtMs = Date.now();
      onConnect(socket);
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  return {
    socket,
    get connectedAtMs() {
      return connectedAtMs;
    },
    answer: () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(firstBytes)?.[1]);
      return Number.isInteger(status) ? status : undefined;
    },
    closedAfterMs: () => (closedAt === undefined ? undefined : closedAt - connectedAtMs),
    ready,
    closed: (ms) =>
      Promise.race([
        closedPromise.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
      ]),
    destroy: () => {
      destroyedHere = true;
      socket.destroy();
    },
  };
}

/** Writes `text` one byte every `intervalMs` until the socket closes or the text ends (then starts over). */
export function trickle(socket: Socket, text: string, intervalMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable) return clearInterval(timer);
    socket.write(text[i % text.length]!);
    i++;
  }, intervalMs);
  socket.once('close', () => clearInterval(timer));
}
