/**
 * `runExecutor()`: the ColonyOS executor runtime. Everything platform-specific
 * is in the `Backend`; this file owns registration, the assign loop (which is
 * also the heartbeat), validation, CFS staging, log streaming, cancel and
 * deadline handling, result upload, the exit code, closing, cleanup and crash
 * safety. See docs/running-an-executor.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { cfsMetadataFromClient, removeStaleTempFiles, type CfsMetadata } from '@pollinator/cfs-sync';
import { UnreadableProcessError } from '@pollinator/colonies-client';
import { isFinalJobStatus } from './backend';
import type { JobHandle, JobRequest, JobStatus, LogCursor } from './backend';
import { setChunkedTimeout } from './chunked-timer';
import { createExecutorStaging } from './executor-staging';
import type {
  ExecutorCapabilities,
  ExecutorClient,
  ExecutorEvent,
  ExecutorProcess,
  RunExecutorOptions,
  RunningExecutor,
  ShutdownMode,
} from './executor-types';
import { sleep } from './follow-process';
import { isAncestorPath, SpecFieldError, stagedDirectories, type StagedDirectory } from './staging-paths';
import { BackendError } from './backend-error';
import { EXIT_CODE_ATTRIBUTE, ExitCode } from './exit-codes';
import { LogBatcher } from './executor-log-batcher';
import { ExecutorStateFile, type ExecutorJobRecord } from './executor-state';
import { lockStateDir } from './state-dir-lock';
import {
  buildCommand,
  executorError,
  jobPlacement,
  jobResources,
  parseKwargs,
  substituteProcessId,
  validateFunctionSpec,
  type ExecutorSpec,
} from './validate-spec';

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

/** Process states (ColonyOS). */
const RUNNING = 1;
const CANCELLED = 4;
/** Attribute types (ColonyOS). */
const ATTRIBUTE_OUT = 1;
const ATTRIBUTE_ENV = 3;

class StopJob extends Error {
  constructor(readonly reason: 'cancelled' | 'lost' | 'deadline' | 'detach' | 'shutdown-cancel', message: string) {
    super(message);
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function parseDeadline(text: string | undefined): number | null {
  if (!text || text.startsWith('0001-')) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : time;
}

/** This machine, in the v1.9.6+ capabilities shape (used when registration gives none). */
export function defaultCapabilities(): ExecutorCapabilities {
  const cpus = os.cpus();
  return {
    hardware: [
      {
        model: cpus[0]?.model.trim() ?? '',
        nodes: 1,
        cpu: `${cpus.length * 1000}m`,
        cores: cpus.length,
        mem: `${Math.floor(os.totalmem() / 1024 ** 2)}Mi`,
        storage: '',
        gpu: { name: '', mem: '', count: 0, nodecount: 0 },
        platform: os.platform(),
        architecture: os.arch(),
        network: [],
      },
    ],
    software: [{ name: 'pollinator-executor', type: 'runtime', version: `node ${process.version}` }],
  };
}

function generatePrivateKey(): string {
  // A uniformly random 256-bit value is a valid secp256k1 key with overwhelming
  // probability; the client re-checks it (`as()` rejects 0 and ≥ n).
  return randomBytes(32).toString('hex');
}

function normaliseOptions(input: RunExecutorOptions): RunExecutorOptions {
  const options = { ...input };
  if (!options.cfs && options.blobStore) options.cfs = { store: options.blobStore };
  if (!options.stateDir && options.stateFile) options.stateDir = dirname(options.stateFile);
  options.maxConcurrency ??= options.concurrency;
  options.executorName ??= options.name;
  if (!options.stateDir) throw new TypeError('runExecutor: stateDir is required');
  if (!options.fsDir) throw new TypeError('runExecutor: fsDir is required');
  return options;
}

/** Starts an executor. It runs until `stop()`, the abort signal, or (with `handleSignals`) SIGTERM/SIGINT. */
export function runExecutor(input: RunExecutorOptions): RunningExecutor {
  const options = normaliseOptions(input);
  const backend = options.backend;
  const maxConcurrency = Math.max(1, options.maxConcurrency ?? 4);
  const assignTimeout = Math.max(1, Math.round(options.assignTimeoutSeconds ?? 10));
  const heartbeatMs = options.heartbeatIntervalMs ?? 240_000;
  const watchMs = options.watchIntervalMs ?? 2000;
  const emit = (event: ExecutorEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // a listener's failure is not the executor's
    }
  };

  mkdirSync(options.stateDir, { recursive: true });
  mkdirSync(options.fsDir, { recursive: true });
  const releaseLock = lockStateDir(options.stateDir);
  let state: ExecutorStateFile;
  try {
    state = new ExecutorStateFile(join(options.stateDir, 'executor-state.json'));
  } catch (error) {
    releaseLock();
    throw error;
  }

  let client: ExecutorClient = options.client;
  const executorName = options.register?.name ?? options.executorName;
  let metadata: CfsMetadata | undefined;
  const colonyName = options.colonyName ?? options.client.colonyName;

  const running = new Map<string, RunningJob>();
  let stopping: ShutdownMode | undefined;
  const stopController = new AbortController();
  let slotFreed: () => void = () => undefined;
  let resolveReady!: (value: { executorName: string | undefined; executorId: string }) => void;
  let rejectReady!: (error: unknown) => void;
  const ready = new Promise<{ executorName: string | undefined; executorId: string }>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);

