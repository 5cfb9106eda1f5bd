/**
 * When `followProcess` reads next, and what (issue #20, log latency): a pure
 * function of what the last reads found, so the schedule is tested without
 * clocks.
 *
 * - `poll` (a real Colonies server: the v1.9.12 protocol has no log push):
 *   while lines flow, the log is read every 375 ms and the process about
 *   every 1.1 s; when idle, both every 500 ms (as the original Pollinator);
 *   while the process waits for an executor, only the process (nothing can
 *   be logged before it runs). The request rate never rises above the old
 *   500 ms loop's (two reads per 500 ms), the latency while lines flow falls.
 * - `wait` (the dev-server's `pollinatorwaitlogsmsg`): the server holds the
 *   read until a line arrives or the state changes, so a line is delivered
 *   as soon as it is added; the process is read only when a wait returned no
 *   line (a state change, or the wait timed out). While lines keep coming,
 *   reads are spaced at least `minLogReadIntervalMs` apart, so a job logging
 *   line by line costs no more requests than the old loop.
 */

/** Process states (colonies-protocol.md §3). */
const WAITING = 0;

export interface FollowScheduleSettings {
  /** Pause between reads when no line came lately, ms (the original's 500 ms). */
  idleIntervalMs: number;
  /** Pause between log reads while lines flow (`poll`), ms. */
  flowingIntervalMs: number;
  /** Lines count as flowing this long after the last ones arrived, ms. */
  flowWindowMs: number;
  /** While lines flow, the process is read about this often (`poll`), ms. */
  processIntervalMs: number;
  /** Least time between two log reads that both found lines (`wait`), ms. */
  minLogReadIntervalMs: number;
  /** How long the server may hold one wait, ms. */
  waitMs: number;
}

/** The schedule for an idle poll interval (default 500 ms): every other pause scales with it. */
export function followSchedule(idleIntervalMs = 500): FollowScheduleSettings {
  return {
    idleIntervalMs,
    flowingIntervalMs: Math.round(idleIntervalMs * 0.75),
    flowWindowMs: idleIntervalMs * 4,
    processIntervalMs: idleIntervalMs * 2,
    minLogReadIntervalMs: Math.round(idleIntervalMs * 0.55),
    waitMs: Math.max(idleIntervalMs * 2, 100),
  };
}

export const DEFAULT_FOLLOW_SCHEDULE: FollowScheduleSettings = followSchedule();

export interface FollowObservation {
  mode: 'poll' | 'wait';
  /** The state last read (undefined before the first read). */
  state: number | undefined;
  /** Lines the last log read returned (0 when it found none, or there was none). */
  lines: number;
  /** Time since a log read last returned lines, ms (Infinity: never). */
  sinceLinesMs: number;
  /** Time since the last log read was sent, ms (Infinity: never). */
  sinceLogReadMs: number;
  /** Time since the process was last read, ms (Infinity: never). */
  sinceProcessMs: number;
}

export interface FollowStep {
  /** Pause before this step, ms. */
  delayMs: number;
  /** `get`: `getlogsmsg`; `wait`: the dev-server's wait; `none`: no log read. */
  logs: 'get' | 'wait' | 'none';
  /** Read the process after the log. */
  process: boolean;
}

/** The next step of following, given what the last ones found. */
export function nextFollowStep(observation: FollowObservation, settings: FollowScheduleSettings = DEFAULT_FOLLOW_SCHEDULE): FollowStep {
  const { mode, state, lines, sinceLinesMs, sinceLogReadMs, sinceProcessMs } = observation;
  // First look: everything, at once.
  if (state === undefined) return { delayMs: 0, logs: 'get', process: true };
  if (mode === 'wait') {
    // Lines just came: the next batch may be on its way; space the reads so a chatty job is not read line by line.
    const delayMs = lines > 0 ? Math.max(0, settings.minLogReadIntervalMs - sinceLogReadMs) : 0;
    // A wait that returned no line ended on a state change or its timeout: read the process.
    const stale = sinceProcessMs + delayMs >= settings.processIntervalMs * 5;
    return { delayMs, logs: 'wait', process: lines === 0 || stale };
  }
  if (state === WAITING) return { delayMs: settings.idleIntervalMs, logs: 'none', process: true };
  const flowing = lines > 0 || sinceLinesMs < settings.flowWindowMs;
  if (!flowing) return { delayMs: settings.idleIntervalMs, logs: 'get', process: true };
  const delayMs = settings.flowingIntervalMs;
  // A little early rather than a whole step late.
  const process = sinceProcessMs + delayMs >= settings.processIntervalMs - settings.flowingIntervalMs / 2;
  return { delayMs, logs: 'get', process };
}
