import {
  applySync,
  planSync,
  type BlobStore,
  type CfsMetadata,
  type IgnoreOptions,
  type SymlinkPolicy,
  type SyncPlan,
  type SyncPlanEntry,
  type SyncResult,
} from '@pollinator/cfs-sync';
import type { PollinatorEvent, RemoteChangedFile, SyncPlanEvent, SyncPlanEventEntry, SyncSymlinksEvent, SyncTarget } from './events';

/** Plan entries listed in a `sync.plan` event of a real run (a dry run lists them all). */
const MAX_PLAN_ENTRIES = 200;

/** The reason cfs-sync gives a conflict whose remote side changed since this machine last synced it. */
export const REMOTE_CHANGED_REASON = 'remote-changed';

export interface TargetPlanOptions {
  target: SyncTarget;
  dir: string;
  label: string;
  /** src/data: local wins (as the original); result: remote wins. */
  keepLocal: boolean;
  metadata: CfsMetadata;
  signal?: AbortSignal;
  stateDir?: string | false;
  ignore?: IgnoreOptions;
  /** `sync.symlinks` of the project (default `skip`). */
  symlinks?: SymlinkPolicy;
  /** The project directory: `inside` follows links whose target resolves inside it. */
  symlinkRoot?: string;
  /** Plan only: nothing is written locally or remotely. */
  dryRun?: boolean;
  /** `download`: never upload (pull); local-only files are left alone. Default `both`. */
  direction?: 'both' | 'download';
  /** Upload local files over remote revisions that changed since the last sync (`run --force`). */
  force?: boolean;
  /** Download a snapshot's frozen revisions instead of the label's newest (a run's own results). */
  source?: { snapshotId: string };
  emit: (event: PollinatorEvent) => void;
}

export interface TargetApplyOptions {
  target: SyncTarget;
  store: BlobStore;
  signal?: AbortSignal;
  emit: (event: PollinatorEvent) => void;
}

/** Plans one directory sync and emits `sync.plan` (and `sync.symlinks` when links were skipped). */
export async function planTarget(options: TargetPlanOptions): Promise<SyncPlan> {
  const { target, emit } = options;
  const plan = await planSync({
    dir: options.dir,
    label: options.label,
    metadata: options.metadata,
    keepLocal: options.keepLocal,
    onConflict: 'backup',
    // planSync only reads the stat cache (applySync writes it), so a dry run may use it: it needs
    // it to tell a remote change since the last sync from a local one.
    stateDir: options.stateDir,
    ...(options.ignore === undefined ? {} : { ignore: options.ignore }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.symlinks === undefined ? {} : { symlinks: options.symlinks }),
    ...(options.symlinkRoot === undefined ? {} : { symlinkRoot: options.symlinkRoot }),
    ...(options.direction === undefined ? {} : { direction: options.direction }),
    ...(options.force === undefined ? {} : { force: options.force }),
    ...(options.source === undefined ? {} : { source: options.source }),
  });
  emit(planEvent(target, plan, options.dryRun === true));
  const symlinks = symlinksEvent(target, plan, options.symlinks ?? 'skip');
  if (symlinks !== undefined) emit(symlinks);
  return plan;
}

/** Applies a plan, emitting `sync.progress`, `sync.file` and `sync.done`. */
export async function applyTarget(plan: SyncPlan, options: TargetApplyOptions): Promise<SyncResult> {
  const { target, emit } = options;
  const result = await applySync(plan, {
    store: options.store,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onEvent: (event) => {
      if (event.type === 'progress') {
        emit({
          type: 'sync.progress',
          target,
          filesDone: event.filesDone,
          filesTotal: event.filesTotal,
          bytesDone: event.bytesDone,
          bytesTotal: event.bytesTotal,
          bytesPerSecond: event.bytesPerSecond,
          etaSeconds: event.etaSeconds,
        });
      } else if (event.type === 'file-done') {
        emit({
          type: 'sync.file',
          target,
          path: event.path,
          action: event.action,
          size: event.size,
          ...(event.backup === undefined ? {} : { backup: event.backup }),
        });
      }
    },
  });
  emit({
    type: 'sync.done',
    target,
    uploaded: { files: result.uploaded, bytes: result.bytesUploaded },
    downloaded: { files: result.downloaded, bytes: result.bytesDownloaded },
    unchanged: result.unchanged,
    durationMs: Math.round(result.durationMs),
  });
  return result;
}

