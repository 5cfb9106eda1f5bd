/**
 * `createSlurmBackend()`: the `Backend` that runs ColonyOS processes as Slurm
 * batch jobs, from the cluster's login node, optionally inside Singularity or
 * Apptainer containers.
 */
import {
  BackendError,
  isFinalJobStatus,
  type Backend,
  type JobHandle,
  type JobRequest,
  type JobStatus,
  type LogChunk,
  type LogCursor,
} from '@pollinator/core';
import {
  buildBatchScript,
  EXIT_CODE_FILE_NAME,
  OUTPUT_FILE_NAME,
  renderBatchScript,
  type BatchScriptSettings,
  type ContainerRuntime,
} from './batch-script';
import { ImageCache } from './image-cache';
import {
  isFinalSlurmState,
  jobInfoFromSacct,
  jobInfoFromScontrol,
  SACCT_FORMAT,
  toJobStatus,
  type SlurmJobInfo,
} from './job-state';
import { followOutputLog } from './output-log';
import { createLocalRunner, type CommandRunner } from './runner';
import { stateNotice, type NoticeMemory } from './state-notices';

export const BACKEND_NAME = 'slurm';

export interface SlurmBackendOptions {
  /** `singularity` (default), `apptainer` (same CLI) or `none` (run on the node directly, no image). */
  runtime?: ContainerRuntime;
  /** Program for the runtime; defaults to the runtime's name (found on PATH). */
  runtimeCommand?: string;
  /** SIF cache directory, on a filesystem the compute nodes see. Required for container runtimes. */
  imageDir?: string;
  /** Default partition, account and QoS (a project's own placement wins). */
  partition?: string;
  account?: string;
  qos?: string;
  /** How GPUs are requested: `gres` (`--gres=gpu:N`, default) or `gpus-per-node`. */
  gpuOption?: 'gres' | 'gpus-per-node';
  /** Container flag for GPU jobs: `nv` (default) or `rocm`. */
  gpuRuntimeFlag?: 'nv' | 'rocm';
  /** Extra `#SBATCH` lines (`--constraint=gpu`, `--reservation=x`), with or without the `#SBATCH` prefix. */
  sbatchLines?: string[];
  /** Modules loaded in every job (`module load <name>`), e.g. `singularity/3.8.7`. */
  modules?: string[];
  /** Further shell lines run in every job before the command (site setup), verbatim. */
  setupLines?: string[];
  /** Environment for every job and for image pulls (`APPTAINER_CACHEDIR`, proxies…). */
  siteEnv?: Record<string, string>;
  /** Variable-name prefixes that never reach a job. Default `COLONIES_`, `AWS_S3_`, `EXECUTOR_`. */
  secretPrefixes?: string[];
  /**
   * Variables of the executor's own environment passed to Slurm commands (and so
   * to the job, which sbatch exports). Default: PATH, HOME, USER, LOGNAME, LANG,
   * LC_ALL, LC_CTYPE, TZ, TMPDIR, SLURM_CONF. Everything else, the executor's
   * secrets included, stays out.
   */
  passEnv?: string[];
  /** Launch the command through `srun` (once per task). Default true. */
  srun?: boolean;
  /** Runtime `none`: bind mounts with bubblewrap (`bwrap`, default) or require identical paths (`none`). */
  mountWrapper?: 'bwrap' | 'none';
  /** How Slurm and runtime commands are run. Default: local processes. */
  runner?: CommandRunner;
  /** Use `sacct` for jobs `scontrol` no longer knows: `auto` (default) asks Slurm whether accounting is on. */
  accounting?: boolean | 'auto';
  /** How often `logs()` looks for new output, ms. Default 250. */
  logPollIntervalMs?: number;
  /** `status()` results are reused for this long, ms (fewer `scontrol` calls). Default 500. */
  statusCacheMs?: number;
  /** Write `[pollinator] …` notices (image pulls, pending reasons) into the job's log. Default true. */
  notices?: boolean;
  /** A pending reason is written to the log once the job has pended this long, ms. Default 5000. */
  pendingNoticeDelayMs?: number;
  /** How long `cancel()` waits for Slurm to confirm the job is gone, ms. Default 120000. */
  cancelTimeoutMs?: number;
}

/** `handle.data` of a Slurm job. */
export interface SlurmHandleData {
  workDir: string;
  outputFile: string;
  exitCodeFile: string;
  /** Epoch ms of the submission. */
  submittedAt: number;
  [key: string]: unknown;
}

