/**
 * `runExecutor()`: the ColonyOS executor runtime. Everything platform-specific
 * is in the `Backend`; the runtime owns registration, the assign loop (which
 * is also the heartbeat), validation, CFS staging, log streaming, cancel and
 * deadline handling, result upload, the exit code, closing, cleanup and crash
 * safety. See docs/running-an-executor.md. This file wires the parts:
 *
 * - `executor-options.ts`: the options resolved once (aliases, defaults, clock)
 * - `executor-identity.ts`: registration, or the pre-registered key
 * - `executor-reporter.ts`: events, process logs, attributes and closes
 * - `executor-staging*.ts`: CFS staging, confined to the staging root
 * - `executor-job-session.ts`: one process from assign to close
 *   (`executor-job-follow.ts` streams and watches, `executor-close-decision.ts` decides the close)
 * - `executor-capacity.ts`, `executor-assign-loop.ts`: admission and the assign loop
 * - `executor-job-resume.ts`, `executor-startup.ts`: restart and start
 * - `state-dir-lock.ts`, `executor-state.ts`: one executor per state dir, crash safety
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cfsMetadataFromClient, type CfsMetadata } from '@pollinator/cfs-sync';
import { runAssignLoop } from './executor-assign-loop';
import type { ExecutorContext } from './executor-context';
import { removeIdentity } from './executor-identity';
import { colonyOption, resolveExecutorOptions, type ExecutorSettings } from './executor-options';
import { ExecutorReporter, type ExecutorConnection } from './executor-reporter';
import { RunningJobs } from './executor-running-jobs';
import { createExecutorStaging, type ExecutorStaging } from './executor-staging';
import { ExecutorStateFile } from './executor-state';
import { startExecutor, type ExecutorReady } from './executor-startup';
import type { RunExecutorOptions, RunningExecutor, ShutdownMode } from './executor-types';
import { lockStateDir } from './state-dir-lock';

export { defaultCapabilities } from './executor-identity';
export type {
  CallOptions,
  ExecutorCapabilities,
  ExecutorClient,
  ExecutorEvent,
  ExecutorProcess,
  ExecutorRegistration,
  RunExecutorOptions,
  RunningExecutor,
  ShutdownMode,
} from './executor-types';
export type { ExecutorClock, ExecutorTimer } from './executor-clock';

/** The state file, under the state dir's lock (released again when the file cannot be read). */
function openState(stateDir: string): { state: ExecutorStateFile; releaseLock: () => void } {
  const releaseLock = lockStateDir(stateDir);
  try {
    return { state: new ExecutorStateFile(join(stateDir, 'executor-state.json')), releaseLock };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

function stagingFor(settings: ExecutorSettings, connection: ExecutorConnection, reporter: ExecutorReporter, jobs: RunningJobs): ExecutorStaging {
  let metadata: CfsMetadata | undefined;
  return createExecutorStaging({
    fsDir: settings.fsDir,
    stateDir: settings.stateDir,
    cfs: settings.cfs,
    // Read through the executor's own client, once it has one (after registration).
    metadata: () => settings.cfs?.metadata ?? (metadata ??= cfsMetadataFromClient(connection.client, settings.colonyName)),
    removeSnapshot: (snapshotId) => connection.client.removeSnapshot({ snapshotId, ...colonyOption(settings) }),
    log: (processId, message) => reporter.log(processId, message),
    warn: (processId, message) => reporter.warn(message, { processId }),
    dirsOfOthers: (processId) => jobs.dirsOfOthers(processId),
  });
}

/** Starts an executor. It runs until `stop()`, the abort signal, or (with `handleSignals`) SIGTERM/SIGINT. */
export function runExecutor(input: RunExecutorOptions): RunningExecutor {
  const settings = resolveExecutorOptions(input);
  mkdirSync(settings.stateDir, { recursive: true });
  mkdirSync(settings.fsDir, { recursive: true });
  const { state, releaseLock } = openState(settings.stateDir);
  const connection: ExecutorConnection = { client: settings.client };
  const reporter = new ExecutorReporter(connection, settings.onEvent);
  const jobs = new RunningJobs(settings.fsDir, reporter, settings.clock);
  let shutdownMode: ShutdownMode | undefined;
  const context: ExecutorContext = {
    settings,
    connection,
    state,
    reporter,
    jobs,
    staging: stagingFor(settings, connection, reporter, jobs),
    shutdownMode: () => shutdownMode,
  };

  const stopController = new AbortController();
  const requestStop = (mode: ShutdownMode): void => {
    if (shutdownMode) return;
    shutdownMode = mode;
    reporter.emit({ type: 'shutdown', mode });
    stopController.abort();
    jobs.stopAll(mode);
  };
  const onSignal = () => requestStop(settings.shutdown);
  if (settings.handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  if (settings.signal) {
    if (settings.signal.aborted) requestStop(settings.shutdown);
    else settings.signal.addEventListener('abort', onSignal, { once: true });
  }

  const ready = startExecutor(context);
  ready.catch(() => undefined);
  const done = (async () => {
    try {
      await ready;
      await runAssignLoop(context, stopController.signal);
      await jobs.settle();
      await removeIdentity(context, shutdownMode);
      await settings.backend.close?.();
    } finally {
      releaseLock();
      if (settings.handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      settings.signal?.removeEventListener('abort', onSignal);
    }
  })();
  done.catch(() => undefined);

  return {
    ready: ready satisfies Promise<ExecutorReady>,
    done,
    async stop(mode?: ShutdownMode) {
      requestStop(mode ?? settings.shutdown);
      await done;
    },
    running: () => jobs.ids(),
  };
}
