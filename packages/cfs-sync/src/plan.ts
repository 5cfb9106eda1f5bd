import pLimit from 'p-limit';
import { throwIfAborted } from './errors';
import { REMOTE_CHANGED_REASON, decideSync, summarize } from './plan-decide';
import { gatherSyncFacts } from './plan-gather';
import type { PlanOptions, PreparedSync, SyncPlan, SyncPlanEntry } from './plan-types';
import type { LocalFile } from './walk';

export { listLabels } from './remote-listing';
export type {
  ConflictResolution,
  PlanOptions,
  PreparedSync,
  SyncAction,
  SyncPlan,
  SyncPlanEntry,
  SyncPlanSummary,
  SyncDirection,
  SyncSource,
  PlanRemoteFile,
} from './plan-types';

/**
 * Computes what a sync of `dir` ↔ `label` would do, without writing anything
 * locally or remotely: every file with its action, size and reason. Reads the
 * local tree (hashing only files present on both sides whose stat cache entry
 * is stale), one label listing and one file listing per remote label
 * (gatherSyncFacts), then decides every path without further I/O (decideSync).
 */
export async function planSync(options: PlanOptions): Promise<SyncPlan> {
  const gathered = await gatherSyncFacts(options);
  const onConflict = options.onConflict ?? 'backup';
  // A snapshot is frozen: it can only be downloaded from.
  if (options.source && options.direction === 'both') {
    throw new TypeError('[pollinator] [cfs-sync] a snapshot source is download-only: leave direction out or set it to "download"');
  }
  const direction = options.source ? 'download' : (options.direction ?? 'both');
  if (direction !== 'both' && direction !== 'download') {
    throw new TypeError(`[pollinator] [cfs-sync] direction must be "both" or "download", not ${JSON.stringify(direction)}`);
  }
  const keepLocal = direction === 'download' ? false : options.keepLocal;
  const force = options.force ?? false;
  const { entries, directories } = decideSync(gathered.facts, { keepLocal, onConflict, direction, force });
  const addedLookups = await fillRemoteAdded(entries, options);
  const plan: SyncPlan = {
    dir: gathered.dir,
    label: options.label,
    keepLocal,
    onConflict,
    direction,
    force,
    ...(gathered.source ? { source: gathered.source } : {}),
    entries,
    directories,
    summary: summarize(entries),
    metadataCalls: gathered.metadataCalls + addedLookups,
    hashedFiles: gathered.hashedFiles,
  };
  const local = new Map<string, LocalFile>();
  for (const files of gathered.tree.dirs.values()) for (const file of files) local.set(file.rel, file);
  const prepared: PreparedSync = {
    state: gathered.state,
    local,
    temps: gathered.tree.temps,
    followedDirs: gathered.tree.followedDirs,
    ...(options.confineTo === undefined ? {} : { confineTo: options.confineTo }),
    rootPolicy: {
      ...(options.symlinks === undefined ? {} : { symlinks: options.symlinks }),
      ...(options.symlinkRoot === undefined ? {} : { symlinkRoot: options.symlinkRoot }),
    },
    metadata: options.metadata,
  };
  // Non-enumerable: the plan stays plain JSON (events, --json output), and the field is still in its type.
  Object.defineProperty(plan, 'prepared', { value: prepared, enumerable: false });
  return plan;
}

/**
 * The time of the newer remote revision of every stale entry (one
 * `getfilemsg` each, bounded), so the refusal can say when the remote side
 * changed. Best effort: a failed lookup leaves `added` out. Returns the RPCs made.
 */
async function fillRemoteAdded(entries: readonly SyncPlanEntry[], options: PlanOptions): Promise<number> {
  const stale = entries.filter((entry) => entry.reason === REMOTE_CHANGED_REASON && entry.remote && entry.remote.added === undefined);
  const limit = pLimit(options.planConcurrency ?? 16);
  await Promise.all(
    stale.map((entry) =>
      limit(async () => {
        throwIfAborted(options.signal);
        const file = await options.metadata.getLatestFile(entry.label, entry.name).catch(() => undefined);
        if (file && file.checksum === entry.remote!.checksum && file.added) entry.remote = { ...entry.remote!, added: file.added };
      }),
    ),
  );
  return stale.length;
}

/** The prepared state of a plan from planSync(); a TypeError for anything else (a plan parsed from JSON, a copy). */
export function preparedSync(plan: SyncPlan): PreparedSync {
  if (!plan.prepared) throw new TypeError('[pollinator] [cfs-sync] applySync() needs a plan returned by planSync()');
  return plan.prepared;
}
