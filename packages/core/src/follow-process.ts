import { delay } from '@pollinator/backend';
import { ColoniesClientError, type ColoniesClient, type Process } from '@pollinator/colonies-client';
import { startRun, type PollinatorRun } from './event-channel';
import {
  isTerminalState,
  processStateName,
  type PollinatorEvent,
  type ProcessStateEvent,
  type RunResult,
} from './events';
import { ExitCode } from './exit-codes';
import { processCause } from './process-cause';
import { processExitCode } from './process-outcome';
import { followSchedule, nextFollowStep, type FollowObservation } from './follow-process-schedule';
import { FollowLogReader } from './follow-process-logs';
import { serverWaitsForLogs } from './follow-process-wait';
import { processQueue } from './process-queue';

/** The client methods following needs. */
export type FollowClient = Pick<ColoniesClient, 'getLogs' | 'getProcess' | 'cancelProcess'>;

export interface FollowProcessOptions {
  client: FollowClient;
  processId: string;
  /** Colony of the process (default: the client's). */
  colonyName?: string;
  /**
   * Stops following. The process keeps running (the result is `detached`,
   * exit code 130) unless `cancelOnAbort` is set.
   */
  signal?: AbortSignal;
  /** Cancel the process when `signal` aborts (default false: detach). */
  cancelOnAbort?: boolean;
  /** Yield log lines (default true). */
  logs?: boolean;
  /**
   * Delay between polls when nothing changed (default 500 ms, as the original
   * Pollinator). While lines flow the log is read more often and the process
   * less (follow-process-schedule.ts); against the dev-server the server
   * holds each log read until a line arrives (follow-process-wait.ts).
   */
  pollIntervalMs?: number;
  /** How long the server may stay unreachable before giving up with CONNECTION_LOST (default 60 s). */
  connectionTimeoutMs?: number;
}

/**
 * Follows a submitted process until it ends: `process.state` on every change,
 * every `log` line exactly once and in order (exact int64 cursor), then
 * `done` with the exit code (docs/exit-codes.md). Use it for a detached run
 * (`pollinator logs <id>`).
 */
export function followProcess(options: FollowProcessOptions): PollinatorRun<PollinatorEvent, RunResult> {
  return startRun<PollinatorEvent, RunResult>(
    (emit) => followUntilDone(options, emit),
    (result) => ({ type: 'done', result }),
  );
}

/** The follow loop shared by `followProcess()` and `runProject()`. */
export async function followUntilDone(
  options: FollowProcessOptions,
  emit: (event: PollinatorEvent) => void,
): Promise<RunResult> {
  const { client, processId, signal } = options;
  const connectionTimeoutMs = options.connectionTimeoutMs ?? 60_000;
  const wantLogs = options.logs ?? true;
  const schedule = followSchedule(options.pollIntervalMs);
  let last: { state: number; retries: number; queue: string } | undefined;
  let processAt = -Infinity;
  const mode = wantLogs && (await serverWaitsForLogs(client, options.colonyName)) ? 'wait' : 'poll';
  const logs = new FollowLogReader({ client, processId, colonyName: options.colonyName, signal, wantLogs, waitMs: schedule.waitMs, emit }, mode);
  const observe = (lines: number): FollowObservation => {
    const now = Date.now();
    const since = (time: number) => now - time;
    return { mode: logs.mode, state: last?.state, lines, sinceLinesMs: since(logs.linesAt), sinceLogReadMs: since(logs.logReadAt), sinceProcessMs: since(processAt) };
  };

  let step = nextFollowStep(observe(0), schedule);
  for (;;) {
    if (signal?.aborted) return onAbort(options, last?.state, emit);
    let lines = 0;
    try {
      if (step.logs === 'get') lines = await logs.drain();
      else if (step.logs === 'wait' && wantLogs && last !== undefined) lines = await logs.wait(last.state);
      if (step.process || !wantLogs) {
        const process = await client.getProcess(processId, { signal });
        logs.lastContact = processAt = Date.now();
        // Nothing was read while it waited: its first lines come before its new state.
        if (step.logs === 'none' && process.state !== last?.state) lines += await logs.drain();
        const queue = JSON.stringify(processQueue(process) ?? null);
        if (last === undefined || last.state !== process.state || last.retries !== process.retries || last.queue !== queue) {
          last = { state: process.state, retries: process.retries, queue };
          emit(stateEvent(process));
        }
        if (isTerminalState(process.state)) {
          // Executors can add logs only while the process runs: after a final
          // state the logs are complete, so one more drain gets the tail.
          await logs.drain();
          return finalResult(processId, process);
        }
      }
    } catch (error) {
      if (signal?.aborted) return onAbort(options, last?.state, emit);
      const transient = ColoniesClientError.isInstance(error) && error.retryable;
      if (!transient || Date.now() - logs.lastContact >= connectionTimeoutMs) return connectionLost(processId, last?.state, error, emit);
      // Unreachable: wait the idle pause before trying again, whatever the mode.
      step = { delayMs: schedule.idleIntervalMs, logs: last?.state === 0 ? 'none' : 'get', process: true };
      await sleep(step.delayMs, signal);
      continue;
    }
    step = nextFollowStep(observe(lines), schedule);
    if (step.delayMs > 0) await sleep(step.delayMs, signal);
  }
}

