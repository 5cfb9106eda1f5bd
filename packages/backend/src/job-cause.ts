/**
 * Why a job ended, in one vocabulary for every backend (issue #17, "failure
 * causes"). Each backend maps what its platform says (Slurm's `sacct` state,
 * a pod's `OOMKilled`, a local process's signal) onto these kinds; the runtime
 * records the kind and one line of text on the process, and the CLI shows the
 * same words whatever ran the job. A researcher should be able to act on the
 * line alone: "killed: out of memory (peak 15.8 GiB of 16 GiB requested) —
 * raise conditions.mem".
 */

/** The causes, each a stable string (recorded as `POLLINATOR_FAILURE_CAUSE`). */
export const JOB_CAUSE_KINDS = [
  'succeeded',
  'failed',
  'out-of-memory',
  'time-limit',
  'node-failure',
  'preempted',
  'cancelled',
  'could-not-start',
] as const;

export type JobCauseKind = (typeof JOB_CAUSE_KINDS)[number];

/** What stopped a job that never ran its command. */
export type StartProblem = 'image' | 'boot' | 'config' | 'resources';

export interface JobCause {
  kind: JobCauseKind;
  /** The job's exit code, when it has one (`failed`, and an OOM-killed job's 137). */
  exitCode?: number;
  /** The signal that ended it (9 for SIGKILL), when known. */
  signal?: number;
  /** Peak memory the job used, in bytes (Slurm `MaxRSS`, a cgroup's peak). */
  peakMemoryBytes?: number;
  /** Memory the job asked for or was limited to, in bytes (Slurm `ReqMem`, a container limit). */
  requestedMemoryBytes?: number;
  /** How long it ran, in seconds. */
  elapsedSeconds?: number;
  /** Its wall-time limit, in seconds. */
  limitSeconds?: number;
  /** The nodes that failed (node failure) or ran it. */
  nodes?: string[];
  /** For `could-not-start`: what was wrong. */
  startProblem?: StartProblem;
  /** The platform's own words, for the curious and for bug reports: `sacct State=OUT_OF_MEMORY`, `OOMKilled`. */
  platform?: string;
}

/** True for a string that is one of the kinds (reading an attribute back). */
export function isJobCauseKind(value: unknown): value is JobCauseKind {
  return typeof value === 'string' && (JOB_CAUSE_KINDS as readonly string[]).includes(value);
}

/** 16 GiB, 15.8 GiB, 512 MiB, 900 KiB: binary units, at most one decimal. */
export function formatMemory(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} ${units[unit]}`;
}

/** 90 → `1m30s`, 3600 → `1h`, 45 → `45s`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const parts = [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', rest || whole === 0 ? `${rest}s` : ''];
  return parts.join('');
}

function memoryDetail(cause: JobCause): string {
  const { peakMemoryBytes: peak, requestedMemoryBytes: requested } = cause;
  if (peak !== undefined && requested !== undefined) return ` (peak ${formatMemory(peak)} of ${formatMemory(requested)} requested)`;
  if (requested !== undefined) return ` (limit ${formatMemory(requested)})`;
  if (peak !== undefined) return ` (peak ${formatMemory(peak)})`;
  return '';
}

function timeDetail(cause: JobCause): string {
  const { elapsedSeconds: elapsed, limitSeconds: limit } = cause;
  if (elapsed !== undefined && limit !== undefined) return ` (ran ${formatDuration(elapsed)} of ${formatDuration(limit)} allowed)`;
  if (limit !== undefined) return ` (limit ${formatDuration(limit)})`;
  return '';
}

const START_PROBLEM_TEXT: Record<StartProblem, string> = {
  image: 'the image could not be pulled',
  boot: 'its node failed to boot',
  config: 'the platform refused its configuration',
  resources: 'no node can take the resources it asks for',
};

/** What to do, per kind; undefined when there is nothing to change (succeeded, cancelled). */
export function jobCauseFix(cause: JobCause): string | undefined {
  switch (cause.kind) {
    case 'out-of-memory':
      return 'raise conditions.mem';
    case 'time-limit':
      return 'raise conditions.walltime, or checkpoint and resume';
    case 'node-failure':
      return 'not caused by your job: run it again';
    case 'preempted':
      return 'run it again, or use a partition or QoS without preemption';
    case 'failed':
      return "see the job's output for why";
    case 'could-not-start':
      if (cause.startProblem === 'image') return 'check the image name and that the executor can pull it';
      if (cause.startProblem === 'boot') return 'not caused by your job: run it again, and tell the site if it keeps failing';
      if (cause.startProblem === 'resources') return 'lower conditions.mem, conditions.cpu or conditions.gpu, or ask the executor\'s operators for nodes that have them';
      return "fix what the process's error says; the command never ran";
    default:
      return undefined;
  }
}

/** The words for a cause without the fix: "killed: out of memory (peak 15.8 GiB of 16 GiB requested)". */
export function describeJobCauseShort(cause: JobCause): string {
  switch (cause.kind) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      if (cause.exitCode !== undefined) return `failed: exit code ${cause.exitCode}`;
      return cause.signal === undefined ? 'failed (no exit code)' : `failed: killed by signal ${cause.signal}`;
    case 'out-of-memory':
      return `killed: out of memory${memoryDetail(cause)}`;
    case 'time-limit':
      return `killed: time limit reached${timeDetail(cause)}`;
    case 'node-failure':
      return `killed: node failure${cause.nodes?.length ? ` (${cause.nodes.join(', ')})` : ''}`;
    case 'preempted':
      return 'killed: preempted by a higher-priority job';
    case 'cancelled':
      return 'cancelled';
    case 'could-not-start':
      return `could not start: ${START_PROBLEM_TEXT[cause.startProblem ?? 'config']}`;
  }
}

/**
 * One line a researcher acts on, the cause and what to do:
 * "killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem".
 */
export function describeJobCause(cause: JobCause): string {
  const fix = jobCauseFix(cause);
  const text = describeJobCauseShort(cause);
  return fix ? `${text} — ${fix}` : text;
}