  // ------------------------------------------------------------------ identity

  async function register(): Promise<void> {
    const registration = options.register;
    if (!registration) {
      if (!client.id) throw new Error('runExecutor: the client has no private key (the executor key, COLONIES_PRVKEY)');
      return;
    }
    const owner = options.client.as(registration.colonyPrivateKey);
    const saved = state.executor;
    if (saved && saved.name === registration.name) {
      // Restarted: keep the same identity so the processes assigned to it stay ours.
      const mine = options.client.as(saved.privateKey);
      try {
        const existing = await mine.getExecutor(registration.name, colonyName ? { colonyName } : undefined);
        if (existing.executorid === saved.id) {
          if (existing.state !== 1) await owner.approveExecutor(registration.name, colonyName ? { colonyName } : undefined);
          client = mine;
          return;
        }
      } catch {
        // gone (removed, or deleted as stale): register again below with the same key
      }
    }
    const privateKey = saved && saved.name === registration.name ? saved.privateKey : generatePrivateKey();
    const mine = options.client.as(privateKey);
    await owner.addExecutor({
      executorid: mine.id!,
      executorname: registration.name,
      executortype: registration.type ?? 'container-executor',
      ...(colonyName ? { colonyname: colonyName } : {}),
      ...(registration.locationName ? { locationname: registration.locationName } : {}),
      capabilities: registration.capabilities ?? defaultCapabilities(),
    });
    await owner.approveExecutor(registration.name, colonyName ? { colonyName } : undefined);
    state.setExecutor({ name: registration.name, id: mine.id!, privateKey });
    client = mine;
  }

  async function unregister(): Promise<void> {
    const registration = options.register;
    if (!registration || registration.removeOnShutdown === false || stopping === 'detach') return;
    if (state.jobs().length > 0) return; // jobs left for a restart: keep the identity
    try {
      await options.client.as(registration.colonyPrivateKey).removeExecutor(registration.name, colonyName ? { colonyName } : undefined);
      state.setExecutor(null);
    } catch (error) {
      emit({ type: 'warning', message: `could not remove executor ${registration.name}: ${errorText(error)}`, cause: error });
    }
  }

  // ------------------------------------------------------------------ reporting

  async function safeLog(processId: string, message: string): Promise<void> {
    try {
      await client.addLog(processId, message);
    } catch {
      // the process may be closed or no longer ours: nothing to add to
    }
  }

  async function recordExitCode(processId: string, exitCode: number): Promise<void> {
    try {
      await client.addAttribute({ processId, key: EXIT_CODE_ATTRIBUTE, value: String(exitCode), type: ATTRIBUTE_OUT });
    } catch (error) {
      emit({ type: 'warning', processId, message: `could not record the exit code: ${errorText(error)}`, cause: error });
    }
  }

  async function closeFailed(processId: string, message: string, exitCode?: number): Promise<void> {
    await safeLog(processId, `${message}\n`);
    if (exitCode !== undefined) await recordExitCode(processId, exitCode);
    try {
      await client.closeFailed(processId, [message]);
      emit({ type: 'process.closed', processId, success: false, error: message, ...(exitCode !== undefined ? { exitCode } : {}) });
    } catch (error) {
      emit({ type: 'warning', processId, message: `could not close the process failed: ${errorText(error)}`, cause: error });
    }
  }

  async function closeUnreadable(error: UnreadableProcessError): Promise<void> {
    const processId = error.processId;
    emit({ type: 'warning', message: `assigned a process this executor cannot read: ${error.message}`, cause: error, ...(processId ? { processId } : {}) });
    if (!processId) return;
    await closeFailed(processId, executorError(`the executor could not read the process (${error.message})`, 'Failed to parse process'));
  }