const DEFAULT_PASS_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'SLURM_CONF'];
const DEFAULT_SECRET_PREFIXES = ['COLONIES_', 'AWS_S3_', 'EXECUTOR_'];
const CANCELLED_MARKER = 'cancelled-by-pollinator';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function handleData(handle: JobHandle): SlurmHandleData {
  const data = handle.data as Partial<SlurmHandleData>;
  if (typeof data.workDir !== 'string' || typeof data.outputFile !== 'string' || typeof data.exitCodeFile !== 'string') {
    throw new BackendError(BACKEND_NAME, `Not a Slurm job handle: ${JSON.stringify(handle)}`);
  }
  return { submittedAt: 0, ...data } as SlurmHandleData;
}

export function createSlurmBackend(options: SlurmBackendOptions = {}): Backend {
  return new SlurmBackend(options);
}

interface JobMemory extends NoticeMemory {
  lastStatus?: { at: number; status: JobStatus };
  final?: JobStatus;
  /** Slurm's `Reason` when the last status read found the job pending (for the notices). */
  slurmReason?: string;
  cancelled?: boolean;
}

class SlurmBackend implements Backend {
  readonly name = BACKEND_NAME;
  readonly #options: SlurmBackendOptions;
  readonly #runner: CommandRunner;
  readonly #runtime: ContainerRuntime;
  readonly #images: ImageCache | undefined;
  readonly #jobs = new Map<string, JobMemory>();
  #accounting: Promise<boolean> | undefined;

  constructor(options: SlurmBackendOptions) {
    this.#options = options;
    this.#runner = options.runner ?? createLocalRunner();
    this.#runtime = options.runtime ?? 'singularity';
    if (this.#runtime !== 'none') {
      if (!options.imageDir) throw new BackendError(BACKEND_NAME, `The ${this.#runtime} runtime needs an image cache directory (option imageDir)`);
      this.#images = new ImageCache({
        runner: this.#runner,
        imageDir: options.imageDir,
        runtimeCommand: this.#runtimeCommand(),
        env: () => ({ ...this.#commandEnv(), ...(options.siteEnv ?? {}) }),
      });
    }
  }

