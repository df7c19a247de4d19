/**
 * A small parser of a text/event-stream body (the part of the EventSource spec live reads use): fields
 * `event`, `data` (lines joined by "\n") and `retry`; comments (":...") and `id` are ignored. A blank line ends an
 * event; an event without data is not dispatched. Lines end in LF, CRLF or CR, and may be split across chunks.
 */
export interface SseHandlers {
  onEvent(type: string, data: string): void;
  /** The server's reconnection delay in milliseconds. */
  onRetry(ms: number): void;
}

export class SseParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];
  /** A chunk ended in CR: a LF starting the next one belongs to the same line end. */
  private skipLf = false;

  constructor(private readonly handlers: SseHandlers) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLf = text.endsWith('\r');
    this.buffer += text;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    // the last piece has no line end yet
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) this.handlers.onRetry(Number(value));
  }

  private dispatch(): void {
    const [type, data] = [this.type || 'message', this.data];
    this.type = '';
    this.data = [];
    if (data.length > 0) this.handlers.onEvent(type, data.join('\n'));
  }
}