/** Plans (and unless dry-running, applies) one directory sync, emitting its events. */
export async function syncTarget(options: TargetPlanOptions & { store: BlobStore }): Promise<{ plan: SyncPlan; result?: SyncResult }> {
  const plan = await planTarget(options);
  if (options.dryRun === true) return { plan };
  const result = await applyTarget(plan, {
    target: options.target,
    store: options.store,
    emit: options.emit,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { plan, result };
}

/** The files of a plan that changed remotely since the last sync and locally too (empty when forced or none). */
export function remoteChangedFiles(target: SyncTarget, plan: SyncPlan): RemoteChangedFile[] {
  if (plan.summary.stale.files === 0 || plan.force) return [];
  return plan.entries
    .filter((entry) => entry.reason === REMOTE_CHANGED_REASON)
    .map((entry) => ({
      target,
      path: entry.path,
      localSize: entry.localSize ?? entry.size,
      remoteSize: entry.remote?.size ?? 0,
      ...(entry.remote?.added === undefined ? {} : { remoteAdded: entry.remote.added }),
    }));
}

/** The links the plan did not follow, or undefined when there are none. */
function symlinksEvent(target: SyncTarget, plan: SyncPlan, policy: SymlinkPolicy): SyncSymlinksEvent | undefined {
  const skipped = plan.entries.flatMap((entry) =>
    entry.symlink === undefined ? [] : [{ path: entry.path, target: entry.symlink.target, why: entry.symlink.reason, reason: entry.reason }],
  );
  return skipped.length === 0 ? undefined : { type: 'sync.symlinks', target, dir: plan.dir, policy, skipped };
}

/** Entry actions a real run's `sync.plan` lists: those that move a file or need the user's attention. */
const LISTED_ACTIONS = new Set(['upload', 'download', 'conflict', 'unreadable', 'invalid-remote']);

/**
 * A conflict the local side wins (keepLocal, or `--force` over a newer remote
 * copy) is an upload to the user: listed and counted as one, with the
 * explanation (`detail`) as its reason and the stable code kept in `code`.
 */
function resolvedByUpload(entry: SyncPlanEntry): boolean {
  return entry.action === 'conflict' && entry.resolution === 'upload';
}

function planEntryOf(entry: SyncPlanEntry): SyncPlanEventEntry {
  return {
    path: entry.path,
    action: resolvedByUpload(entry) ? 'upload' : entry.action,
    size: entry.size,
    reason: entry.detail ?? entry.reason,
    ...(entry.detail === undefined ? {} : { code: entry.reason }),
  };
}

function planEvent(target: SyncTarget, plan: SyncPlan, allEntries: boolean): SyncPlanEvent {
  const moving = plan.entries.filter((entry) => LISTED_ACTIONS.has(entry.action));
  const listed = allEntries ? plan.entries : moving.slice(0, MAX_PLAN_ENTRIES);
  const uploadedConflicts = plan.entries.filter(resolvedByUpload);
  const uploadedBytes = uploadedConflicts.reduce((sum, entry) => sum + entry.size, 0);
  return {
    type: 'sync.plan',
    target,
    dir: plan.dir,
    label: plan.label,
    upload: { files: plan.summary.upload.files + uploadedConflicts.length, bytes: plan.summary.upload.bytes + uploadedBytes },
    download: { ...plan.summary.download },
    conflict: { files: plan.summary.conflict.files - uploadedConflicts.length, bytes: plan.summary.conflict.bytes - uploadedBytes },
    unchanged: { ...plan.summary.unchanged },
    stale: { ...plan.summary.stale },
    ignored: plan.summary.ignored.files,
    entries: listed.map(planEntryOf),
  };
}
