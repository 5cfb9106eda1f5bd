import {
  applySync,
  planSync,
  type BlobStore,
  type CfsMetadata,
  type IgnoreOptions,
  type SyncPlan,
  type SyncResult,
} from '@pollinator/cfs-sync';
import type { PollinatorEvent, SyncPlanEvent, SyncTarget } from './events';

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
  });
  emit(planEvent(target, plan, options.dryRun === true));
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
