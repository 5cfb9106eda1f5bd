import type { BlobStore } from './blob-store';
import type { SyncResult } from './apply-types';
import type { PreparedSync, SyncPlan } from './plan-types';
import type { StatIdentity } from './sync-state';

export const MiB = 1024 * 1024;
/** Up to this size a file is read, written and hashed in one piece, synchronously: a stream would cost more than the data. */
export const SMALL_FILE_BYTES = 256 * 1024;

/** What one upload or download of applySync works with. */
export interface TransferContext {
  plan: SyncPlan;
  prepared: PreparedSync;
  store: BlobStore;
  /** Aborted by the caller's signal or by the first failed transfer. */
  signal: AbortSignal;
  /** Counts transferred bytes towards the progress events. */
  onBytes: (bytes: number) => void;
  /** Filled in as files are transferred. */
  result: SyncResult;
  fsync: boolean;
  resumeThreshold: number;
}

/** Same size, mtime and inode: the content is taken to be the one that was planned (or read). */
export function sameContentStat(a: StatIdentity, b: StatIdentity): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;
}