  #runtimeCommand(): string {
    return this.#options.runtimeCommand ?? this.#runtime;
  }

  /** Environment of Slurm commands: only the allow-listed variables of the executor's own. */
  #commandEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of this.#options.passEnv ?? DEFAULT_PASS_ENV) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    return env;
  }

  #memory(id: string): JobMemory {
    let memory = this.#jobs.get(id);
    if (!memory) {
      memory = {};
      this.#jobs.set(id, memory);
    }
    return memory;
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
      secretPrefixes: options.secretPrefixes ?? DEFAULT_SECRET_PREFIXES,
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

    let imagePath: string | undefined;
    if (this.#images) {
      // Pull output goes into the job's own log, ahead of its output (sbatch appends to it).
      let writes = Promise.resolve();
      const onOutput = (text: string) => {
        writes = writes.then(() => this.#notice(outputFile, text));
      };
      try {
        imagePath = await this.#images.ensure(job.image, { rebuild: job.rebuildImage, onOutput });
      } finally {
        await writes;
      }
    }
    const built = buildBatchScript(job, this.#settings(imagePath));
    for (const { name, why } of built.skippedEnv) {
      await this.#notice(outputFile, `[pollinator] Not exported to the job: ${JSON.stringify(name)} (${why})\n`);
    }
    const script = renderBatchScript(built);
    const scriptFile = `${job.workDir}/job.sbatch`;
    await runner.writeFile(scriptFile, script, 0o700);
    const submittedAt = Date.now();
    const result = await runner.run('sbatch', ['--parsable', scriptFile], { env: this.#commandEnv(), timeoutMs: 120_000 });
    const jobId = /^(\d+)/.exec(result.stdout.trim())?.[1];
    if (result.exitCode !== 0 || !jobId) {
      const detail = (result.stderr.trim() || result.stdout.trim()).replace(/\s*\n\s*/g, ' / ');
      throw new BackendError(BACKEND_NAME, `sbatch refused the job (exit status ${result.exitCode}): ${detail || 'no output'}`);
    }
    const data: SlurmHandleData = { workDir: job.workDir, outputFile, exitCodeFile, submittedAt };
    return { backend: BACKEND_NAME, processId: job.processId, id: jobId, data };
  }

  #accountingEnabled(): Promise<boolean> {
    const setting = this.#options.accounting ?? 'auto';
    if (setting !== 'auto') return Promise.resolve(setting);
    this.#accounting ??= this.#runner
      .run('scontrol', ['show', 'config'], { env: this.#commandEnv(), timeoutMs: 30_000 })
      .then((result) => {
        const type = /^AccountingStorageType\s*=\s*(\S+)/m.exec(result.stdout)?.[1] ?? '';
        return result.exitCode === 0 && type !== '' && !type.endsWith('/none');
      })
      .catch(() => false);
    return this.#accounting;
  }

  /** Slurm's view of the job, from scontrol, else sacct; undefined when Slurm does not know it. */
  async #jobInfo(handle: JobHandle): Promise<SlurmJobInfo | undefined> {
    if (!/^\d+$/.test(handle.id)) return undefined;
    const env = this.#commandEnv();
    const shown = await this.#runner.run('scontrol', ['show', 'job', '-o', handle.id], { env, timeoutMs: 60_000 });
    if (shown.exitCode === 0) {
      const info = jobInfoFromScontrol(shown.stdout);
      if (info && info.jobName === handle.processId) return info;
      if (info) return undefined; // the id now belongs to someone else's job
    } else if (!/Invalid job id/i.test(shown.stderr)) {
      throw new BackendError(BACKEND_NAME, `scontrol show job ${handle.id} failed (exit status ${shown.exitCode}): ${shown.stderr.trim()}`);
    }
    if (await this.#accountingEnabled()) {
      const accounted = await this.#runner.run('sacct', ['-X', '-n', '-P', '-o', SACCT_FORMAT, '-j', handle.id], { env, timeoutMs: 60_000 });
      if (accounted.exitCode === 0) {
        const info = jobInfoFromSacct(accounted.stdout, handle.id);
        if (info && info.jobName === handle.processId) return info;
      }
    }
    return undefined;
  }

  /** The exit code the batch script recorded (`<job id> <code>`), when it belongs to this job. */
  async #recordedExitCode(handle: JobHandle, data: SlurmHandleData): Promise<number | undefined> {
    const content = await this.#runner.readFile(data.exitCodeFile, 0, 256).catch(() => undefined);
    const match = /^(\d+) (\d+)\s*$/.exec(content?.toString('utf8') ?? '');
    if (!match || match[1] !== handle.id) return undefined;
    return Number(match[2]);
  }

  async #cancelledByUs(handle: JobHandle, data: SlurmHandleData): Promise<boolean> {
    if (this.#memory(handle.id).cancelled) return true;
    return this.#runner.exists(`${data.workDir}/${CANCELLED_MARKER}`);
  }

  async status(handle: JobHandle): Promise<JobStatus> {
    const memory = this.#memory(handle.id);
    if (memory.final) return memory.final;
    const cacheMs = this.#options.statusCacheMs ?? 500;
    if (memory.lastStatus && Date.now() - memory.lastStatus.at < cacheMs) return memory.lastStatus.status;
    let status: JobStatus;
    try {
      status = await this.#readStatus(handle);
    } catch (error) {
      // Slurm hiccups (controller restart, "Socket timed out"): not the job's end. Keep the
      // last known state and ask again next time.
      if (memory.lastStatus) return memory.lastStatus.status;
      return { state: 'pending', reason: `Slurm did not answer: ${error instanceof Error ? error.message : String(error)}` };
    }
    memory.lastStatus = { at: Date.now(), status };
    if (isFinalJobStatus(status)) memory.final = status;
    return status;
  }

  async #readStatus(handle: JobHandle): Promise<JobStatus> {
    const data = handleData(handle);
    const memory = this.#memory(handle.id);
    const info = await this.#jobInfo(handle);
    if (!info) {
      memory.slurmReason = undefined;
      // Aged out of slurmctld (MinJobAge) and no accounting: the script's own record.
      const exitCode = await this.#recordedExitCode(handle, data);
      if (exitCode === 0) return { state: 'succeeded', exitCode: 0 };
      if (exitCode !== undefined) return { state: 'failed', exitCode, reason: `FAILED: exit code ${exitCode}` };
      if (await this.#cancelledByUs(handle, data)) return { state: 'cancelled', reason: 'cancelled by the executor (scancel)' };
      return {
        state: 'failed',
        exitCode: null,
        reason: `Slurm no longer knows job ${handle.id} and it left no exit code (it ended without running its script, or before its record aged out)`,
      };
    }
    const status = toJobStatus(info, info.state === 'CANCELLED' && (await this.#cancelledByUs(handle, data)));
    memory.slurmReason = status.state === 'pending' ? info.reason || 'None' : undefined;
    return status;
  }

  async *logs(handle: JobHandle, from: LogCursor, signal?: AbortSignal): AsyncIterable<LogChunk> {
    const data = handleData(handle);
    const offset = from === '' ? 0 : Number(from);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new BackendError(BACKEND_NAME, `Invalid log cursor ${JSON.stringify(from)}`);
    yield* followOutputLog({
      runner: this.#runner,
      path: data.outputFile,
      offset,
      intervalMs: this.#options.logPollIntervalMs ?? 250,
      status: () => this.#statusWithNotices(handle, data),
      signal,
      sleep,
    });
  }

  /**
   * The status as `logs()` sees it, after writing the notice its change calls
   * for into the output file (where it is read next, in order with the job's
   * own output).
   */
  async #statusWithNotices(handle: JobHandle, data: SlurmHandleData): Promise<JobStatus> {
    const status = await this.status(handle);
    const memory = this.#memory(handle.id);
    const notice = stateNotice(memory, {
      jobId: handle.id,
      status,
      slurmReason: memory.slurmReason,
      pendedMs: Date.now() - (data.submittedAt || Date.now()),
      pendingNoticeDelayMs: this.#options.pendingNoticeDelayMs ?? 5000,
    });
    if (notice !== undefined) await this.#notice(data.outputFile, notice);
    return status;
  }

  async cancel(handle: JobHandle): Promise<void> {
    const data = handleData(handle);
    const memory = this.#memory(handle.id);
    if (memory.final) return;
    memory.cancelled = true;
    await this.#runner.writeFile(`${data.workDir}/${CANCELLED_MARKER}`, `${handle.id}\n`).catch(() => undefined);
    const env = this.#commandEnv();
    const info = await this.#jobInfo(handle);
    if (info && !isFinalSlurmState(info.state)) {
      const result = await this.#runner.run('scancel', [handle.id], { env, timeoutMs: 60_000 });
      if (result.exitCode !== 0 && !/already completing|completed|Invalid job id/i.test(result.stderr)) {
        throw new BackendError(BACKEND_NAME, `scancel ${handle.id} failed (exit status ${result.exitCode}): ${result.stderr.trim()}`);
      }
    }
    // Done only when Slurm confirms the job is gone: no longer listed by squeue (not even COMPLETING).
    const deadline = Date.now() + (this.#options.cancelTimeoutMs ?? 120_000);
    for (;;) {
      const listed = await this.#runner.run('squeue', ['-h', '-j', handle.id, '-o', '%T'], { env, timeoutMs: 60_000 });
      if (listed.exitCode !== 0 || listed.stdout.trim() === '') break;
      if (Date.now() > deadline) {
        throw new BackendError(BACKEND_NAME, `Slurm job ${handle.id} is still ${listed.stdout.trim()} ${Math.round((this.#options.cancelTimeoutMs ?? 120_000) / 1000)} s after scancel`);
      }
      await sleep(250);
    }
    memory.lastStatus = undefined;
  }

  async reattach(saved: JobHandle): Promise<JobHandle | undefined> {
    if (saved.backend !== BACKEND_NAME) return undefined;
    const data = handleData(saved);
    this.#jobs.delete(saved.id);
    if (await this.#jobInfo(saved)) return saved;
    if ((await this.#recordedExitCode(saved, data)) !== undefined) return saved;
    // The saved id is unknown (e.g. the executor died between sbatch and saving it): find the job by its name.
    const listed = await this.#runner.run('squeue', ['-h', '-n', saved.processId, '-o', '%i'], { env: this.#commandEnv(), timeoutMs: 60_000 });
    const ids = listed.exitCode === 0 ? listed.stdout.split('\n').map((line) => line.trim()).filter((line) => /^\d+$/.test(line)) : [];
    const newest = ids.sort((a, b) => Number(b) - Number(a))[0];
    if (newest === undefined) return undefined;
    return { ...saved, id: newest };
  }

  async attributes(handle: JobHandle): Promise<Record<string, string>> {
    const attributes: Record<string, string> = { 'SLURM-JOBID': handle.id };
    const info = await this.#jobInfo(handle).catch(() => undefined);
    const status = info ? toJobStatus(info, false) : undefined;
    const nodes = status && 'nodes' in status ? (status.nodes ?? []) : [];
    if (nodes.length > 0) attributes.NODES = nodes.join(',');
    return attributes;
  }

  async cleanup(handle: JobHandle): Promise<void> {
    // Slurm keeps nothing of ours once the job has ended; the work dir belongs to the runtime.
    this.#jobs.delete(handle.id);
  }

  async close(): Promise<void> {
    this.#jobs.clear();
  }
}