  async function closeSuccessful(processId: string): Promise<void> {
    await recordExitCode(processId, 0);
    try {
      await client.closeSuccessful(processId);
      emit({ type: 'process.closed', processId, success: true, exitCode: 0 });
    } catch (error) {
      emit({ type: 'warning', processId, message: `could not close the process: ${errorText(error)}`, cause: error });
    }
  }

  // ------------------------------------------------------------------ CFS staging

  const staging = createExecutorStaging({
    fsDir: options.fsDir,
    stateDir: options.stateDir,
    cfs: options.cfs,
    metadata: cfsMetadata,
    removeSnapshot: (snapshotId) => client.removeSnapshot({ snapshotId, ...(colonyName ? { colonyName } : {}) }),
    log: safeLog,
    warn: (processId, message) => emit({ type: 'warning', processId, message }),
    dirsOfOthers,
  });

  /** Staging dirs (host paths) of the other processes running now. */
  function dirsOfOthers(processId: string): string[] {
    return [...running.entries()].filter(([id]) => id !== processId).flatMap(([, job]) => job.dirs);
  }

  function cfsMetadata(): CfsMetadata {
    if (options.cfs?.metadata) return options.cfs.metadata;
    metadata ??= cfsMetadataFromClient(client, colonyName);
    return metadata;
  }

  /** The spec's staging dirs, or [] when they are invalid (refused before staging; nothing was staged). */
  function stagedDirsOf(processId: string, spec: ExecutorSpec): StagedDirectory[] {
    try {
      return stagedDirectories(spec, options.fsDir, processId);
    } catch {
      return [];
    }
  }

  /**
   * Why the spec's staging cannot be used (`ContainerExecutor: …` naming the
   * field), checked before any staging work: a bad dir or label, or a dir
   * that is an ancestor of one another running process uses.
   */
  function stagingProblem(processId: string, spec: ExecutorSpec): string | undefined {
    let dirs: StagedDirectory[];
    try {
      dirs = stagedDirectories(spec, options.fsDir, processId);
    } catch (error) {
      if (error instanceof SpecFieldError) return executorError(`Invalid funcspec, ${error.message}`, 'Failed to validate funcspec');
      throw error;
    }
    const others = dirsOfOthers(processId);
    for (const dir of dirs) {
      const below = others.find((other) => isAncestorPath(dir.hostPath, other));
      if (below !== undefined) {
        return executorError(
          `Invalid funcspec, ${dir.field} ${JSON.stringify(dir.dir)} contains ${JSON.stringify(below.slice(options.fsDir.replace(/\/$/, '').length))}, the staging directory of another running process`,
          'Failed to validate funcspec',
        );
      }
    }
    return undefined;
  }

  // ------------------------------------------------------------------ one process

  // What no job may see or reach: the executor's own state (its key, the
  // state file, other jobs' work dirs), the whole staging root (a job gets
  // its own staged dirs as mounts, nothing else of it) and what the caller adds.
  const protectedPaths = [...new Set([options.stateDir, options.fsDir, ...(options.protectedPaths ?? [])].map((path) => resolve(path)))];

  function jobRequest(process: ExecutorProcess, workDir: string, dirs: StagedDirectory[]): JobRequest | { error: string } {
    const spec = process.spec;
    const kwargs = parseKwargs(spec);
    if ('error' in kwargs) return { error: executorError(kwargs.error) };
    const env: Record<string, string> = { ...(spec.env ?? {}), COLONIES_PROCESS_ID: process.processid };
    // One mount per staged dir of this job, never the whole staging root (issue #13, case 2).
    const mounts = new Map(
      [...dirs]
        .sort((a, b) => a.containerPath.localeCompare(b.containerPath))
        .map((dir) => [dir.containerPath, { hostPath: dir.hostPath, containerPath: dir.containerPath }]),
    );
    return {
      processId: process.processid,
      image: kwargs.image,
      rebuildImage: kwargs.rebuildImage,
      initCommand: substituteProcessId(kwargs.initCommand, process.processid),
      command: buildCommand(kwargs, process.processid),
      env,
      resources: jobResources(spec),
      mounts: [...mounts.values()],
      protectedPaths,
      placement: jobPlacement(spec),
      workDir,
    };
  }

  interface RunningJob {
    controller: AbortController;
    cpu: number;
    mem: number;
    dirs: string[];
    task: Promise<void>;
  }

