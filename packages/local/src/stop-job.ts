/**
 * `cancel()` of the local backend: asks the supervisor to stop the job (it
 * kills the group, the marked children and the container, and records the
 * outcome); when there is no supervisor any more, stops the job's processes
 * itself and records the cancellation.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntilGone, type JobHandle } from '@pollinator/backend';
import { runContainerClient } from './container-client';
import { JOB_FILES, readJobPgid, readSupervisorResult, type SupervisorResult } from './job-files';
import { localHandles, supervisorPid, type LocalHandleData } from './local-handle';
import type { LocalSettings } from './local-options';
import { groupAlive, pidAlive, signalGroup, signalMarked } from './processes';

const POLL_MS = 50;

/** Polls `remaining` (undefined once gone) every POLL_MS until it is gone or `deadline` (ms since the epoch) passes. */
function waitUntil(deadline: number, remaining: () => string | undefined): Promise<boolean> {
  return waitUntilGone({ remaining, timeoutMs: Math.max(0, deadline - Date.now()), intervalMs: POLL_MS });
}

export async function cancelJob(handle: JobHandle, settings: LocalSettings): Promise<void> {
  const data = localHandles.read(handle);
  if (readSupervisorResult(data.workDir)) return;
  const pid = supervisorPid(handle);
  const deadline = Date.now() + settings.graceMs + 10_000;
  if (pidAlive(pid, data.startTicks)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
    await waitUntil(deadline, () =>
      pidAlive(pid, data.startTicks) && !readSupervisorResult(data.workDir) ? 'the supervisor' : undefined,
    );
    if (readSupervisorResult(data.workDir)) return;
  }
  await stopWithoutSupervisor(data, settings, deadline);
  if (!readSupervisorResult(data.workDir)) {
    const cancelled: SupervisorResult = { exitCode: null, signal: null, outcome: 'cancelled', error: null };
    writeFileSync(join(data.workDir, JOB_FILES.result), JSON.stringify(cancelled));
  }
}

/** No supervisor (it crashed or was killed): stop the job's group and marked children ourselves. */
async function stopWithoutSupervisor(data: LocalHandleData, settings: LocalSettings, deadline: number): Promise<void> {
  const pgid = readJobPgid(data.workDir);
  if (pgid !== undefined && groupAlive(pgid)) {
    if (data.containerName && data.mode !== 'process') {
      await runContainerClient(settings, data, ['kill', data.containerName], 10_000);
    }
    signalGroup(pgid, 'SIGKILL');
    await waitUntil(deadline, () => (groupAlive(pgid) ? 'the job process group' : undefined));
  }
  // Children that left the group (setsid, double fork) still carry the job's marker.
  if (typeof data.marker === 'string') {
    const marker = data.marker;
    await waitUntil(deadline, () => (signalMarked(marker, 'SIGKILL') > 0 ? 'marked processes' : undefined));
  }
}
