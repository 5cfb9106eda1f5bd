/**
 * The local backend: runs jobs on this machine, as plain processes or in
 * Docker / Podman containers. Each job is run by a detached supervisor process
 * (supervisor/main.ts) that records its output and exit in the job's work
 * directory, so jobs survive an executor restart and can be re-attached. The
 * parts: start-job.ts, job-status.ts, job-logs.ts, stop-job.ts.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Backend, JobHandle } from '@pollinator/backend';
import { runContainerClient } from './container-client';
import { inspectImageDigest } from './image-digest';
import { JOB_FILES, readJobPgid, readJsonFile, readSupervisorResult } from './job-files';
import { followJobLog } from './job-logs';
import { localJobAddress } from './job-address';
import { jobStatusReader } from './job-status';
import { localHandles } from './local-handle';
import { detectLocalMode, type LocalMode } from './local-mode';
import { LOCAL_BACKEND_NAME, localSettings, type LocalBackendOptions, type LocalSettings } from './local-options';
import { describeIsolation, plainProcessIsolation, type LocalIsolation } from './plain-process';
import { groupAlive, pidAlive } from './processes';
import { preflightLocal } from './preflight';
import { startJob } from './start-job';
import { cancelJob } from './stop-job';

export { detectLocalMode, type LocalMode } from './local-mode';
export { LOCAL_BACKEND_NAME, type LocalBackendOptions } from './local-options';

export type LocalBackend = Backend & {
  readonly mode: LocalMode;
  /** Probes bubblewrap when needed (once); rejects when `isolation: 'bwrap'` was asked for and cannot work. */
  describeIsolation(): Promise<LocalIsolation>;
};

/** `reattach()`: the saved handle when its supervisor (or its job) is still the one it names, or a result is there. */
function reattachJob(saved: JobHandle): JobHandle | undefined {
  if (saved.backend !== LOCAL_BACKEND_NAME) return undefined;
  const data = localHandles.tryRead(saved);
  if (data === undefined) return undefined;
  const recorded = readJsonFile<{ processId: string; id: string }>(join(data.workDir, JOB_FILES.handle));
  if (!recorded || recorded.processId !== saved.processId || recorded.id !== saved.id) return undefined;
  const handle: JobHandle = { ...saved, data: { ...saved.data } };
  if (readSupervisorResult(data.workDir)) return handle;
  if (pidAlive(Number(saved.id), typeof data.startTicks === 'string' ? data.startTicks : null)) return handle;
  const pgid = readJobPgid(data.workDir);
  if (pgid !== undefined && groupAlive(pgid)) return handle;
  return undefined;
}

/** `cleanup()`: removes the container of a container job (`--rm` usually has already). */
async function cleanupJob(handle: JobHandle, settings: LocalSettings): Promise<void> {
  const data = localHandles.read(handle);
  if (data.containerName && data.mode !== 'process') {
    await runContainerClient(settings, data, ['rm', '--force', data.containerName], 30_000);
  }
}

export function createLocalBackend(options: LocalBackendOptions = {}): LocalBackend {
  const mode: LocalMode = options.mode === undefined || options.mode === 'auto' ? detectLocalMode() : options.mode;
  const settings = localSettings(mode, options);
  const isolation = mode === 'process' ? plainProcessIsolation(LOCAL_BACKEND_NAME, options) : undefined;
  const status = jobStatusReader();

  return {
    name: LOCAL_BACKEND_NAME,
    mode,
    usesImages: mode !== 'process',
    // Before the executor registers: the engine answers, or bubblewrap works when required (preflight.ts).
    preflight: () => preflightLocal(settings, isolation),
    async describeIsolation(): Promise<LocalIsolation> {
      return isolation === undefined ? { isolation: 'container', isolatesFilesystem: true } : describeIsolation(await isolation());
    },
    start: (job) => startJob(job, settings, isolation),
    status,
    logs: (handle, from, signal) => followJobLog(handle, from, { status, pollMs: settings.logPollMs }, signal),
    cancel: (handle) => cancelJob(handle, settings),
    reattach: async (saved) => reattachJob(saved),
    async attributes(handle) {
      const data = localHandles.read(handle);
      const attributes: Record<string, string> = { NODES: hostname() };
      if (data.containerName) attributes['CONTAINER-NAME'] = data.containerName;
      return attributes;
    },
    jobAddress: (handle) => localJobAddress(handle, settings),
    async imageDigest(handle) {
      const data = localHandles.read(handle);
      return typeof data.image === 'string' ? inspectImageDigest(settings, data, data.image) : undefined;
    },
    cleanup: (handle) => cleanupJob(handle, settings),
    async close(): Promise<void> {
      // Nothing held open: every job lives in its own supervisor.
    },
  };
}
