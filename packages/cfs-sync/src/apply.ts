import { setMaxListeners } from 'node:events';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { createProgressReporter, type ProgressReporter } from './apply-progress';
import type { ApplyOptions, SyncEvent, SyncResult } from './apply-types';
import { confineDirectory, makeDirectoryInside } from './confine';
import { downloadFile } from './download-file';
import {
  BlobNotFoundError,
  ChecksumMismatchError,
  ConflictRefusedError,
  LocalFileUnreadableError,
  RemoteChangedError,
  abortError,
} from './errors';
import { readRegularFileIfPresent, replaceFileSync } from './no-follow';
import { MARKER_FILE, localPath } from './paths';
import { preparedSync } from './plan';
import { REMOTE_CHANGED_REASON } from './plan-decide';
import type { PreparedSync, SyncPlan, SyncPlanEntry } from './plan-types';
import { checkSyncRoot } from './symlink-policy';
import { MiB, type TransferContext } from './transfer-context';
import { uploadFile } from './upload-file';

export type { ApplyOptions, SyncEvent, SyncResult } from './apply-types';
export { downloadVerified } from './download-file';

const LARGE_FILE_BYTES = 4 * MiB;
const LARGE_FILE_CONCURRENCY = 4;

/**
 * Carries out a plan from planSync(): creates directories and `.cfs` markers,
 * uploads (blob first, then the metadata record) and downloads (to a temporary
 * file in the target directory, verified against the checksum, then renamed
 * into place) with a bounded pool of parallel transfers. Nothing is ever
 * deleted remotely; a local file is only replaced by a verified download, and
 * a local edit that loses a conflict is kept as `<name>.pollinator-conflict-<time>`.
 */
export async function applySync(plan: SyncPlan, options: ApplyOptions): Promise<SyncResult> {
  const started = performance.now();
  const prepared = preparedSync(plan);
  refuseUnsafePlan(plan);

  const transfers = plan.entries.filter(
    (entry) => entry.action === 'upload' || entry.action === 'download' || entry.action === 'conflict',
  );
  const result: SyncResult = {
    dir: plan.dir,
    label: plan.label,
    uploaded: 0,
    downloaded: 0,
    unchanged: 0,
    ignored: plan.summary.ignored.files,
    bytesUploaded: 0,
    bytesDownloaded: 0,
    backups: [],
    skipped: plan.entries.filter((entry) => entry.action === 'invalid-remote').map((entry) => ({ path: entry.path, reason: entry.reason })),
    partial: false,
    durationMs: 0,
  };
  const emit = options.onEvent ?? (() => undefined);
  const bytesTotal = transfers.reduce((sum, entry) => sum + entry.size, 0);
  emit({ type: 'sync-start', dir: plan.dir, label: plan.label, files: transfers.length, bytes: bytesTotal });
  const progress = createProgressReporter({ emit, filesTotal: transfers.length, bytesTotal, intervalMs: options.progressIntervalMs ?? 100, started });

  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one listener per transfer in flight
  const outer = options.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) throw abortError(outer);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    await prepareDirectories(plan, prepared);
    result.unchanged = recordUnchanged(plan, prepared);
    const context: TransferContext = {
      plan,
      prepared,
      store: options.store,
      signal: controller.signal,
      onBytes: (bytes) => progress.onBytes(bytes),
      result,
      fsync: options.fsync ?? false,
      resumeThreshold: options.resumeThreshold ?? 8 * MiB,
    };
    await transferAll(transfers, context, { controller, outer, emit, progress, concurrency: options.concurrency ?? 32 });
    progress.flush();
    result.partial = result.skipped.length > 0;
    result.durationMs = performance.now() - started;
    emit({ type: 'sync-done', result });
    return result;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    await prepared.state.save();
  }
}

/**
 * The plans applySync refuses before anything is written or uploaded: local
 * files it cannot read (LocalFileUnreadableError), local copies that would
 * replace remote revisions changed since the last sync, unless the plan was
 * forced (RemoteChangedError), and conflicts the remote side would win
 * without a backup (ConflictRefusedError).
 */
function refuseUnsafePlan(plan: SyncPlan): void {
  const unreadable = plan.entries.filter((entry) => entry.action === 'unreadable');
  if (unreadable.length > 0) throw new LocalFileUnreadableError(unreadable.map((entry) => ({ path: entry.path, reason: entry.reason })));
  const stale = plan.entries.filter((entry) => entry.reason === REMOTE_CHANGED_REASON && entry.resolution !== 'upload');
  if (stale.length > 0 && !plan.force) {
    throw new RemoteChangedError(
      stale.map((entry) => ({
        path: entry.path,
        localSize: entry.localSize ?? entry.size,
        remoteSize: entry.remote?.size ?? 0,
        remoteChecksum: entry.remote?.checksum ?? '',
        ...(entry.remote?.added ? { remoteAdded: entry.remote.added } : {}),
      })),
    );
  }
  const refused = plan.entries.filter((entry) => entry.resolution === 'refuse');
  if (refused.length > 0) throw new ConflictRefusedError(refused.map((entry) => entry.path));
}

