import { fileURLToPath } from 'node:url';

/**
 * The tables this package reads and writes, created by its own migrations: a service that uses the offset fence
 * or the seq windows lists the set with its own (@tally/storage's migrate, one run per set). Each set keeps its
 * history in a table of its own, so its files never interleave with a service's, whose timestamps are its own.
 */
export interface IdempotencyMigrations {
  dir: string;
  table: string;
}

const dirOf = (set: string) => fileURLToPath(new URL(`../migrations/${set}`, import.meta.url));

/** applied_offsets: for readPostgresFence, peekPostgresFence and advancePostgresFence. */
export const offsetFenceMigrations: IdempotencyMigrations = {
  dir: dirOf('offset-fence'),
  table: 'pgmigrations_offset_fence',
};

/** seq_windows and seq_window_blocks: for admitWrites and pruneSeqArchive. */
export const seqWindowMigrations: IdempotencyMigrations = {
  dir: dirOf('seq-windows'),
  table: 'pgmigrations_seq_windows',
};
