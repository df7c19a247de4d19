import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

function parse(...chunks: string[]) {
  const events: [string, string][] = [];
  const retries: number[] = [];
  const parser = new SseParser({
    onEvent: (type, data) => events.push([type, data]),
    onRetry: (ms) => retries.push(ms),
  });
  for (const chunk of chunks) parser.push(chunk);
  return { events, retries };
}

describe('SseParser', () => {
  it('dispatches an event at a blank line, `message` when it names no type', () => {
    expect(parse('event: state\ndata: {"a":1}\n\ndata: plain\n\n').events).toEqual([
      ['state', '{"a":1}'],
      ['message', 'plain'],
    ]);
  });

  it('joins data lines with newlines and keeps a value without the space after the colon', () => {
    expect(parse('data: one\ndata:two\ndata\n\n').events).toEqual([['message', 'one\ntwo\n']]);
  });

  it('ignores comments and ids, and an event without data', () => {
    expect(parse(': keep-alive\n\nid: 7\nevent: state\n\nevent: x\ndata: y\n\n').events).toEqual([['x', 'y']]);
  });

  it('reads the retry delay when it is a number of milliseconds', () => {
    expect(parse('retry: 5000\n\nretry: soon\n\n').retries).toEqual([5000]);
  });

  it('takes lines ending in LF, CRLF or CR, split anywhere across chunks', () => {
    const text = 'event: state\r\ndata: a\rdata: b\n\r\nevent: next\ndata: c\r\n\r\n';
    const whole = parse(text).events;
    expect(whole).toEqual([
      ['state', 'a\nb'],
      ['next', 'c'],
    ]);
    for (let cut = 1; cut < text.length; cut++)
      expect(parse(text.slice(0, cut), text.slice(cut)).events).toEqual(whole);
    expect(parse(...text).events).toEqual(whole);
  });

  it('waits for the end of a line before reading it', () => {
    expect(parse('data: not yet').events).toEqual([]);
    expect(parse('data: now\n', '\n').events).toEqual([['message', 'now']]);
  });
});
