import {
  applySync,
  planSync,
  type BlobStore,
  type CfsMetadata,
  type IgnoreOptions,
  type SymlinkPolicy,
  type SyncPlan,
  type SyncResult,
} from '@pollinator/cfs-sync';
import type { PollinatorEvent, SyncPlanEvent, SyncSymlinksEvent, SyncTarget } from './events';

/** Plan entries listed in a `sync.plan` event of a real run (a dry run lists them all). */
const MAX_PLAN_ENTRIES = 200;

export interface TargetSyncOptions {
  target: SyncTarget;
  dir: string;
  label: string;
  /** src/data: local wins (as the original); result: remote wins. */
  keepLocal: boolean;
  metadata: CfsMetadata;
  store: BlobStore;
  signal?: AbortSignal;
  stateDir?: string | false;
  ignore?: IgnoreOptions;
  /** `sync.symlinks` of the project (default `skip`). */
  symlinks?: SymlinkPolicy;
  /** The project directory: `inside` follows links whose target resolves inside it. */
  symlinkRoot?: string;
  /** Plan only: nothing is written locally or remotely. */
  dryRun?: boolean;
  emit: (event: PollinatorEvent) => void;
}

/** Plans (and unless dry-running, applies) one directory sync, emitting its events. */
export async function syncTarget(options: TargetSyncOptions): Promise<{ plan: SyncPlan; result?: SyncResult }> {
  const { target, emit } = options;
  const plan = await planSync({
    dir: options.dir,
    label: options.label,
    metadata: options.metadata,
    keepLocal: options.keepLocal,
    onConflict: 'backup',
    // A dry run keeps even the stat cache untouched.
    stateDir: options.dryRun === true ? false : options.stateDir,
    ...(options.ignore === undefined ? {} : { ignore: options.ignore }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.symlinks === undefined ? {} : { symlinks: options.symlinks }),
    ...(options.symlinkRoot === undefined ? {} : { symlinkRoot: options.symlinkRoot }),
  });
  emit(planEvent(target, plan, options.dryRun === true));
  const symlinks = symlinksEvent(target, plan, options.symlinks ?? 'skip');
  if (symlinks !== undefined) emit(symlinks);
  if (options.dryRun === true) return { plan };

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
  return { plan, result };
}

/** The links the plan did not follow, or undefined when there are none. */
function symlinksEvent(target: SyncTarget, plan: SyncPlan, policy: SymlinkPolicy): SyncSymlinksEvent | undefined {
  const skipped = plan.entries.flatMap((entry) =>
    entry.symlink === undefined ? [] : [{ path: entry.path, target: entry.symlink.target, why: entry.symlink.reason, reason: entry.reason }],
  );
  return skipped.length === 0 ? undefined : { type: 'sync.symlinks', target, dir: plan.dir, policy, skipped };
}

function planEvent(target: SyncTarget, plan: SyncPlan, allEntries: boolean): SyncPlanEvent {
  const moving = plan.entries.filter(
    (entry) => entry.action === 'upload' || entry.action === 'download' || entry.action === 'conflict',
  );
  const listed = allEntries ? plan.entries : moving.slice(0, MAX_PLAN_ENTRIES);
  return {
    type: 'sync.plan',
    target,
    dir: plan.dir,
    label: plan.label,
    upload: { ...plan.summary.upload },
    download: { ...plan.summary.download },
    conflict: { ...plan.summary.conflict },
    unchanged: { ...plan.summary.unchanged },
    ignored: plan.summary.ignored.files,
    entries: listed.map((entry) => ({ path: entry.path, action: entry.action, size: entry.size, reason: entry.reason })),
  };
}
