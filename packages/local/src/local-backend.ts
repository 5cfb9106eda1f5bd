import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
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
import { containerName, containerRunArguments, type ContainerRuntime } from './container-args';
import { prepareMountDirectory } from './mount-directory';
import { describeIsolation, plainProcessCommand, plainProcessIsolation, type LocalIsolation } from './plain-process';
import { groupAlive, pidAlive, procStartTicks, signalMarked } from './processes';
import { SUPERVISOR_SOURCE } from './supervisor-source';

export const LOCAL_BACKEND_NAME = 'local';

/** How a job runs: a plain process on this machine, or a Docker / Podman container. */
export type LocalMode = 'process' | 'docker' | 'podman';

export interface LocalBackendOptions {
  /**
   * `process` runs the command on this machine (the image is ignored);
   * `docker`/`podman` run it in the job's image. `auto` (default) uses Docker
   * or Podman when their engine answers, and a plain process otherwise.
   */
  mode?: LocalMode | 'auto';
  /**
   * How a plain process sees `fs.mount` paths (see sandbox.ts): `bwrap` (a
   * private mount namespace), `rewrite` (paths rewritten in the command and
   * env), or `auto` (default: bwrap when usable, otherwise rewrite).
   */
  isolation?: 'auto' | 'bwrap' | 'rewrite';
  /** Path of the bwrap binary (default `bwrap` on PATH). */
  bwrapPath?: string;
  /** Path of the docker / podman client (default: the mode's name on PATH). */
  containerCommand?: string;
  /** Seconds between SIGTERM and SIGKILL when a job is cancelled or times out (default 5). */
  stopGraceSeconds?: number;
  /** The Node.js binary that runs the job supervisor (default: this process's). */
  nodePath?: string;
  /** Interval (ms) at which `logs()` polls the output file (default 100). */
  logPollMs?: number;
  /**
   * Called once, when the backend finds it must run plain processes without
   * bubblewrap (jobs are not isolated from the executor; see
   * REWRITE_MODE_WARNING). Default: `process.emitWarning`.
   */
  onWarning?: (message: string) => void;
}

export type LocalBackend = Backend & {
  readonly mode: LocalMode;
  /** Probes bubblewrap when needed (once); rejects when `isolation: 'bwrap'` was asked for and cannot work. */
  describeIsolation(): Promise<LocalIsolation>;
};

interface HandleData {
  [key: string]: unknown;
  workDir: string;
  mode: LocalMode;
  /** Start time of the supervisor in clock ticks since boot (/proc/<pid>/stat), against pid reuse. */
  startTicks: string | null;
  containerName: string | null;
  /** The job's JOB_MARKER_ENV value (plain processes), to find children that left its process group. */
  marker?: string;
}

interface SupervisorResult {
  exitCode: number | null;
  signal: string | null;
  outcome: 'cancelled' | 'timeLimit' | null;
  error: string | null;
}

