/**
 * `cancel()` of the local backend: asks the supervisor to stop the job (it
 * kills the group, the marked children and the container, and records the
 * outcome); when there is no supervisor any more, stops the job's processes
 * itself and records the cancellation.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobHandle } from '@pollinator/core';
import { runContainerClient } from './container-client';
import { JOB_FILES, readJobPgid, readSupervisorResult, type SupervisorResult } from './job-files';
import { handleData, supervisorPid, type LocalHandleData } from './local-handle';
import type { LocalSettings } from './local-options';
import { groupAlive, pidAlive, signalGroup, signalMarked } from './processes';

const POLL_MS = 50;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function cancelJob(handle: JobHandle, settings: LocalSettings): Promise<void> {
  const data = handleData(handle);
  if (readSupervisorResult(data.workDir)) return;
  const pid = supervisorPid(handle);
  const deadline = Date.now() + settings.graceMs + 10_000;
  if (pidAlive(pid, data.startTicks)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
    while (Date.now() < deadline && pidAlive(pid, data.startTicks) && !readSupervisorResult(data.workDir)) await sleep(POLL_MS);
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
    while (Date.now() < deadline && groupAlive(pgid)) await sleep(POLL_MS);
  }
  // Children that left the group (setsid, double fork) still carry the job's marker.
  if (typeof data.marker === 'string') {
    while (signalMarked(data.marker, 'SIGKILL') > 0 && Date.now() < deadline) await sleep(POLL_MS);
  }
}
