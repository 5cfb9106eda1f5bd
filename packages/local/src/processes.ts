/**
 * Finding a job's processes on this machine through /proc: the supervisor,
 * the job's process group, and every process carrying the job's marker in
 * its environment (the way to reach children that left the group with
 * `setsid` or a double fork when no PID namespace holds them). The one
 * place that reads /proc: the backend and the supervisor (supervisor/main.ts)
 * both use it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Environment variable set to a random token in every plain-process job. A
 * job can unset it for its own children, so this is best effort; under
 * bubblewrap the PID namespace is what really holds the job.
 */
export const JOB_MARKER_ENV = 'POLLINATOR_JOB_MARKER';

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function processIds(): number[] | null {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^[0-9]+$/.test(entry))
      .map(Number);
  } catch {
    return null;
  }
}

function ended(state: string | undefined): boolean {
  return state === 'Z' || state === 'X';
}

/** Start time of a process in clock ticks since boot (against pid reuse), or null. */
export function procStartTicks(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** Whether the process is alive (not a zombie) and still the one that started at `startTicks`. */
export function pidAlive(pid: number, startTicks: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  // No /proc (not Linux): trust kill(0).
  if (fields === null) return true;
  // A zombie has ended (its parent, e.g. a killed executor, just has not reaped it).
  if (ended(fields[0])) return false;
  // A different start time: the pid was reused by another process.
  return startTicks === null || fields[19] === startTicks;
}

/** Whether a live (non-zombie) process of the group exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const pids = processIds();
  if (pids === null) return true;
  return pids.some((pid) => {
    const fields = statFields(pid);
    return fields !== null && Number(fields[2]) === pgid && !ended(fields[0]);
  });
}

/** Live processes whose environment carries `JOB_MARKER_ENV=<marker>` (those this user may read). */
export function markedProcesses(marker: string): number[] {
  if (marker === '') return [];
  const needle = Buffer.from(`${JOB_MARKER_ENV}=${marker}\0`);
  const found: number[] = [];
  for (const pid of processIds() ?? []) {
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    // The first variable has no NUL before it: look for it at the start too.
    const atStart = environ.subarray(0, needle.length).equals(needle);
    if (!atStart && environ.indexOf(Buffer.concat([Buffer.from([0]), needle])) === -1) continue;
    if (!ended(statFields(pid)?.[0])) found.push(pid);
  }
  return found;
}

/** Sends `signal` to the process group, if it is still there. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already
  }
}

/** Sends `signal` to every process carrying the marker; returns how many there were. */
/**
 * Signals every process of the job (its process group and every process
 * carrying its marker) except `spare` (a wrapper such as bwrap, which would
 * die of a signal it does not handle and take the job with it). Returns how
 * many it signalled.
 */
export function signalJobProcesses(pgid: number, marker: string | null, signal: NodeJS.Signals, spare: number | undefined): number {
  const pids = new Set(marker ? markedProcesses(marker) : []);
  for (const pid of processIds() ?? []) {
    const fields = statFields(pid);
    if (fields && Number(fields[2]) === pgid && !ended(fields[0])) pids.add(pid);
  }
  pids.delete(process.pid);
  if (spare !== undefined) pids.delete(spare);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
  return pids.size;
}

export function signalMarked(marker: string, signal: NodeJS.Signals): number {
  const pids = markedProcesses(marker);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
  return pids.length;
}
