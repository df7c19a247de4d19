export {
  SeqWindows,
  admitSeq,
  emptyWindow,
  type SeqWindowState,
  type Verdict as BoundedWindowVerdict,
} from './seq-window.js';
export { luaInclude } from './lua-path.js';
export { advancePostgresFence, peekPostgresFence, readPostgresFence, type PartitionFence } from './postgres-fence.js';
export { admitWrites, pruneSeqArchive, type SourcedWrite } from './postgres-seq-windows.js';
export { BLOCK_SEQS, type Verdict } from './archived-window.js';