function connectionLost(
  processId: string,
  lastState: number | undefined,
  error: unknown,
  emit: (event: PollinatorEvent) => void,
  doing = 'following',
): RunResult {
  const message = `lost the connection to the Colonies server while ${doing} process ${processId}: ${(error as Error).message}`;
  emit({ type: 'error', code: 'CONNECTION_LOST', message, exitCode: ExitCode.CONNECTION_LOST });
  return {
    processId,
    state: lastState === undefined ? 'waiting' : processStateName(lastState),
    exitCode: ExitCode.CONNECTION_LOST,
    detached: true,
    error: { code: 'CONNECTION_LOST', message },
  };
}

function finalResult(processId: string, process: Process): RunResult {
  const outcome = processExitCode(process);
  return {
    processId,
    state: outcome.state,
    exitCode: outcome.exitCode,
    detached: false,
    ...(outcome.state === 'success' || outcome.reason === undefined
      ? {}
      : { error: { code: `PROCESS_${outcome.state.toUpperCase()}`, message: outcome.reason } }),
  };
}

async function onAbort(
  options: FollowProcessOptions,
  lastState: number | undefined,
  emit: (event: PollinatorEvent) => void,
): Promise<RunResult> {
  const { client, processId } = options;
  if (options.cancelOnAbort === true) {
    try {
      await client.cancelProcess(processId);
    } catch (error) {
      // Already finished (the server refuses to cancel it), or unreachable: report what is known.
      const message = `could not cancel process ${processId}: ${(error as Error).message}`;
      emit({ type: 'warning', message });
    }
    // Wait (briefly, without the aborted signal) for the server to show the final state.
    const deadline = Date.now() + 10_000;
    for (;;) {
      let process: Process;
      try {
        process = await client.getProcess(processId);
      } catch (error) {
        return connectionLost(processId, lastState, error, emit, 'cancelling');
      }
      if (isTerminalState(process.state) || Date.now() > deadline) {
        emit(stateEvent(process));
        const outcome = processExitCode(process);
        if (!isTerminalState(process.state)) {
          return {
            processId,
            state: outcome.state,
            exitCode: ExitCode.CANCELLED,
            detached: true,
            error: { code: 'CANCELLED', message: `cancel of process ${processId} requested; it has not stopped yet` },
          };
        }
        return {
          processId,
          state: outcome.state,
          exitCode: outcome.exitCode,
          detached: false,
          ...(outcome.state === 'cancelled'
            ? { error: { code: 'CANCELLED', message: `process ${processId} was cancelled` } }
            : outcome.state === 'success' || outcome.reason === undefined
              ? {}
              : { error: { code: `PROCESS_${outcome.state.toUpperCase()}`, message: outcome.reason } }),
        };
      }
      await sleep(200);
    }
  }
  const state = lastState === undefined ? 'waiting' : processStateName(lastState);
  return {
    processId,
    state,
    exitCode: ExitCode.CANCELLED,
    detached: true,
    error: {
      code: 'DETACHED',
      message: `stopped following process ${processId}; it keeps running (follow it again, or cancel it, by its id)`,
    },
  };
}

export function stateEvent(process: Pick<Process, 'processid' | 'state' | 'errors' | 'retries'> & Partial<Pick<Process, 'attributes'>>): ProcessStateEvent {
  const cause = processCause(process);
  const queue = processQueue(process);
  return {
    type: 'process.state',
    processId: process.processid,
    state: processStateName(process.state),
    errors: [...(process.errors ?? [])],
    retries: process.retries,
    ...(cause ? { cause } : {}),
    ...(queue ? { queue } : {}),
  };
}

/** Resolves after `ms` (any length), or at once when `signal` aborts (never rejects): the backend kit's `delay`. */
export const sleep = delay;