  function finishedJob(processId: string, entry: RunningJob): void {
    if (running.get(processId) === entry) running.delete(processId);
    slotFreed();
  }

  /**
   * Follows a started job to the end: streams its logs, watches for cancel and
   * the deadline, then uploads, records the exit code, closes and cleans up.
   */
  async function follow(process: ExecutorProcess, record: ExecutorJobRecord, handle: JobHandle, controller: AbortController): Promise<void> {
    const processId = process.processid;
    const spec = process.spec;
    let stopReason: StopJob | undefined;
    let deadline = record.deadline;
    let lastPersist = 0;
    let cursor: LogCursor = record.cursor;
    const batcher = new LogBatcher({
      ...options.logs,
      send: async (batch) => {
        if (stopReason && stopReason.reason !== 'deadline' && stopReason.reason !== 'shutdown-cancel') return;
        for (let attempt = 0; ; attempt += 1) {
          try {
            await client.addLog(processId, batch.text);
            break;
          } catch (error) {
            const status = statusOf(error);
            if ((status !== undefined && status >= 400 && status < 500) || attempt >= 3) {
              // Refused (closed, cancelled, no longer ours): the watcher finds out why.
              void check().catch(() => undefined);
              return;
            }
            await sleep(500 * 2 ** attempt);
          }
        }
        if (batch.cursor !== undefined) {
          cursor = batch.cursor;
          if (Date.now() - lastPersist > 1000) {
            lastPersist = Date.now();
            state.update(processId, { cursor });
          }
        }
      },
    });

    const logAbort = new AbortController();
    const stopFollowing = (reason: StopJob) => {
      stopReason ??= reason;
    };
    const onAbort = () => {
      const reason = controller.signal.reason as StopJob | undefined;
      stopFollowing(reason instanceof StopJob ? reason : new StopJob('detach', 'executor shutting down'));
      if (stopReason?.reason === 'detach') logAbort.abort();
    };
    if (controller.signal.aborted) onAbort();
    else controller.signal.addEventListener('abort', onAbort, { once: true });

    async function check(): Promise<void> {
      if (stopReason) return;
      const deadlineStop = () =>
        new StopJob('deadline', `maxexectime of ${spec.maxexectime} s exceeded, the job was stopped`);
      let current: ExecutorProcess;
      try {
        current = await client.getProcess(processId);
      } catch (error) {
        if (statusOf(error) === 404) {
          stopFollowing(new StopJob('lost', 'the process was removed from the colony'));
        } else if (deadline !== null && Date.now() >= deadline - deadlineMargin()) {
          // The server is out of reach: the deadline still holds.
          stopFollowing(deadlineStop());
        }
        return;
      }
      deadline = parseDeadline(current.execdeadline) ?? deadline;
      if (current.state === CANCELLED) {
        stopFollowing(new StopJob('cancelled', 'the process was cancelled'));
      } else if (current.state !== RUNNING || (client.id && current.assignedexecutorid && current.assignedexecutorid !== client.id)) {
        stopFollowing(new StopJob('lost', 'the process is no longer assigned to this executor (re-queued or closed by the server)'));
      } else if (deadline !== null && Date.now() >= deadline - deadlineMargin()) {
        stopFollowing(deadlineStop());
      }
    }

    // Stop a little before the server's own deadline, so that our close (with
    // the exit code) reaches it before it re-queues or fails the process.
    function deadlineMargin(): number {
      return Math.min(2000, Math.max(0, spec.maxexectime) * 100);
    }
    // Backend attributes (SLURM-JOBID, NODES, K8S-NAMESPACE, …) are recorded once,
    // as soon as the job is seen running — or, for a job shorter than one watch
    // tick, when its final status is read before the close.
    let attributesSent = false;
    async function recordAttributes(status: JobStatus): Promise<void> {
      if (attributesSent || !backend.attributes || status.state === 'pending') return;
      attributesSent = true;
      try {
        const attributes = await backend.attributes(handle);
        for (const [key, value] of Object.entries(attributes)) {
          await client.addAttribute({ processId, key, value, type: ATTRIBUTE_ENV }).catch(() => undefined);
        }
      } catch {
        // attributes are informational
      }
    }
    const watcher = (async () => {
      while (!stopReason && !logAbort.signal.aborted) {
        const untilDeadline = deadline === null ? Infinity : deadline - deadlineMargin() - Date.now();
        await sleep(Math.max(10, Math.min(watchMs, untilDeadline)), logAbort.signal);
        if (logAbort.signal.aborted) return;
        await check().catch(() => undefined);
        if (!attributesSent && backend.attributes) {
          await recordAttributes(await backend.status(handle).catch((): JobStatus => ({ state: 'pending', reason: '' })));
        }
        const reason = stopReason as StopJob | undefined;
        if (reason && reason.reason !== 'detach') {
          // Cancel, deadline, lost or shutdown-cancel: stop the job; logs() then completes.
          await backend.cancel(handle).catch((error: unknown) =>
            emit({ type: 'warning', processId, message: `could not cancel job: ${errorText(error)}`, cause: error }),
          );
          return;
        }
      }
    })();

    // Read the output to its end; a failing read resumes from the last chunk
    // (the cursor contract: no repeat, no gap), with back-off, a few times.
    let readCursor: LogCursor = cursor;
    for (let attempt = 0; !logAbort.signal.aborted; attempt += 1) {
      try {
        for await (const chunk of backend.logs(handle, readCursor, logAbort.signal)) {
          batcher.push(chunk.text, chunk.cursor);
          readCursor = chunk.cursor;
        }
        break;
      } catch (error) {
        if (logAbort.signal.aborted) break;
        emit({ type: 'warning', processId, message: `reading the job output failed: ${errorText(error)}`, cause: error });
        if (attempt >= 5) break;
        await sleep(Math.min(500 * 2 ** attempt, 8000), logAbort.signal);
      }
    }
    if (stopReason && stopReason.reason !== 'detach' && !logAbort.signal.aborted) {
      // make sure the job is really gone before closing
      await backend.cancel(handle).catch(() => undefined);
    }
    logAbort.abort();
    await watcher;
    await batcher.close().catch(() => undefined);
    state.update(processId, { cursor });

    if (stopReason?.reason === 'detach') {
      // Left running for a restarted executor: the state file keeps the handle and cursor.
      return;
    }
    // The job is final (or was stopped): wait for its final status.
    let status = await backend.status(handle).catch((error: unknown): JobStatus => ({ state: 'pending', reason: errorText(error) }));
    for (let tries = 0; !isFinalJobStatus(status) && tries < 150; tries += 1) {
      await sleep(200);
      status = await backend.status(handle).catch((error: unknown): JobStatus => ({ state: 'pending', reason: errorText(error) }));
    }
    if (!isFinalJobStatus(status)) {
      // The output ended but the backend never reported an end: stop the job, fail the process.
      await backend.cancel(handle).catch(() => undefined);
      status = {
        state: 'failed',
        exitCode: null,
        reason: `the ${backend.name} backend reported no end of the job (last status: ${status.state}${'reason' in status ? `, ${status.reason}` : ''})`,
      };
    }
    emit({ type: 'job.finished', processId, status });
    if (stopReason?.reason !== 'cancelled' && stopReason?.reason !== 'lost') await recordAttributes(status);

    if (stopReason?.reason === 'cancelled' || stopReason?.reason === 'lost') {
      // Not ours to close any more (cancelled: the server refuses a close).
      emit({ type: 'process.abandoned', processId, reason: stopReason.message });
    } else {
      const uploadError = await staging.postSync(processId, spec, stagedDirsOf(processId, spec));
      if (stopReason?.reason === 'deadline') {
        await closeFailed(processId, executorError(stopReason.message, 'Failed to execute process'), ExitCode.TIME_LIMIT);
      } else if (stopReason?.reason === 'shutdown-cancel') {
        await closeFailed(processId, executorError('the executor was shut down, the job was cancelled', 'Failed to execute process'));
      } else if (status.state === 'succeeded') {
        if (uploadError) await closeFailed(processId, uploadError, ExitCode.SYNC_FAILED);
        else await closeSuccessful(processId);
      } else if (status.state === 'failed') {
        const message =
          status.timeLimit === true
            ? executorError(status.reason, 'Failed to execute process')
            : status.exitCode !== null
              ? executorError(`Exit with an error, exit code = ${status.exitCode}`, 'Failed to execute process')
              : executorError(status.reason, 'Failed to execute process');
        const exitCode = status.timeLimit ? ExitCode.TIME_LIMIT : (status.exitCode ?? undefined);
        await closeFailed(processId, uploadError ? `${message} (and: ${uploadError})` : message, exitCode);
      } else {
        // Cancelled by the platform (an administrator's scancel, an evicted pod), not by the user.
        const reason = status.state === 'cancelled' ? status.reason : status.state;
        await closeFailed(processId, executorError(`the job was cancelled outside Pollinator (${backend.name}: ${reason})`, 'Failed to execute process'));
      }
    }
    await cleanupJob(processId, spec, handle, record);
  }