/** Host environment variables a container would also have (nothing secret). */
const BASE_ENV_KEYS = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Variables the container client itself needs to reach its engine. */
const CONTAINER_CLIENT_ENV_KEYS = ['DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'XDG_RUNTIME_DIR', 'CONTAINER_HOST'];

function commandAnswers(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * What `mode: 'auto'` picks on this machine: `docker` when a Docker engine
 * answers, else `podman` when Podman works, else `process`.
 */
export function detectLocalMode(): LocalMode {
  if (commandAnswers('docker', ['version', '--format', '{{.Server.Version}}'])) return 'docker';
  if (commandAnswers('podman', ['info', '--format', '{{.Host.Arch}}'])) return 'podman';
  return 'process';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Length of the longest prefix of `buffer` that ends on a UTF-8 character boundary. */
function completeUtf8Length(buffer: Buffer): number {
  const end = buffer.length;
  // Look at most 3 bytes back for the start of an incomplete sequence.
  for (let back = 1; back <= Math.min(3, end); back += 1) {
    const byte = buffer[end - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    if ((byte & 0x80) === 0) return end; // ASCII: complete
    const needed = (byte & 0xe0) === 0xc0 ? 2 : (byte & 0xf0) === 0xe0 ? 3 : (byte & 0xf8) === 0xf0 ? 4 : 1;
    return back >= needed ? end : end - back;
  }
  return end;
}

function signalReason(signal: string): string {
  return `killed by ${signal}`;
}

/**
 * The local backend: runs jobs on this machine, as plain processes or in
 * Docker / Podman containers. Each job is run by a detached supervisor process
 * (see supervisor-source.ts) that records its output and exit in the job's
 * work directory, so jobs survive an executor restart and can be re-attached.
 */
export function createLocalBackend(options: LocalBackendOptions = {}): LocalBackend {
  const mode: LocalMode = options.mode === undefined || options.mode === 'auto' ? detectLocalMode() : options.mode;
  // Node's timers cannot wait longer than 2^31 - 1 ms (the supervisor adds to the grace); a day is plenty.
  const graceMs = Math.min((options.stopGraceSeconds ?? 5) * 1000, 86_400_000);
  const nodePath = options.nodePath ?? process.execPath;
  const logPollMs = options.logPollMs ?? 100;
  const containerCommand = options.containerCommand ?? (mode === 'process' ? '' : mode);
  const isolation = mode === 'process' ? plainProcessIsolation(LOCAL_BACKEND_NAME, options) : undefined;

  async function describeLocalIsolation(): Promise<LocalIsolation> {
    return isolation === undefined ? { isolation: 'container', isolatesFilesystem: true } : describeIsolation(await isolation());
  }

  function baseEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const key of BASE_ENV_KEYS) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
    env.PATH ??= DEFAULT_PATH;
    return env;
  }

  function shellCommand(job: JobRequest): string {
    // The original executors' `init;cmd` joining: a failing init command does not stop the command.
    return job.initCommand.trim() === '' ? job.command : `${job.initCommand};${job.command}`;
  }

  function dataOf(handle: JobHandle): HandleData {
    const data = handle.data as Partial<HandleData>;
    if (typeof data.workDir !== 'string') {
      throw new BackendError(LOCAL_BACKEND_NAME, `handle of process ${handle.processId} has no work directory`);
    }
    return data as HandleData;
  }

  function supervisorPid(handle: JobHandle): number {
    const pid = Number(handle.id);
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      throw new BackendError(LOCAL_BACKEND_NAME, `invalid local job id ${JSON.stringify(handle.id)}`);
    }
    return pid;
  }

  function result(data: HandleData): SupervisorResult | undefined {
    return readJson<SupervisorResult>(join(data.workDir, 'result.json'));
  }

  function jobPgid(data: HandleData): number | undefined {
    try {
      const pgid = Number(readFileSync(join(data.workDir, 'job.pgid'), 'utf8').trim());
      return Number.isSafeInteger(pgid) && pgid > 0 ? pgid : undefined;
    } catch {
      return undefined;
    }
  }

  function statusFromResult(res: SupervisorResult, data: HandleData): JobStatus {
    if (res.outcome === 'cancelled') return { state: 'cancelled', reason: 'cancelled' };
    if (res.outcome === 'timeLimit') {
      const config = readJson<{ walltimeSeconds?: number }>(join(data.workDir, 'job.json'));
      return {
        state: 'failed',
        exitCode: null,
        reason: `TIMEOUT: time limit of ${config?.walltimeSeconds ?? '?'} s reached`,
        timeLimit: true,
      };
    }
    if (res.error) return { state: 'failed', exitCode: res.exitCode, reason: `could not start the job: ${res.error}` };
    if (res.exitCode === 0) return { state: 'succeeded', exitCode: 0, nodes: [hostname()] };
    if (res.exitCode !== null) {
      if (data.mode !== 'process' && res.exitCode === 125) {
        return {
          state: 'failed',
          exitCode: 125,
          reason: `${data.mode} could not run the container (exit code 125); see the job output`,
        };
      }
      return { state: 'failed', exitCode: res.exitCode, reason: `exit code ${res.exitCode}` };
    }
    return { state: 'failed', exitCode: null, reason: signalReason(res.signal ?? 'a signal') };
  }

  async function currentStatus(handle: JobHandle): Promise<JobStatus> {
    const data = dataOf(handle);
    const res = result(data);
    if (res) return statusFromResult(res, data);
    const pid = supervisorPid(handle);
    if (pidAlive(pid, data.startTicks)) {
      const pgid = jobPgid(data);
      if (pgid === undefined) return { state: 'pending', reason: 'starting' };
      return { state: 'running', nodes: [hostname()] };
    }
    // The supervisor may have written its result between the two reads.
    const late = result(data);
    if (late) return statusFromResult(late, data);
    const pgid = jobPgid(data);
    if (pgid !== undefined && groupAlive(pgid)) return { state: 'running', nodes: [hostname()] };
    return {
      state: 'failed',
      exitCode: null,
      reason: 'the job supervisor disappeared without recording an exit (machine restart or killed)',
    };
  }

  const backend: LocalBackend = {
    name: LOCAL_BACKEND_NAME,
    mode,
    describeIsolation: describeLocalIsolation,

    async start(job: JobRequest): Promise<JobHandle> {
      if (!existsSync(job.workDir)) mkdirSync(job.workDir, { recursive: true });
      // Older callers may not set protectedPaths.
      for (const mount of job.mounts) prepareMountDirectory(LOCAL_BACKEND_NAME, mount.hostPath, job.protectedPaths ?? []);
      const runDir = join(job.workDir, 'run');
      mkdirSync(runDir, { recursive: true });
      const command = shellCommand(job);
      let argv: string[];
      let env: Record<string, string>;
      let stopArgv: string[] | null = null;
      let killArgv: string[] | null = null;
      let name: string | null = null;
      let marker: string | undefined;
      if (mode === 'process') {
        const chosen = await isolation!();
        const context = { bwrapPath: options.bwrapPath ?? 'bwrap', baseEnv: baseEnv() };
        ({ argv, env, marker } = plainProcessCommand(job, command, runDir, chosen, context));
      } else {
        name = containerName(job, randomBytes(4).toString('hex'));
        const runtime: ContainerRuntime = mode;
        argv = [containerCommand || runtime, ...containerRunArguments(job, name, command)];
        stopArgv = [containerCommand || runtime, 'stop', '--time', String(Math.ceil(graceMs / 1000)), name];
        killArgv = [containerCommand || runtime, 'kill', name];
        env = {};
        for (const key of [...BASE_ENV_KEYS, ...CONTAINER_CLIENT_ENV_KEYS]) {
          const value = process.env[key];
          if (value !== undefined) env[key] = value;
        }
        env.PATH ??= DEFAULT_PATH;
        Object.assign(env, job.env);
      }
      const config = {
        processId: job.processId,
        argv,
        env,
        cwd: runDir,
        walltimeSeconds: job.resources.walltimeSeconds,
        graceMs,
        marker: marker ?? null,
        stopArgv,
        killArgv,
        startedAt: Date.now(),
      };
      const configPath = join(job.workDir, 'job.json');
      writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
      const supervisorPath = join(job.workDir, 'supervisor.mjs');
      writeFileSync(supervisorPath, SUPERVISOR_SOURCE);
      rmSync(join(job.workDir, 'result.json'), { force: true });
      rmSync(join(job.workDir, 'job.pgid'), { force: true });
      writeFileSync(join(job.workDir, 'output.log'), '');

      const supervisor = spawn(nodePath, [supervisorPath, configPath], {
        cwd: job.workDir,
        detached: true,
        stdio: 'ignore',
        env: { PATH: process.env.PATH ?? DEFAULT_PATH },
      });
      const pid = await new Promise<number>((resolve, reject) => {
        supervisor.once('error', (error) =>
          reject(new BackendError(LOCAL_BACKEND_NAME, `could not start the job supervisor: ${error.message}`, { cause: error })),
        );
        supervisor.once('spawn', () => resolve(supervisor.pid!));
      });
      supervisor.unref();
      const data: HandleData = {
        workDir: job.workDir,
        mode,
        startTicks: procStartTicks(pid),
        containerName: name,
        ...(marker === undefined ? {} : { marker }),
      };
      // Record who the supervisor is, so reattach can check a saved handle against it.
      writeFileSync(join(job.workDir, 'handle.json'), JSON.stringify({ processId: job.processId, id: String(pid) }));
      return { backend: LOCAL_BACKEND_NAME, processId: job.processId, id: String(pid), data };
    },

    status: currentStatus,

    async *logs(handle: JobHandle, from: LogCursor, signal?: AbortSignal): AsyncIterable<LogChunk> {
      const data = dataOf(handle);
      let offset = from === '' ? 0 : Number(from);
      if (!Number.isSafeInteger(offset) || offset < 0) {
        throw new BackendError(LOCAL_BACKEND_NAME, `invalid log cursor ${JSON.stringify(from)}`);
      }
      const path = join(data.workDir, 'output.log');
      const buffer = Buffer.alloc(64 * 1024);
      let file: Awaited<ReturnType<typeof open>> | undefined;
      try {
        while (!signal?.aborted) {
          file ??= await open(path, 'r').catch(() => undefined);
          if (file) {
            const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
            if (bytesRead > 0) {
              let length = completeUtf8Length(buffer.subarray(0, bytesRead));
              if (length === 0) {
                // Only an incomplete character so far: yield it once the job is final.
                length = isFinalJobStatus(await currentStatus(handle)) ? bytesRead : 0;
              }
              if (length > 0) {
                offset += length;
                yield { text: buffer.subarray(0, length).toString('utf8'), cursor: String(offset) };
                continue;
              }
            }
          }
          if (isFinalJobStatus(await currentStatus(handle))) {
            // Final: everything the job wrote is in the file. Drain it and stop.
            file ??= await open(path, 'r').catch(() => undefined);
            if (file) {
              for (;;) {
                const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
                if (bytesRead === 0) break;
                offset += bytesRead;
                yield { text: buffer.subarray(0, bytesRead).toString('utf8'), cursor: String(offset) };
              }
            }
            return;
          }
          await sleep(logPollMs, signal);
        }
      } finally {
        await file?.close();
      }
    },

    async cancel(handle: JobHandle): Promise<void> {
      const data = dataOf(handle);
      if (result(data)) return;
      const pid = supervisorPid(handle);
      const deadline = Date.now() + graceMs + 10_000;
      if (pidAlive(pid, data.startTicks)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // gone already
        }
        while (Date.now() < deadline && pidAlive(pid, data.startTicks) && !result(data)) await sleep(50);
        if (result(data)) return;
      }
      // No supervisor (it crashed or was killed): stop the job's group ourselves.
      const pgid = jobPgid(data);
      if (pgid !== undefined && groupAlive(pgid)) {
        if (data.containerName && data.mode !== 'process') {
          try {
            execFileSync(containerCommand || data.mode, ['kill', data.containerName], { stdio: 'ignore', timeout: 10_000 });
          } catch {
            // best effort
          }
        }
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // gone
        }
        while (Date.now() < deadline && groupAlive(pgid)) await sleep(50);
      }
      // Children that left the group (setsid, double fork) still carry the job's marker.
      if (typeof data.marker === 'string') {
        while (signalMarked(data.marker, 'SIGKILL') > 0 && Date.now() < deadline) await sleep(50);
      }
      if (!result(data)) {
        writeFileSync(
          join(data.workDir, 'result.json'),
          JSON.stringify({ exitCode: null, signal: null, outcome: 'cancelled', error: null }),
        );
      }
    },

    async reattach(saved: JobHandle): Promise<JobHandle | undefined> {
      if (saved.backend !== LOCAL_BACKEND_NAME) return undefined;
      const data = saved.data as Partial<HandleData>;
      if (typeof data.workDir !== 'string') return undefined;
      const recorded = readJson<{ processId: string; id: string }>(join(data.workDir, 'handle.json'));
      if (!recorded || recorded.processId !== saved.processId || recorded.id !== saved.id) return undefined;
      const handle: JobHandle = { ...saved, data: { ...saved.data } };
      if (result(data as HandleData)) return handle;
      const pid = Number(saved.id);
      if (pidAlive(pid, data.startTicks ?? null)) return handle;
      const pgid = jobPgid(data as HandleData);
      if (pgid !== undefined && groupAlive(pgid)) return handle;
      return undefined;
    },

    async attributes(handle: JobHandle): Promise<Record<string, string>> {
      const data = dataOf(handle);
      const attributes: Record<string, string> = { NODES: hostname() };
      if (data.containerName) attributes['CONTAINER-NAME'] = data.containerName;
      return attributes;
    },

    async cleanup(handle: JobHandle): Promise<void> {
      const data = dataOf(handle);
      if (data.containerName && data.mode !== 'process') {
        try {
          execFileSync(containerCommand || data.mode, ['rm', '--force', data.containerName], {
            stdio: 'ignore',
            timeout: 30_000,
          });
        } catch {
          // --rm removed it already, or the engine is gone
        }
      }
    },

    async close(): Promise<void> {
      // Nothing held open: every job lives in its own supervisor.
    },
  };
  return backend;
}
