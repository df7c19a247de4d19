/**
 * How due writes travel: those that may go to the same batch route go together (up to the route's item limit
 * and a byte budget), in the order they were made; a write alone, or one with no batch route (a wallet write
 * that waits for its outcome, a queue's settings), goes to its single route.
 */
import { MAX_BATCH_ITEMS } from './generated/contract.js';
import type { PendingWrite } from './outbox.js';

export interface Request {
  method: 'POST' | 'PUT';
  path: string;
  body: string;
  writes: PendingWrite[];
  batched: boolean;
}

export function planRequests(due: PendingWrite[], limits: { batching: boolean; maxBytes: number }): Request[] {
  const requests: Request[] = [];
  const open = new Map<string, { writes: PendingWrite[]; items: string[]; bytes: number }>();
  const flush = (url: string) => {
    const group = open.get(url);
    open.delete(url);
    if (!group) return;
    if (group.writes.length === 1) return requests.push(single(group.writes[0]!));
    requests.push({
      method: 'POST',
      path: url,
      body: `{"items":[${group.items.join(',')}]}`,
      writes: group.writes,
      batched: true,
    });
  };
  for (const write of due) {
    if (!limits.batching || !write.batch) {
      requests.push(single(write));
      continue;
    }
    const item = JSON.stringify(write.batch.item);
    const group = open.get(write.batch.url);
    if (group && (group.writes.length >= MAX_BATCH_ITEMS || group.bytes + item.length + 1 > limits.maxBytes))
      flush(write.batch.url);
    const current = open.get(write.batch.url) ?? { writes: [], items: [], bytes: 12 };
    current.writes.push(write);
    current.items.push(item);
    current.bytes += item.length + 1;
    open.set(write.batch.url, current);
  }
  for (const url of [...open.keys()]) flush(url);
  return requests;
}

const single = (write: PendingWrite): Request => ({
  method: write.method,
  path: write.path,
  body: JSON.stringify(write.body),
  writes: [write],
  batched: false,
});
