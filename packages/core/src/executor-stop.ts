/**
 * Why the executor stops following a job, and the pure decision of the
 * watcher: given what the server says of the process now (or that it could
 * not be read), whether the job must stop, and the deadline that holds.
 */
import type { ExecutorProcess, ShutdownMode } from './executor-types';

/** Process states (ColonyOS). */
export const PROCESS_RUNNING = 1;
export const PROCESS_CANCELLED = 4;

export type StopReason = 'cancelled' | 'lost' | 'deadline' | 'detach' | 'shutdown-cancel';

/** The abort reason of a job's controller, and the watcher's verdict. */
export class StopJob extends Error {
  constructor(
    readonly reason: StopReason,
    message: string,
  ) {
    super(message);
  }
}

/** The stop a shutdown in `mode` puts on a running job (`finish` lets it run). */
export function shutdownStop(mode: ShutdownMode): StopJob | undefined {
  if (mode === 'detach') return new StopJob('detach', 'executor shutting down');
  if (mode === 'cancel') return new StopJob('shutdown-cancel', 'executor shutting down');
  return undefined;
}

/** An exec deadline of the server (`0001-…` is Go's zero time: none), in ms since the epoch. */
export function parseDeadline(text: string | undefined): number | null {
  if (!text || text.startsWith('0001-')) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : time;
}

/**
 * Stop a little before the server's own deadline (10% of maxexectime, at
 * least 1 s but never more than half of it, at most 2 s), so that our close
 * with the exit code reaches it before it re-queues or fails the process:
 * between the stop and the close come the result upload, the result snapshot
 * and the run-record attributes, a few server calls that 10% of a short
 * walltime (0.3 s of 3 s) did not always leave room for.
 */
export function deadlineMargin(maxexectime: number): number {
  if (maxexectime <= 0) return 0;
  const ms = maxexectime * 1000;
  return Math.min(2000, Math.max(1000, ms / 10), ms / 2);
}

/** What one look at the process found. */
export type ProcessObservation =
  | { kind: 'process'; process: Pick<ExecutorProcess, 'state' | 'assignedexecutorid' | 'execdeadline'> }
  /** The server answered 404. */
  | { kind: 'missing' }
  /** Any other failure: the server is out of reach. */
  | { kind: 'unreachable' };

export interface WatchFacts {
  /** The deadline known so far (ms since the epoch), or null. */
  deadline: number | null;
  now: number;
  maxexectime: number;
  /** This executor's id (its own key), when known. */
  executorId: string | undefined;
}

/** The watcher's decision: the deadline that now holds, and the stop, if the job must stop. */
export function watchDecision(observation: ProcessObservation, facts: WatchFacts): { deadline: number | null; stop?: StopJob } {
  const overdue = (deadline: number | null) => deadline !== null && facts.now >= deadline - deadlineMargin(facts.maxexectime);
  const deadlineStop = () => new StopJob('deadline', `maxexectime of ${facts.maxexectime} s exceeded, the job was stopped`);
  if (observation.kind === 'missing') return { deadline: facts.deadline, stop: new StopJob('lost', 'the process was removed from the colony') };
  if (observation.kind === 'unreachable') {
    // The server is out of reach: the deadline still holds.
    return overdue(facts.deadline) ? { deadline: facts.deadline, stop: deadlineStop() } : { deadline: facts.deadline };
  }
  const current = observation.process;
  const deadline = parseDeadline(current.execdeadline) ?? facts.deadline;
  if (current.state === PROCESS_CANCELLED) return { deadline, stop: new StopJob('cancelled', 'the process was cancelled') };
  const reassigned = Boolean(facts.executorId && current.assignedexecutorid && current.assignedexecutorid !== facts.executorId);
  if (current.state !== PROCESS_RUNNING || reassigned) {
    return { deadline, stop: new StopJob('lost', 'the process is no longer assigned to this executor (re-queued or closed by the server)') };
  }
  return overdue(deadline) ? { deadline, stop: deadlineStop() } : { deadline };
}
