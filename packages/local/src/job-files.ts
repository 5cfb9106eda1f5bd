/**
 * The files in a job's work directory: the contract between the backend
 * (which writes the configuration and reads the outcome) and the detached
 * supervisor (supervisor/main.ts, which runs the job and records how it
 * ended). One definition, type-checked on both sides.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobStopSignalName } from '@pollinator/backend';

/** File names inside the job's work directory. */
export const JOB_FILES = {
  /** The supervisor's configuration (`SupervisorConfig`), written by `start()`. */
  config: 'job.json',
  /** How the job ended (`SupervisorResult` plus `finishedAt`), written once, atomically. */
  result: 'result.json',
  /** The job's process group id, written by the supervisor once the job runs. */
  pgid: 'job.pgid',
  /** The job's stdout and stderr. */
  output: 'output.log',
  /** Who the supervisor is (`{ processId, id }`), so `reattach` can check a saved handle. */
  handle: 'handle.json',
} as const;

/** What the supervisor is told to run (`job.json`). */
export interface SupervisorConfig {
  processId: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** 0: no time limit. */
  walltimeSeconds: number;
  /** Between SIGTERM and SIGKILL (cancel, time limit). */
  graceMs: number;
  /** The job's JOB_MARKER_ENV value (plain processes), or null. */
  marker: string | null;
  /** The container runtime's stop / kill command (containers only). */
  stopArgv: string[] | null;
  killArgv: string[] | null;
  /** ms since the epoch: when the backend started the job (the walltime counts from here). */
  startedAt: number;
  /** The stop signal, sent to the job's processes `beforeSeconds` ahead of the walltime (absent: none). */
  stopSignal?: {
    signal: JobStopSignalName;
    beforeSeconds: number;
    /** A container's signal command (the runtime delivers it), or null: the supervisor signals the processes. */
    argv: string[] | null;
    /** The job's leader is a wrapper (bwrap) that must not get the signal (it would die of it). */
    spareLeader: boolean;
  };
}

/** How a job ended (`result.json`). */
export interface SupervisorResult {
  exitCode: number | null;
  signal: string | null;
  outcome: 'cancelled' | 'timeLimit' | null;
  error: string | null;
  /** Set when the job was killed and its memory cgroup counted an OOM kill meanwhile (memory-cgroup.ts). */
  oom?: { limitBytes?: number; peakBytes?: number };
  /** ISO time the supervisor wrote the result (it adds it). */
  finishedAt?: string;
}

/** The parsed JSON file, or undefined when it is missing or unreadable. */
export function readJsonFile<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readSupervisorResult(workDir: string): SupervisorResult | undefined {
  return readJsonFile<SupervisorResult>(join(workDir, JOB_FILES.result));
}

/** The job's process group, once the supervisor has started it. */
export function readJobPgid(workDir: string): number | undefined {
  try {
    const pgid = Number(readFileSync(join(workDir, JOB_FILES.pgid), 'utf8').trim());
    return Number.isSafeInteger(pgid) && pgid > 0 ? pgid : undefined;
  } catch {
    return undefined;
  }
}
