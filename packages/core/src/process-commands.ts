import type { ColoniesClient, Executor, Process } from '@pollinator/colonies-client';
import { PROCESS_STATE_NAMES, processStateName, type ProcessStateName } from './events';
import { processCause, type ProcessCause } from './process-cause';
import { processExitCode } from './process-outcome';
import { processQueue, type ProcessQueue } from './process-queue';

/** A process as `pollinator status` / `listProcesses` shows it (plain JSON). */
export interface ProcessSummary {
  processId: string;
  state: ProcessStateName;
  /** The project name for Pollinator processes (the spec's `label`). */
  label: string;
  funcName: string;
  executorType: string;
  submissionTime: string;
  startTime: string;
  endTime: string;
  retries: number;
  errors: string[];
  /** Exit code per docs/exit-codes.md, for finished processes. */
  exitCode?: number;
  /** Why the job failed, when its executor recorded it (process-cause.ts). */
  cause?: ProcessCause;
  /** Where its job waits in the scheduler's queue, while it does (process-queue.ts). */
  queue?: ProcessQueue;
}

export function summarizeProcess(process: Process): ProcessSummary {
  const state = processStateName(process.state);
  const summary: ProcessSummary = {
    processId: process.processid,
    state,
    label: process.spec.label,
    funcName: process.spec.funcname,
    executorType: process.spec.conditions.executortype,
    submissionTime: process.submissiontime,
    startTime: process.starttime,
    endTime: process.endtime,
    retries: process.retries,
    errors: [...(process.errors ?? [])],
  };
  if (state === 'success' || state === 'failed' || state === 'cancelled') {
    summary.exitCode = processExitCode(process).exitCode;
  }
  const cause = processCause(process);
  if (cause) summary.cause = cause;
  const queue = processQueue(process);
  if (queue) summary.queue = queue;
  return summary;
}

export interface ListProcessesOptions {
  client: ColoniesClient;
  colonyName?: string;
  /** One state, or all of them (default). */
  state?: ProcessStateName | 'all';
  /** Only processes of this project (their `label`). */
  projectName?: string;
  /** At most this many per state (1–100, default 100). */
  count?: number;
  signal?: AbortSignal;
  /**
   * Told about each process the client could not decode (the others are still
   * listed). Without it, the first one fails the whole listing.
   */
  onUnreadable?: (process: UnreadableProcessSummary) => void;
}

/** A process of a listing that could not be decoded (`UnreadableProcessError` of the client). */
export interface UnreadableProcessSummary {
  /** Its id when the raw reply showed it. */
  processId?: string;
  /** The state that was listed. */
  state: ProcessStateName;
  /** Why it could not be read (one line). */
  reason: string;
}

/** Processes of the colony (or of one project), newest states first: running, waiting, then finished. */
export async function listProcesses(options: ListProcessesOptions): Promise<ProcessSummary[]> {
  const states =
    options.state === undefined || options.state === 'all'
      ? (['running', 'waiting', 'failed', 'cancelled', 'success'] as const)
      : [options.state];
  const lists = await Promise.all(
    states.map(async (state) => {
      const listing = await options.client.getProcessListing(
        {
          state: PROCESS_STATE_NAMES.indexOf(state) as 0 | 1 | 2 | 3 | 4,
          count: options.count ?? 100,
          ...(options.projectName === undefined ? {} : { label: options.projectName }),
          ...(options.colonyName === undefined ? {} : { colonyName: options.colonyName }),
        },
        { ...(options.signal === undefined ? {} : { signal: options.signal }) },
      );
      return { state, ...listing };
    }),
  );
  for (const { state, unreadable } of lists) {
    for (const error of unreadable) {
      if (options.onUnreadable === undefined) throw error;
      options.onUnreadable({ ...(error.processId === undefined ? {} : { processId: error.processId }), state, reason: error.reason });
    }
  }
  return lists.flatMap((listing) => listing.processes).map(summarizeProcess);
}

/** Get one process as a summary (`pollinator status <id>`). */
export async function getProcessSummary(options: { client: ColoniesClient; processId: string; signal?: AbortSignal }): Promise<ProcessSummary> {
  return summarizeProcess(
    await options.client.getProcess(options.processId, { ...(options.signal === undefined ? {} : { signal: options.signal }) }),
  );
}

/**
 * Cancel a waiting or running process (`pollinator cancel <id>`). The
 * executor stops the job; following it then ends with exit code 130.
 */
export async function cancelProcess(options: { client: ColoniesClient; processId: string; signal?: AbortSignal }): Promise<void> {
  await options.client.cancelProcess(options.processId, { ...(options.signal === undefined ? {} : { signal: options.signal }) });
}

/** An executor as `pollinator executors` shows it. */
export interface ExecutorSummary {
  name: string;
  type: string;
  id: string;
  state: 'pending' | 'approved' | 'rejected' | 'unregistered';
  lastHeardFrom: string;
  location: string;
}

const EXECUTOR_STATES = ['pending', 'approved', 'rejected', 'unregistered'] as const;

export function summarizeExecutor(executor: Executor): ExecutorSummary {
  return {
    name: executor.executorname,
    type: executor.executortype,
    id: executor.executorid,
    state: EXECUTOR_STATES[executor.state] ?? 'pending',
    lastHeardFrom: executor.lastheardfromtime,
    location: executor.locationname ?? '',
  };
}

/** Executors of the colony (`pollinator executors`). */
export async function listExecutors(options: { client: ColoniesClient; colonyName?: string; signal?: AbortSignal }): Promise<ExecutorSummary[]> {
  const executors = await options.client.getExecutors({
    ...(options.colonyName === undefined ? {} : { colonyName: options.colonyName }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return executors.map(summarizeExecutor);
}