  async function cleanupJob(processId: string, spec: ExecutorSpec, handle: JobHandle | null, record: ExecutorJobRecord): Promise<void> {
    await staging.cleanFiles(processId, spec, stagedDirsOf(processId, spec)).catch(() => undefined);
    if (handle) await backend.cleanup?.(handle).catch(() => undefined);
    rmSync(workDirOf(record.processId), { recursive: true, force: true });
    state.remove(processId);
  }

  function workDirOf(processId: string): string {
    return join(options.stateDir, 'jobs', processId);
  }

  async function execute(process: ExecutorProcess, controller: AbortController): Promise<void> {
    const processId = process.processid;
    const spec = process.spec;
    const assignedAt = Date.now();
    const record: ExecutorJobRecord = {
      processId,
      handle: null,
      cursor: '',
      assignedAt: new Date(assignedAt).toISOString(),
      deadline: spec.maxexectime > 0 ? assignedAt + spec.maxexectime * 1000 : null,
    };
    state.put(record);
    emit({ type: 'assigned', processId, funcname: spec.funcname });
    try {
      if (spec.funcname !== 'execute' && spec.funcname !== 'sync') {
        await closeFailed(processId, `Unsupported funcname ${JSON.stringify(spec.funcname)} (this executor runs "execute" and "sync")`);
        return;
      }
      if (spec.funcname === 'execute') {
        const invalid = validateFunctionSpec(spec);
        if (invalid) {
          await closeFailed(processId, executorError(invalid, 'Failed to validate funcspec'));
          return;
        }
      }
      // Before any staging work: a spec's dirs and labels are hostile until checked.
      const stagingInvalid = stagingProblem(processId, spec);
      if (stagingInvalid) {
        await closeFailed(processId, stagingInvalid);
        return;
      }
      const dirs = stagedDirsOf(processId, spec);
      const workDir = workDirOf(processId);
      mkdirSync(workDir, { recursive: true });
      const job = spec.funcname === 'execute' ? jobRequest(process, workDir, dirs) : undefined;
      if (job && 'error' in job) {
        await closeFailed(processId, job.error);
        return;
      }
      try {
        await staging.preSync(processId, spec, dirs);
      } catch (error) {
        await closeFailed(processId, errorText(error), ExitCode.SYNC_FAILED);
        return;
      }
      if (spec.funcname === 'sync' || !job) {
        await closeSuccessful(processId);
        return;
      }
      if (controller.signal.aborted && stopping === 'cancel') {
        await closeFailed(processId, executorError('the executor was shut down before the job started', 'Failed to start job'));
        return;
      }
      let handle: JobHandle;
      try {
        handle = await backend.start(job);
      } catch (error) {
        const message = BackendError.isInstance(error) ? error.message : errorText(error);
        await closeFailed(processId, executorError(message, 'Failed to start job'));
        return;
      }
      record.handle = handle;
      state.update(processId, { handle });
      emit({ type: 'job.started', processId, handle });
      await follow(process, record, handle, controller);
      return;
    } catch (error) {
      // Whatever went wrong, the process must not stay RUNNING for ever.
      if (state.get(processId)?.handle === null) {
        await closeFailed(processId, executorError(`executor error: ${errorText(error)}`, 'Failed to start job'));
      }
      throw error;
    } finally {
      if (state.get(processId)?.handle === null) {
        // Never started (closed above, or a sync): nothing left to follow.
        if (spec.funcname === 'execute') await staging.cleanFiles(processId, spec, stagedDirsOf(processId, spec)).catch(() => undefined);
        rmSync(workDirOf(processId), { recursive: true, force: true });
        state.remove(processId);
      }
    }
  }

