// What a garbage collection removes, decided from rows alone (no I/O): old
// finished processes by the retention, the snapshots only they (or nobody)
// referenced, superseded file revisions no kept snapshot holds, and the blobs
// no kept revision names. gc-run.ts gathers the rows and carries it out.
import type { Nanos } from './clock';
import { SECOND } from './clock';

/** Process states that are over (success, failed, cancelled). */
const FINAL_STATES = new Set([2, 3, 4]);

/** The process record keys that name snapshots (core's RunRecordKey). */
export const SNAPSHOT_KEYS = ['POLLINATOR_SRC_SNAPSHOT', 'POLLINATOR_DATA_SNAPSHOT', 'POLLINATOR_RESULT_SNAPSHOT'] as const;

export interface RetentionOptions {
  /** Per project (the process label), the newest this many processes are kept whatever their age. */
  keepLast: number;
  /** Anything that ended (or was made) less than this many days ago is kept. */
  keepDays: number;
  /**
   * Things this young are never collected even when nothing references them:
   * an upload writes its blob before its file record, and a run creates its
   * snapshot before it submits the process that names it.
   */
  graceSeconds: number;
  now: Nanos;
}

export interface GcProcess {
  processid: string;
  /** The project for Pollinator processes. */
  label: string;
  state: number;
  submissiontime: Nanos;
  endtime: Nanos;
  /** Snapshot ids the spec stages or the record names (spec `fs.snapshots`, POLLINATOR_*_SNAPSHOT). */
  snapshotIds: string[];
  /** Staging dirs of the spec (`fs.snapshots[].dir`, `fs.dirs[].dir`), `{processid}` substituted. */
  stagingDirs: string[];
}

export interface GcSnapshot {
  snapshotid: string;
  name: string;
  label: string;
  fileIds: string[];
  added: Nanos;
}

export interface GcFile {
  fileid: string;
  colonyname: string;
  label: string;
  name: string;
  /** The store's order of revisions: higher is newer. */
  sequence: bigint;
  /** Blob key (`ref.s3object.object`). */
  object: string;
  size: number;
  added: Nanos;
}

export interface GcBlob {
  key: string;
  size: number;
  /** Last modification (ns since the epoch). */
  modified: Nanos;
}

export interface GcPlanInput {
  /** The colony's processes. */
  processes: GcProcess[];
  /** The colony's snapshots. */
  snapshots: GcSnapshot[];
  /** Every revision of every file of the colony, any order. */
  files: GcFile[];
  /** Blob keys every other colony's revisions name (never removed). */
  otherReferences: ReadonlySet<string>;
  /** The blob directory's objects. */
  blobs: GcBlob[];
}

export interface GcPlan {
  processes: GcProcess[];
  snapshots: GcSnapshot[];
  revisions: GcFile[];
  blobs: GcBlob[];
  /** Staging dirs of waiting and running processes: never to be removed. */
  activeStagingDirs: string[];
}

const DAY_SECONDS = 86_400;

function cutoff(now: Nanos, seconds: number): Nanos {
  return now - BigInt(Math.floor(seconds)) * SECOND;
}

/** Processes the retention keeps: every unfinished one, each project's newest `keepLast`, and the recent ones. */
function keptProcesses(processes: GcProcess[], options: RetentionOptions): Set<string> {
  const kept = new Set<string>();
  const recent = cutoff(options.now, options.keepDays * DAY_SECONDS);
  const byProject = new Map<string, GcProcess[]>();
  for (const process of processes) {
    if (!FINAL_STATES.has(process.state) || process.endtime >= recent || process.submissiontime >= recent) kept.add(process.processid);
    const list = byProject.get(process.label) ?? [];
    list.push(process);
    byProject.set(process.label, list);
  }
  for (const list of byProject.values()) {
    list.sort((a, b) => (a.submissiontime === b.submissiontime ? 0 : a.submissiontime > b.submissiontime ? -1 : 1));
    for (const process of list.slice(0, options.keepLast)) kept.add(process.processid);
  }
  return kept;
}

/** Ids (and, for result snapshots, names = process ids) of the snapshots `processes` need. */
function referencedBy(processes: GcProcess[]): { ids: Set<string>; names: Set<string> } {
  return {
    ids: new Set(processes.flatMap((process) => process.snapshotIds)),
    names: new Set(processes.map((process) => process.processid)),
  };
}

/**
 * Revisions to remove: superseded ones no kept snapshot holds. (A reader that
 * listed one as the newest just before it was replaced finds its blob gone and
 * reports the file as skipped; runs read snapshots, which are kept.)
 */
function supersededRevisions(files: GcFile[], keptFileIds: ReadonlySet<string>): GcFile[] {
  const byName = new Map<string, GcFile[]>();
  for (const file of files) {
    const key = `${file.label}\u0000${file.name}`;
    const list = byName.get(key) ?? [];
    list.push(file);
    byName.set(key, list);
  }
  const removed: GcFile[] = [];
  for (const revisions of byName.values()) {
    revisions.sort((a, b) => (a.sequence === b.sequence ? 0 : a.sequence > b.sequence ? -1 : 1));
    // revisions[0] is the newest.
    for (const revision of revisions.slice(1)) if (!keptFileIds.has(revision.fileid)) removed.push(revision);
  }
  return removed;
}

/** Decides what a collection removes (see the module comment and docs/runs.md "Garbage collection"). */
export function planGarbageCollection(input: GcPlanInput, options: RetentionOptions): GcPlan {
  const keptIds = keptProcesses(input.processes, options);
  const keptList = input.processes.filter((process) => keptIds.has(process.processid));
  const removedProcesses = input.processes.filter((process) => !keptIds.has(process.processid));
  const kept = referencedBy(keptList);
  const removedRefs = referencedBy(removedProcesses);
  const graceCutoff = cutoff(options.now, options.graceSeconds);
  const oldCutoff = cutoff(options.now, Math.max(options.keepDays * DAY_SECONDS, options.graceSeconds));

  const snapshots = input.snapshots.filter((snapshot) => {
    if (kept.ids.has(snapshot.snapshotid) || kept.names.has(snapshot.name)) return false;
    const ofRemovedRun = removedRefs.ids.has(snapshot.snapshotid) || removedRefs.names.has(snapshot.name);
    return ofRemovedRun || snapshot.added < oldCutoff;
  });
  const removedSnapshotIds = new Set(snapshots.map((snapshot) => snapshot.snapshotid));
  const keptFileIds = new Set(
    input.snapshots.filter((snapshot) => !removedSnapshotIds.has(snapshot.snapshotid)).flatMap((snapshot) => snapshot.fileIds),
  );
  const revisions = supersededRevisions(input.files, keptFileIds);

  const removedFileIds = new Set(revisions.map((file) => file.fileid));
  const referenced = new Set(input.otherReferences);
  for (const file of input.files) if (!removedFileIds.has(file.fileid)) referenced.add(file.object);
  const released = new Set(revisions.map((file) => file.object));
  // A blob whose record this collection removes goes now; one nobody ever named only after the grace period.
  const blobs = input.blobs.filter((blob) => !referenced.has(blob.key) && (released.has(blob.key) || blob.modified < graceCutoff));

  const activeStagingDirs = [
    ...new Set(input.processes.filter((process) => !FINAL_STATES.has(process.state)).flatMap((process) => process.stagingDirs)),
  ].sort();
  return { processes: removedProcesses, snapshots, revisions, blobs, activeStagingDirs };
}
