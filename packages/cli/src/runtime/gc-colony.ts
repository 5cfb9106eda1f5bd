import type { ColoniesClient, Process, ProcessState, Snapshot } from '@pollinator/colonies-client';

/**
 * `pollinator gc` against a real colony, which has no garbage collection of
 * its own to ask: only this project's runs, only the ones this user
 * submitted, by the same retention as the embedded default; and only the
 * snapshots those runs made that no other run of the project names. Blobs,
 * file revisions and other projects are never touched (they may be anyone's).
 */

/** The server's largest page (`getprocessesmsg` count). */
const PAGE = 100;
const FINAL_STATES: readonly ProcessState[] = [2, 3, 4];
const SNAPSHOT_ENV_KEYS = ['POLLINATOR_SRC_SNAPSHOT', 'POLLINATOR_DATA_SNAPSHOT'];
const RESULT_SNAPSHOT_KEY = 'POLLINATOR_RESULT_SNAPSHOT';
const DAY_MS = 86_400_000;

export interface ColonyRetention {
  keepLast: number;
  keepDays: number;
  now: number;
}

export interface ColonyGcPlan {
  processes: Process[];
  snapshots: Snapshot[];
  /** Processes of the project the client could not read: snapshots stay, as they may name them. */
  unreadable: number;
  /** A state had a full page: older runs are not seen this time (a second gc sees them). */
  truncated: boolean;
}

function time(text: string): number {
  const value = Date.parse(text);
  return Number.isFinite(value) && !text.startsWith('0001-') ? value : 0;
}

/** The snapshot ids a process stages or records. */
function snapshotIdsOf(process: Process): string[] {
  const ids = (process.spec.fs?.snapshots ?? []).map((snapshot) => snapshot.snapshotid);
  for (const key of SNAPSHOT_ENV_KEYS) ids.push(process.spec.env?.[key] ?? '');
  for (const attribute of process.attributes ?? []) {
    if (attribute.key === RESULT_SNAPSHOT_KEY || SNAPSHOT_ENV_KEYS.includes(attribute.key)) ids.push(attribute.value);
  }
  return ids.filter((id) => id !== '');
}

/** Every process of the project (each state's newest page) and how many could not be read. */
async function projectProcesses(client: ColoniesClient, projectName: string, signal: AbortSignal | undefined) {
  const states: ProcessState[] = [0, 1, ...FINAL_STATES];
  const listings = await Promise.all(
    states.map((state) => client.getProcessListing({ state, count: PAGE, label: projectName }, signal === undefined ? {} : { signal })),
  );
  return {
    processes: listings.flatMap((listing) => listing.processes),
    unreadable: listings.reduce((total, listing) => total + listing.unreadable.length, 0),
    truncated: listings.some((listing) => listing.processes.length + listing.unreadable.length >= PAGE),
  };
}

/** The runs the retention keeps: unfinished ones, the project's newest `keepLast`, and those that ended within `keepDays`. */
function keptIds(processes: Process[], retention: ColonyRetention): Set<string> {
  const recent = retention.now - retention.keepDays * DAY_MS;
  const kept = new Set<string>();
  for (const process of processes) {
    const ended = Math.max(time(process.endtime), time(process.submissiontime));
    if (!FINAL_STATES.includes(process.state) || ended >= recent) kept.add(process.processid);
  }
  const newest = [...processes].sort((a, b) => time(b.submissiontime) - time(a.submissiontime));
  for (const process of newest.slice(0, retention.keepLast)) kept.add(process.processid);
  return kept;
}

export async function planColonyGc(options: {
  client: ColoniesClient;
  projectName: string;
  userId: string;
  retention: ColonyRetention;
  signal?: AbortSignal;
}): Promise<ColonyGcPlan> {
  const { client, projectName, userId, retention, signal } = options;
  const listed = await projectProcesses(client, projectName, signal);
  const kept = keptIds(listed.processes, retention);
  const removable = listed.processes.filter((process) => !kept.has(process.processid) && process.initiatorid === userId);
  const removableIds = new Set(removable.map((process) => process.processid));
  const remaining = listed.processes.filter((process) => !removableIds.has(process.processid));
  const stillNamed = new Set([...remaining.flatMap(snapshotIdsOf), ...remaining.map((process) => process.processid)]);
  const released = new Set([...removable.flatMap(snapshotIdsOf), ...removableIds]);
  let snapshots: Snapshot[] = [];
  if (listed.unreadable === 0 && released.size > 0) {
    const prefix = `/pollinator/${projectName}/`;
    const all = await (signal === undefined ? client.getSnapshots() : client.getSnapshots({ signal }));
    snapshots = all.filter(
      (snapshot) =>
        `${snapshot.label}/`.startsWith(prefix) &&
        (released.has(snapshot.snapshotid) || released.has(snapshot.name)) &&
        !stillNamed.has(snapshot.snapshotid) &&
        !stillNamed.has(snapshot.name),
    );
  }
  return { processes: removable, snapshots, unreadable: listed.unreadable, truncated: listed.truncated };
}

/** Removes what the plan lists: processes (`removeprocessmsg`), then their snapshots. */
export async function applyColonyGc(client: ColoniesClient, plan: ColonyGcPlan, signal?: AbortSignal): Promise<void> {
  const options = signal === undefined ? {} : { signal };
  for (const process of plan.processes) await client.removeProcess(process.processid, options);
  for (const snapshot of plan.snapshots) await client.removeSnapshot({ snapshotId: snapshot.snapshotid }, options);
}