/**
 * Creates the synced directory and every sub-directory with its `.cfs`
 * marker, and removes the temporaries of an interrupted earlier sync. Every
 * directory is (re)checked with lstat right before writing: one that became a
 * link since the plan is refused.
 */
async function prepareDirectories(plan: SyncPlan, prepared: PreparedSync): Promise<void> {
  if (prepared.confineTo !== undefined) confineDirectory(prepared.confineTo, plan.dir, { create: true });
  else {
    checkSyncRoot(plan.dir, prepared.rootPolicy);
    mkdirSync(plan.dir, { recursive: true });
  }
  for (const directory of plan.directories) {
    makeDirectoryInside(plan.dir, directory.path, prepared.followedDirs);
    const marker = join(localPath(plan.dir, directory.path), MARKER_FILE);
    const content = JSON.stringify({ label: directory.label });
    // Read only a regular file, and replace rather than write into it: a planted link or FIFO is never followed.
    const existing = await readRegularFileIfPresent(marker);
    if (existing?.toString('utf8') !== content) replaceFileSync(marker, content);
  }
  // Leftovers of an interrupted earlier sync (rm removes a link itself, never its target).
  await Promise.all(prepared.temps.map((rel) => rm(localPath(plan.dir, rel), { force: true })));
}

/** Brings the stat cache up to date for the files both sides already agree on; returns how many there are. */
function recordUnchanged(plan: SyncPlan, prepared: PreparedSync): number {
  const { state } = prepared;
  let unchanged = 0;
  for (const entry of plan.entries) {
    if (entry.action !== 'unchanged') continue;
    unchanged += 1;
    const local = prepared.local.get(entry.path)!;
    const cached = state.get(entry.path);
    if (!cached || cached.synced !== entry.localChecksum || cached.sha256 !== entry.localChecksum || !state.cachedChecksum(entry.path, local.stat)) {
      state.record(entry.path, local.stat, entry.localChecksum!, entry.localChecksum);
    }
  }
  return unchanged;
}

/**
 * Runs every transfer in a bounded pool. The first failure aborts the others
 * (through the context's signal) and is thrown once they have stopped; so is
 * the caller's abort.
 */
async function transferAll(
  transfers: readonly SyncPlanEntry[],
  context: TransferContext,
  run: { controller: AbortController; outer: AbortSignal | undefined; emit: (event: SyncEvent) => void; progress: ProgressReporter; concurrency: number },
): Promise<void> {
  const { controller, outer, emit, progress } = run;
  const limit = pLimit(Math.max(1, run.concurrency));
  // Large files move a part at a time in parallel themselves, and a store may buffer up to a part
  // (or a whole object below its multipart threshold): few of them at once bounds the memory.
  const large = pLimit(LARGE_FILE_CONCURRENCY);
  let failure: unknown;
  const transfer = async (entry: SyncPlanEntry): Promise<void> => {
    if (context.signal.aborted) return;
    try {
      const upload = entry.action === 'upload' || entry.resolution === 'upload';
      emit({ type: 'file-start', path: entry.path, action: upload ? 'upload' : 'download', size: entry.size });
      const done = upload ? await uploadFile(context, entry) : await downloadFile(context, entry);
      emit({ type: 'file-done', path: entry.path, action: upload ? 'upload' : 'download', size: entry.size, ...done });
      progress.fileDone();
    } catch (error) {
      const skipped = !context.signal.aborted && entry.action !== 'upload' && entry.resolution !== 'upload' ? badRemoteRecord(error) : undefined;
      if (skipped !== undefined) {
        // One bad record (another client's broken upload, a lost object) must not cost the user the rest.
        context.result.skipped.push({ path: entry.path, reason: skipped });
        emit({ type: 'file-skipped', path: entry.path, reason: skipped });
        progress.fileDone();
        return;
      }
      if (failure === undefined) {
        failure = context.signal.aborted && outer?.aborted ? abortError(outer) : error;
        controller.abort(error);
      }
    }
  };
  await Promise.all(transfers.map((entry) => limit(() => (entry.size >= LARGE_FILE_BYTES ? large(() => transfer(entry)) : transfer(entry)))));
  if (failure !== undefined) throw failure as Error;
  if (outer?.aborted) throw abortError(outer);
}

/** Why a download failed because of its remote record (not the connection, not the local side), or undefined. */
function badRemoteRecord(error: unknown): string | undefined {
  if (BlobNotFoundError.isInstance(error)) return `skipped: the object of its CFS record is missing from the store (${error.message.replace(/^\[pollinator\] \[cfs-sync\] /, '')})`;
  if (ChecksumMismatchError.isInstance(error)) {
    return `skipped: the stored content does not match its CFS record (SHA-256 ${error.actual}, record ${error.expected}); nothing was written`;
  }
  return undefined;
}