  function track(process: ExecutorProcess, run: (controller: AbortController) => Promise<void>): void {
    const controller = new AbortController();
    const spec = process.spec;
    const cpu = (jobResources(spec).cpuMillicores || 0) * Math.max(1, spec.conditions.processespernode) * Math.max(1, spec.conditions.nodes);
    const mem = (jobResources(spec).memoryBytes || 0) * Math.max(1, spec.conditions.nodes);
    const dirs = stagedDirsOf(process.processid, spec).map((dir) => dir.hostPath);
    // The server re-queued a process we were still stopping and gave it back
    // to us: the new run starts once the old one has let go of it.
    const previous = running.get(process.processid)?.task ?? Promise.resolve();
    const entry: RunningJob = { controller, cpu, mem, dirs, task: Promise.resolve() };
    entry.task = previous
      .then(() => run(controller))
      .catch((error: unknown) => {
        emit({ type: 'warning', processId: process.processid, message: `executor error: ${errorText(error)}`, cause: error });
      })
      .finally(() => finishedJob(process.processid, entry));
    running.set(process.processid, entry);
    if (stopping) controller.abort(new StopJob(stopping === 'cancel' ? 'shutdown-cancel' : 'detach', 'executor shutting down'));
  }

  // ------------------------------------------------------------------ restart

