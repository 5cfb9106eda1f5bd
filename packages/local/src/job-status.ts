/**
 * A local job's status, from what its work directory and /proc say: the
 * supervisor's result once there is one, else whether the supervisor and the
 * job's process group are still alive.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { JobStatusMemo, type JobHandle, type JobStatus } from '@pollinator/backend';
import { JOB_FILES, readJobPgid, readJsonFile, readSupervisorResult, type SupervisorConfig, type SupervisorResult } from './job-files';
import { localHandles, supervisorPid, type LocalHandleData } from './local-handle';
import { groupAlive, pidAlive } from './processes';

/** The final status a supervisor's result stands for. */
export function statusFromResult(result: SupervisorResult, data: LocalHandleData): JobStatus {
  if (result.outcome === 'cancelled') return { state: 'cancelled', reason: 'cancelled' };
  if (result.outcome === 'timeLimit') {
    const config = readJsonFile<Partial<SupervisorConfig>>(join(data.workDir, JOB_FILES.config));
    return {
      state: 'failed',
      exitCode: null,
      reason: `TIMEOUT: time limit of ${config?.walltimeSeconds ?? '?'} s reached`,
      timeLimit: true,
    };
  }
  if (result.error) return { state: 'failed', exitCode: result.exitCode, reason: `could not start the job: ${result.error}` };
  if (result.exitCode === 0) return { state: 'succeeded', exitCode: 0, nodes: [hostname()] };
  if (result.exitCode !== null) {
    if (data.mode !== 'process' && result.exitCode === 125) {
      return {
        state: 'failed',
        exitCode: 125,
        reason: `${data.mode} could not run the container (exit code 125); see the job output`,
      };
    }
    return { state: 'failed', exitCode: result.exitCode, reason: `exit code ${result.exitCode}` };
  }
  return { state: 'failed', exitCode: null, reason: `killed by ${result.signal ?? 'a signal'}` };
}

/**
 * `status()`: a job's status. The one the supervisor's result stands for is
 * final and never changes, so it is remembered (the work directory may be
 * gone later); a status inferred from vanished processes is not (a late
 * result or a cancel may still be recorded).
 */
export function jobStatusReader(): (handle: JobHandle) => Promise<JobStatus> {
  const recorded = new JobStatusMemo();
  return async (handle) => {
    const key = `${handle.processId}/${handle.id}`;
    const known = recorded.final(key);
    if (known) return known;
    const data = localHandles.read(handle);
    const result = readSupervisorResult(data.workDir);
    if (result) return recorded.record(key, statusFromResult(result, data));
    return statusWithoutResult(handle, data);
  };
}

async function statusWithoutResult(handle: JobHandle, data: LocalHandleData): Promise<JobStatus> {
  const pid = supervisorPid(handle);
  if (pidAlive(pid, data.startTicks)) {
    const pgid = readJobPgid(data.workDir);
    if (pgid === undefined) return { state: 'pending', reason: 'starting' };
    return { state: 'running', nodes: [hostname()] };
  }
  // The supervisor may have written its result between the two reads.
  const late = readSupervisorResult(data.workDir);
  if (late) return statusFromResult(late, data);
  const pgid = readJobPgid(data.workDir);
  if (pgid !== undefined && groupAlive(pgid)) return { state: 'running', nodes: [hostname()] };
  return {
    state: 'failed',
    exitCode: null,
    reason: 'the job supervisor disappeared without recording an exit (machine restart or killed)',
  };
}
