/**
 * A local job's status, from what its work directory and /proc say: the
 * supervisor's result once there is one, else whether the supervisor and the
 * job's process group are still alive.
 */
import { constants, hostname } from 'node:os';
import { join } from 'node:path';
import { JobStatusMemo, type JobCause, type JobHandle, type JobStatus } from '@pollinator/backend';
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
      cause: timeLimitCause(result, config),
    };
  }
  if (result.oom) return outOfMemoryStatus(result, result.oom);
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
  const signal = result.signal ? signalNumber(result.signal) : undefined;
  return {
    state: 'failed',
    exitCode: null,
    reason: signal === undefined ? `killed by ${result.signal ?? 'a signal'}` : `killed by signal ${signal} (${result.signal})`,
    cause: { kind: 'failed', ...(signal === undefined ? {} : { signal }), platform: `killed by ${result.signal ?? 'a signal'}` },
  };
}

/** `SIGKILL` → 9. */
function signalNumber(name: string): number | undefined {
  return (constants.signals as Record<string, number | undefined>)[name];
}

function timeLimitCause(result: SupervisorResult, config: Partial<SupervisorConfig> | undefined): JobCause {
  const finished = result.finishedAt ? Date.parse(result.finishedAt) : Number.NaN;
  const elapsed = config?.startedAt && Number.isFinite(finished) ? Math.round((finished - config.startedAt) / 1000) : undefined;
  return {
    kind: 'time-limit',
    ...(elapsed === undefined ? {} : { elapsedSeconds: elapsed }),
    ...(config?.walltimeSeconds ? { limitSeconds: config.walltimeSeconds } : {}),
    platform: 'the supervisor stopped the job at its walltime',
  };
}

/** Killed by the OOM killer of its memory cgroup (the supervisor saw the cgroup's oom_kill count rise). */
function outOfMemoryStatus(result: SupervisorResult, oom: NonNullable<SupervisorResult['oom']>): JobStatus {
  const how = result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`;
  return {
    state: 'failed',
    exitCode: result.exitCode,
    reason: `OOM: the kernel's OOM killer stopped the job in its memory cgroup (${how})`,
    cause: {
      kind: 'out-of-memory',
      ...(result.exitCode === null ? {} : { exitCode: result.exitCode }),
      ...(oom.peakBytes === undefined ? {} : { peakMemoryBytes: oom.peakBytes }),
      ...(oom.limitBytes === undefined ? {} : { requestedMemoryBytes: oom.limitBytes }),
      platform: `memory cgroup oom_kill count rose; ${how}`,
    },
  };
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