  async function resume(record: ExecutorJobRecord): Promise<void> {
    const processId = record.processId;
    let process: ExecutorProcess;
    try {
      process = await client.getProcess(processId);
    } catch (error) {
      if (statusOf(error) === 404) {
        if (record.handle) {
          const again = await backend.reattach?.(record.handle).catch(() => undefined);
          if (again) await backend.cancel(again).catch(() => undefined);
        }
        state.remove(processId);
        return;
      }
      if (UnreadableProcessError.isInstance(error)) {
        // Its spec cannot be read back: stop the job and fail the process rather than leave it RUNNING.
        if (record.handle) {
          const again = await backend.reattach?.(record.handle).catch(() => undefined);
          if (again) await backend.cancel(again).catch(() => undefined);
        }
        await closeFailed(processId, executorError(`the executor could not read the process after a restart (${error.message})`, 'Failed to execute process'));
        rmSync(workDirOf(processId), { recursive: true, force: true });
        state.remove(processId);
        return;
      }
      throw error;
    }
    const ours = process.state === RUNNING && (!process.assignedexecutorid || process.assignedexecutorid === client.id);
    if (!record.handle) {
      // Crashed while staging: the job never started.
      if (ours) {
        await closeFailed(processId, executorError('the executor restarted before the job was started', 'Failed to start job'));
      }
      await staging.cleanFiles(processId, process.spec, stagedDirsOf(processId, process.spec)).catch(() => undefined);
      rmSync(workDirOf(processId), { recursive: true, force: true });
      state.remove(processId);
      return;
    }
    const handle = await (backend.reattach ? backend.reattach(record.handle) : Promise.resolve(undefined)).catch(() => undefined);
    if (!ours) {
      // Cancelled, closed or re-queued while we were down: stop the job if it still runs.
      if (handle) await backend.cancel(handle).catch(() => undefined);
      emit({ type: 'process.abandoned', processId, reason: 'the process was no longer running on this executor after the restart' });
      await cleanupJob(processId, process.spec, handle ?? null, record);
      return;
    }
    if (!handle) {
      await closeFailed(
        processId,
        executorError(
          `executor lost the job: after a restart, the ${backend.name} backend no longer knows job ${record.handle.id}`,
          'Failed to execute process',
        ),
      );
      await cleanupJob(processId, process.spec, null, record);
      return;
    }
    emit({ type: 'job.reattached', processId, handle });
    track(process, (controller) => follow(process, { ...record, handle }, handle, controller));
  }

  // ------------------------------------------------------------------ assign loop

  function available(): { ok: boolean; cpu: string; mem: string } {
    if (running.size >= maxConcurrency) return { ok: false, cpu: '', mem: '' };
    const limits = options.resources;
    let cpu = '';
    let mem = '';
    if (limits?.cpuMillicores) {
      const used = [...running.values()].reduce((sum, job) => sum + job.cpu, 0);
      const free = limits.cpuMillicores - used;
      if (free <= 0) return { ok: false, cpu: '', mem: '' };
      cpu = `${free}m`;
    }
    if (limits?.memoryBytes) {
      const used = [...running.values()].reduce((sum, job) => sum + job.mem, 0);
      const free = Math.floor((limits.memoryBytes - used) / 1024 ** 2);
      if (free <= 0) return { ok: false, cpu: '', mem: '' };
      mem = `${free}Mi`;
    }
    return { ok: true, cpu, mem };
  }

