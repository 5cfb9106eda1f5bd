import { decideSync, summarize } from './plan-decide';
import { gatherSyncFacts } from './plan-gather';
import type { PlanOptions, PreparedSync, SyncPlan } from './plan-types';
import type { LocalFile } from './walk';

export { listLabels } from './plan-gather';
export type {
  ConflictResolution,
  PlanOptions,
  PreparedSync,
  SyncAction,
  SyncPlan,
  SyncPlanEntry,
  SyncPlanSummary,
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
  const { entries, directories } = decideSync(gathered.facts, { keepLocal: options.keepLocal, onConflict });
  const plan: SyncPlan = {
    dir: gathered.dir,
    label: options.label,
    keepLocal: options.keepLocal,
    onConflict,
    entries,
    directories,
    summary: summarize(entries),
    metadataCalls: gathered.metadataCalls,
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

/** The prepared state of a plan from planSync(); a TypeError for anything else (a plan parsed from JSON, a copy). */
export function preparedSync(plan: SyncPlan): PreparedSync {
  if (!plan.prepared) throw new TypeError('[pollinator] [cfs-sync] applySync() needs a plan returned by planSync()');
  return plan.prepared;
}
