/**
 * `createSlurmBackend()`: the `Backend` that runs ColonyOS processes as Slurm
 * batch jobs, from the cluster's login node, optionally inside Singularity or
 * Apptainer containers. Options in `slurm-backend-options.ts`; what it asks
 * Slurm in `slurm-queries.ts`; the batch script in `batch-script.ts`.
 */
import {
  BackendError,
  isFinalJobStatus,
  JobStatusMemo,
  pickEnvironment,
  SECRET_ENVIRONMENT_PREFIXES,
  tailFile,
  waitUntilGone,
  type Backend,
  type JobHandle,
  type JobPreflight,
  type JobRequest,
  type JobStatus,
  type LogChunk,
  type LogCursor,
} from '@pollinator/backend';
import { buildBatchScript, EXIT_CODE_FILE_NAME, OUTPUT_FILE_NAME, renderBatchScript, type BatchScriptSettings, type ContainerRuntime } from './batch-script';
import { DEFAULT_PULL_TIMEOUT_MS, ImageCache } from './image-cache';
import { acquireImageLock } from './image-cache-lock';
import { removeImageLease, writeImageLease } from './image-cache-leases';
import { firstNodeOf, NodeAddresses } from './job-address';
import { isFinalSlurmState, toJobStatus } from './job-state';
import { preflightSlurm } from './preflight';
import { createLocalRunner, type CommandRunner } from './runner';
import { BACKEND_NAME, DEFAULT_PASS_ENV, type SlurmBackendOptions } from './slurm-backend-options';
import { SlurmCauseReader } from './slurm-cause-reader';
import { slurmHandles, type SlurmHandleData } from './slurm-handle';
import { SlurmQueries } from './slurm-queries';
import { SlurmQueue } from './slurm-queue';
import { stateNotice, type NoticeMemory } from './state-notices';
import { readTestOnlyAnswer } from './test-only';

export { BACKEND_NAME, type SlurmBackendOptions } from './slurm-backend-options';
export type { SlurmHandleData } from './slurm-handle';

const CANCELLED_MARKER = 'cancelled-by-pollinator';
/** The output file is read this much at once; chunks are at most `MAX_CHUNK_BYTES`. */
const READ_BYTES = 1024 * 1024;
const MAX_CHUNK_BYTES = 64 * 1024;
/** Slurm states of a job waiting in a partition's queue (its place and start estimate mean something). */
const PENDING_IN_QUEUE = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD']);

export function createSlurmBackend(options: SlurmBackendOptions = {}): Backend {
  return new SlurmBackend(options);
}

/** What the notices remember of a job, and Slurm's `Reason` when the last status read found it pending. */
interface JobNotices extends NoticeMemory {
  slurmReason?: string;
}

class SlurmBackend implements Backend {
  readonly name = BACKEND_NAME;
  readonly #options: SlurmBackendOptions;
  readonly #runner: CommandRunner;
  readonly #runtime: ContainerRuntime;
  readonly #images: ImageCache | undefined;
  readonly #slurm: SlurmQueries;
  /** Why a job ended (sacct, else scontrol), and why a requeued one is pending again. */
  readonly #causes: SlurmCauseReader;
  readonly #nodeAddresses: NodeAddresses;
  /** Where pending jobs stand in their partition's queue (slurm-queue.ts). */
  readonly #queue: SlurmQueue;
  readonly #statuses = new JobStatusMemo();
  readonly #notices = new Map<string, JobNotices>();
  /** Jobs this backend's `cancel()` stopped (their Slurm CANCELLED is a `cancelled` status). */
  readonly #cancelled = new Set<string>();

  /** Runtime `none` runs the job as a plain process on the node: no image. */
  get usesImages(): boolean {
    return this.#runtime !== 'none';
  }

  constructor(options: SlurmBackendOptions) {
    this.#options = options;
    this.#runner = options.runner ?? createLocalRunner();
    this.#runtime = options.runtime ?? 'singularity';
    this.#slurm = new SlurmQueries(this.#runner, () => this.#commandEnv(), options.accounting ?? 'auto');
    this.#causes = new SlurmCauseReader(this.#runner, () => this.#commandEnv(), () => this.#slurm.accountingEnabled());
    this.#nodeAddresses = new NodeAddresses(this.#runner, () => this.#commandEnv());
    this.#queue = new SlurmQueue(this.#runner, () => this.#commandEnv(), options.queueRefreshMs);
    if (this.#runtime !== 'none') {
      if (!options.imageDir) throw new BackendError(BACKEND_NAME, `The ${this.#runtime} runtime needs an image cache directory (option imageDir)`);
      this.#images = createImageCache(options, this.#runner, this.#runtimeCommand(), () => this.#commandEnv());
    }
  }

