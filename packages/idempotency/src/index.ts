export { admitSeq, emptyWindow, type SeqWindowState } from './seq-window.js';
export {
  advancePostgresFence,
  advancePostgresFences,
  peekPostgresFence,
  readPostgresFence,
  readPostgresFences,
  type PartitionFence,
} from './postgres-fence.js';
export { admitWrites, pruneSeqArchive, type SourcedWrite } from './postgres-seq-windows.js';
export { BLOCK_SEQS, type Verdict } from './archived-window.js';
export { offsetFenceMigrations, seqWindowMigrations, type IdempotencyMigrations } from './migrations.js';