  async function assignLoop(): Promise<void> {
    const initialBackoff = options.assignBackoff?.initialMs ?? 1000;
    const maxBackoff = options.assignBackoff?.maxMs ?? 30_000;
    let backoff = initialBackoff;
    let lastAssign = Date.now();
    while (!stopping) {
      const free = available();
      let request: { timeout: number; availableCpu: string; availableMem: string; colonyName?: string };
      if (free.ok) {
        request = { timeout: assignTimeout, availableCpu: free.cpu, availableMem: free.mem };
      } else {
        // At capacity: wait for a free slot, but keep the heartbeat going with an
        // assign that can match nothing that asks for any cpu or memory.
        const wait = heartbeatMs - (Date.now() - lastAssign);
        if (wait > 0) {
          await new Promise<void>((resolve) => {
            const timer = setChunkedTimeout(resolve, wait);
            slotFreed = () => {
              timer.clear();
              resolve();
            };
            stopController.signal.addEventListener('abort', () => {
              timer.clear();
              resolve();
            }, { once: true });
          });
          slotFreed = () => undefined;
          continue;
        }
        request = { timeout: -1, availableCpu: '0m', availableMem: '0Mi' };
      }
      if (colonyName) request.colonyName = colonyName;
      let assigned: ExecutorProcess | null;
      try {
        lastAssign = Date.now();
        assigned = await client.assign(request);
        backoff = initialBackoff;
      } catch (error) {
        if (UnreadableProcessError.isInstance(error)) {
          // Assigned to us but undecodable: close it failed rather than leave it RUNNING for ever.
          await closeUnreadable(error);
          continue;
        }
        if (stopping) break;
        emit({ type: 'warning', message: `assign failed, retrying in ${backoff / 1000} s: ${errorText(error)}`, cause: error });
        await sleep(backoff, stopController.signal);
        backoff = Math.min(backoff * 2, maxBackoff);
        continue;
      }
      if (assigned) {
        const proc = assigned;
        track(proc, (controller) => execute(proc, controller));
      }
    }
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Temporary files a crashed download left in the staging root (tens of MB
   * each, issue #13 case 11). At start nothing of this executor is staging.
   */
  async function removeLeftovers(): Promise<void> {
    try {
      const removed = await removeStaleTempFiles(options.fsDir);
      if (removed.files > 0) {
        emit({ type: 'warning', message: `removed ${removed.files} temporary file(s) (${removed.bytes} bytes) an interrupted staging left in ${options.fsDir}` });
      }
    } catch (error) {
      emit({ type: 'warning', message: `could not remove leftover temporary files in ${options.fsDir}: ${errorText(error)}`, cause: error });
    }
  }

  function requestStop(mode: ShutdownMode): void {
    if (stopping) return;
    stopping = mode;
    emit({ type: 'shutdown', mode });
    stopController.abort();
    for (const job of running.values()) {
      if (mode === 'detach') job.controller.abort(new StopJob('detach', 'executor shutting down'));
      if (mode === 'cancel') job.controller.abort(new StopJob('shutdown-cancel', 'executor shutting down'));
    }
  }

  const onSignal = () => requestStop(options.shutdown ?? 'finish');
  if (options.handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  if (options.signal) {
    if (options.signal.aborted) requestStop(options.shutdown ?? 'finish');
    else options.signal.addEventListener('abort', onSignal, { once: true });
  }

  const done = (async () => {
    try {
      try {
        await register();
        const executorId = client.id!;
        emit({ type: 'registered', executorName: executorName ?? '', executorId, selfRegistered: Boolean(options.register) });
        if (executorName) {
          await client.addFunction({ funcname: 'execute', executorname: executorName, ...(colonyName ? { colonyname: colonyName } : {}) }).catch(() => undefined);
        }
        for (const record of state.jobs()) {
          try {
            await resume(record);
          } catch (error) {
            emit({ type: 'warning', processId: record.processId, message: `could not resume: ${errorText(error)}`, cause: error });
          }
        }
        await removeLeftovers();
        resolveReady({ executorName, executorId });
      } catch (error) {
        rejectReady(error);
        throw error;
      }
      // Ends once stopping; an in-flight poll is awaited, not aborted: a process
      // the server assigns meanwhile is ours and must be run, never orphaned.
      await assignLoop();
      while (running.size > 0) {
        await Promise.allSettled([...running.values()].map((job) => job.task));
      }
      await unregister();
      await backend.close?.();
    } finally {
      releaseLock();
      if (options.handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      options.signal?.removeEventListener('abort', onSignal);
    }
  })();
  done.catch(() => undefined);

  return {
    ready,
    done,
    async stop(mode?: ShutdownMode) {
      requestStop(mode ?? options.shutdown ?? 'finish');
      await done;
    },
    running: () => [...running.keys()],
  };
}