  #runtimeCommand(): string {
    return this.#options.runtimeCommand ?? this.#runtime;
  }

  /** Before the executor registers: the Slurm commands, slurmctld and the runtime are there (preflight.ts). */
  preflight(): Promise<void> {
    const { imageDir, siteEnv } = this.#options;
    return preflightSlurm({ runner: this.#runner, env: this.#commandEnv(), runtime: this.#runtime, runtimeCommand: this.#runtimeCommand(), imageDir, siteEnv });
  }

  /** Environment of Slurm commands: only the allow-listed variables of the executor's own. */
  #commandEnv(): Record<string, string> {
    return pickEnvironment(this.#options.passEnv ?? DEFAULT_PASS_ENV);
  }

  #noticesOf(id: string): JobNotices {
    let notices = this.#notices.get(id);
    if (!notices) {
      notices = {};
      this.#notices.set(id, notices);
    }
    return notices;
  }

  #forget(id: string): void {
    this.#statuses.forget(id);
    this.#notices.delete(id);
    this.#cancelled.delete(id);
    this.#queue.forget(id);
  }

  #settings(imagePath: string | undefined): BatchScriptSettings {
    const options = this.#options;
    return {
      runtime: this.#runtime,
      runtimeCommand: this.#runtimeCommand(),
      ...(imagePath === undefined ? {} : { imagePath }),
      ...(options.partition ? { partition: options.partition } : {}),
      ...(options.account ? { account: options.account } : {}),
      ...(options.qos ? { qos: options.qos } : {}),
      gpuOption: options.gpuOption ?? 'gres',
      gpuRuntimeFlag: options.gpuRuntimeFlag ?? 'nv',
      sbatchLines: options.sbatchLines ?? [],
      modules: options.modules ?? [],
      setupLines: options.setupLines ?? [],
      siteEnv: options.siteEnv ?? {},
      secretPrefixes: options.secretPrefixes ?? [...SECRET_ENVIRONMENT_PREFIXES],
      srun: options.srun ?? true,
      mountWrapper: options.mountWrapper ?? 'bwrap',
    };
  }

  async #notice(path: string, text: string): Promise<void> {
    if (this.#options.notices === false) return;
    await this.#runner.appendFile(path, text).catch(() => undefined);
  }

  async start(job: JobRequest): Promise<JobHandle> {
    const runner = this.#runner;
    await runner.mkdir(job.workDir);
    const outputFile = `${job.workDir}/${OUTPUT_FILE_NAME}`;
    const exitCodeFile = `${job.workDir}/${EXIT_CODE_FILE_NAME}`;
    await runner.writeFile(outputFile, '');
    await runner.remove(exitCodeFile);
    await runner.remove(`${job.workDir}/${CANCELLED_MARKER}`);
    const imagePath = await this.#pullImage(job, outputFile);
    const imageDir = this.#options.imageDir;
    if (imagePath && imageDir) await writeImageLease(runner, imageDir, job.processId, { file: baseName(imagePath) });
    // Hashed before the job starts: a later rebuild may replace the file.
    const imageDigest = imagePath ? await this.#images?.digest(imagePath).catch(() => undefined) : undefined;
    const built = buildBatchScript(job, this.#settings(imagePath));
    for (const { name, why } of built.skippedEnv) {
      await this.#notice(outputFile, `[pollinator] Not exported to the job: ${JSON.stringify(name)} (${why})\n`);
    }
    const scriptFile = `${job.workDir}/job.sbatch`;
    await runner.writeFile(scriptFile, renderBatchScript(built), 0o700);
    const submittedAt = Date.now();
    const result = await runner.run('sbatch', ['--parsable', scriptFile], { env: this.#commandEnv(), timeoutMs: 120_000 });
    const jobId = /^(\d+)/.exec(result.stdout.trim())?.[1];
    if (result.exitCode !== 0 || !jobId) {
      if (imagePath && imageDir) await removeImageLease(runner, imageDir, job.processId).catch(() => undefined);
      const detail = (result.stderr.trim() || result.stdout.trim()).replace(/\s*\n\s*/g, ' / ');
      throw new BackendError(BACKEND_NAME, `sbatch refused the job (exit status ${result.exitCode}): ${detail || 'no output'}`);
    }
    if (imagePath && imageDir) await writeImageLease(runner, imageDir, job.processId, { file: baseName(imagePath), slurmJobId: jobId });
    return slurmHandles.create(job.processId, jobId, { workDir: job.workDir, outputFile, exitCodeFile, submittedAt, ...(imageDigest ? { imageDigest } : {}) });
  }

  /**
   * `sbatch --test-only` on the batch script the job would get (same
   * directives and placement). The image is not pulled: the script names
   * where it would be, which sbatch does not read.
   */
  async preflightJob(job: JobRequest): Promise<JobPreflight> {
    const runner = this.#runner;
    await runner.mkdir(job.workDir);
    let script: string;
    try {
      script = renderBatchScript(buildBatchScript(job, this.#settings(this.#images ? `${job.workDir}/image-not-pulled.sif` : undefined)));
    } catch (error) {
      if (BackendError.isInstance(error)) return { ok: false, message: error.message };
      throw error;
    }
    const scriptFile = `${job.workDir}/preflight.sbatch`;
    await runner.writeFile(scriptFile, script, 0o700);
    return readTestOnlyAnswer(await runner.run('sbatch', ['--test-only', scriptFile], { env: this.#commandEnv(), timeoutMs: 60_000 }));
  }

  /** The sha256 of the SIF file the job ran (runtime singularity/apptainer), taken when it was submitted. */
  async imageDigest(handle: JobHandle): Promise<string | undefined> {
    return slurmHandles.read(handle).imageDigest;
  }

  /** The job's image in the cache (pulled when needed); undefined for runtime `none`. */
  async #pullImage(job: JobRequest, outputFile: string): Promise<string | undefined> {
    if (!this.#images) return undefined;
    // Pull output goes into the job's own log, ahead of its output (sbatch appends to it).
    let writes = Promise.resolve();
    const onOutput = (text: string) => {
      writes = writes.then(() => this.#notice(outputFile, text));
    };
    try {
      return await this.#images.ensure(job.image, { rebuild: job.rebuildImage, onOutput });
    } finally {
      await writes;
    }
  }

  async #cancelledByUs(handle: JobHandle, data: SlurmHandleData): Promise<boolean> {
    if (this.#cancelled.has(handle.id)) return true;
    return this.#runner.exists(`${data.workDir}/${CANCELLED_MARKER}`);
  }

  async status(handle: JobHandle): Promise<JobStatus> {
    const recent = this.#statuses.recent(handle.id, this.#options.statusCacheMs ?? 500);
    if (recent) return recent;
    let status: JobStatus;
    try {
      status = await this.#readStatus(handle);
    } catch (error) {
      // Slurm hiccups (controller restart, "Socket timed out"): not the job's end. Keep the
      // last known state and ask again next time.
      return (
        this.#statuses.latest(handle.id) ?? { state: 'pending', reason: `Slurm did not answer: ${error instanceof Error ? error.message : String(error)}` }
      );
    }
    return this.#statuses.record(handle.id, status);
  }

  async #readStatus(handle: JobHandle): Promise<JobStatus> {
    const data = slurmHandles.read(handle);
    const notices = this.#noticesOf(handle.id);
    const info = await this.#slurm.jobInfo(handle);
    if (!info) {
      notices.slurmReason = undefined;
      return this.#statusWithoutSlurm(handle, data);
    }
    const plain = toJobStatus(info, info.state === 'CANCELLED' && (await this.#cancelledByUs(handle, data)));
    const status = await this.#causes.explain(handle, info, plain);
    // A requeued job's notice says so ("requeued: its node failed; …"), not only Slurm's BeginTime.
    const requeued = status.state === 'pending' && plain.state === 'pending' && status.reason !== plain.reason ? status.reason : undefined;
    notices.slurmReason = status.state === 'pending' ? (requeued ?? (info.reason || 'None')) : undefined;
    // A requeued job's reason says more than its place; a job Slurm has not looked at yet (None) has none.
    if (status.state !== 'pending' || !PENDING_IN_QUEUE.has(info.state) || requeued !== undefined || !info.reason) {
      this.#queue.forget(handle.id);
      return status;
    }
    return { ...status, queue: await this.#queue.read(handle.id, info.reason) };
  }

  /** Aged out of slurmctld (MinJobAge) and no accounting: the script's own record. */
  async #statusWithoutSlurm(handle: JobHandle, data: SlurmHandleData): Promise<JobStatus> {
    const exitCode = await this.#slurm.recordedExitCode(handle, data);
    if (exitCode === 0) return { state: 'succeeded', exitCode: 0 };
    if (exitCode !== undefined) return { state: 'failed', exitCode, reason: `FAILED: exit code ${exitCode}` };
    if (await this.#cancelledByUs(handle, data)) return { state: 'cancelled', reason: 'cancelled by the executor (scancel)' };
    return {
      state: 'failed',
      exitCode: null,
      reason: `Slurm no longer knows job ${handle.id} and it left no exit code (it ended without running its script, or before its record aged out)`,
    };
  }

  async *logs(handle: JobHandle, from: LogCursor, signal?: AbortSignal): AsyncIterable<LogChunk> {
    const data = slurmHandles.read(handle);
    yield* tailFile({
      backend: BACKEND_NAME,
      read: (offset, length) => this.#runner.readFile(data.outputFile, offset, length),
      from,
      isFinal: async () => isFinalJobStatus(await this.#statusWithNotices(handle, data)),
      pollMs: this.#options.logPollIntervalMs ?? 250,
      ...(signal === undefined ? {} : { signal }),
      wholeLines: true,
      maxChunkBytes: MAX_CHUNK_BYTES,
      readBytes: READ_BYTES,
      // One more look after a pause: output on a shared filesystem can lag behind the state.
      settleReads: 1,
    });
  }

  /**
   * The status as `logs()` sees it, after writing the notice its change calls
   * for into the output file (where it is read next, in order with the job's
   * own output). `status()` itself never writes into the log.
   */
  async #statusWithNotices(handle: JobHandle, data: SlurmHandleData): Promise<JobStatus> {
    const status = await this.status(handle);
    const notices = this.#noticesOf(handle.id);
    const notice = stateNotice(notices, {
      jobId: handle.id,
      status,
      slurmReason: notices.slurmReason,
      pendedMs: Date.now() - (data.submittedAt || Date.now()),
      pendingNoticeDelayMs: this.#options.pendingNoticeDelayMs ?? 5000,
    });
    if (notice !== undefined) await this.#notice(data.outputFile, notice);
    return status;
  }

  async cancel(handle: JobHandle): Promise<void> {
    const data = slurmHandles.read(handle);
    if (this.#statuses.final(handle.id)) return;
    this.#cancelled.add(handle.id);
    await this.#runner.writeFile(`${data.workDir}/${CANCELLED_MARKER}`, `${handle.id}\n`).catch(() => undefined);
    const info = await this.#slurm.jobInfo(handle);
    if (info && !isFinalSlurmState(info.state)) await this.#slurm.cancel(handle.id);
    // Done only when Slurm confirms the job is gone: no longer listed by squeue (not even COMPLETING).
    const timeoutMs = this.#options.cancelTimeoutMs ?? 120_000;
    await waitUntilGone({
      remaining: () => this.#slurm.queuedState(handle.id),
      timeoutMs,
      timeoutError: (state) => new BackendError(BACKEND_NAME, `Slurm job ${handle.id} is still ${state} ${Math.round(timeoutMs / 1000)} s after scancel`),
    });
    this.#statuses.invalidate(handle.id);
  }

  async reattach(saved: JobHandle): Promise<JobHandle | undefined> {
    if (saved.backend !== BACKEND_NAME) return undefined;
    const data = slurmHandles.read(saved);
    this.#forget(saved.id);
    if (await this.#slurm.jobInfo(saved)) return saved;
    if ((await this.#slurm.recordedExitCode(saved, data)) !== undefined) return saved;
    // The saved id is unknown (e.g. the executor died between sbatch and saving it): find the job by its name.
    const newest = await this.#slurm.newestJobNamed(saved.processId);
    if (newest === undefined) return undefined;
    return { ...saved, id: newest };
  }

  async attributes(handle: JobHandle): Promise<Record<string, string>> {
    const attributes: Record<string, string> = { 'SLURM-JOBID': handle.id };
    const info = await this.#slurm.jobInfo(handle).catch(() => undefined);
    const status = info ? toJobStatus(info, false) : undefined;
    const nodes = status && 'nodes' in status ? (status.nodes ?? []) : [];
    if (nodes.length > 0) attributes.NODES = nodes.join(',');
    return attributes;
  }

  /** The first node of the allocation, at Slurm's address for it (`NodeAddr`); undefined until the job runs. */
  async jobAddress(handle: JobHandle): Promise<string | undefined> {
    const node = firstNodeOf(await this.status(handle));
    return node === undefined ? undefined : this.#nodeAddresses.address(node);
  }

  async cleanup(handle: JobHandle): Promise<void> {
    // Slurm keeps nothing of ours once the job has ended; the work dir belongs to the runtime.
    this.#forget(handle.id);
    // The job no longer needs its image: `executor images --prune` may remove it.
    if (this.#images && this.#options.imageDir) await removeImageLease(this.#runner, this.#options.imageDir, handle.processId).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#statuses.clear();
    this.#notices.clear();
    this.#cancelled.clear();
  }
}

/** The image cache of a container runtime; the lock file serializes pulls with other executors when the runner is this machine. */
export function createImageCache(options: SlurmBackendOptions, runner: CommandRunner, runtimeCommand: string, commandEnv: () => Record<string, string>): ImageCache {
  const pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  return new ImageCache({
    runner,
    imageDir: options.imageDir ?? '',
    runtimeCommand,
    env: () => ({ ...commandEnv(), ...(options.siteEnv ?? {}) }),
    pullTimeoutMs,
    ...(options.runner === undefined
      ? { lock: (path: string, onWait: (holder: string) => void) => acquireImageLock(path, { staleAfterMs: pullTimeoutMs + 60_000, onWait }) }
      : {}),
  });
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
