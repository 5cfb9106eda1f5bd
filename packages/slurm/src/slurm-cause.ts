/**
 * Why a Slurm job ended (issue #17), from `sacct` (the job's allocation line
 * and its steps) or, without accounting, from `scontrol show job`. Pure: every
 * rule is tested on recorded outputs in `__fixtures__/causes/`.
 *
 * What other tools get wrong and this gets right:
 * - `sacct` may say COMPLETED for a job whose step failed or ran out of memory
 *   while the batch script went on and exited 0 (desispec#2744): a failing step
 *   (`DerivedExitCode`, the steps' own states) makes it a failure;
 * - a step killed by the OOM killer is out of memory, with the peak (`MaxRSS`
 *   of its steps) and what was asked (`ReqMem`);
 * - a job Slurm requeued (preemption, node failure) is not a failure: it is
 *   pending and will run again (`requeuedReason`).
 */
import type { JobCause, JobStatus } from '@pollinator/backend';
import { expandHostlist } from './hostlist';
import { parseScontrolLine, type SlurmJobInfo } from './job-state';

/** The `sacct -P` fields the cause is read from, in order. */
export const SACCT_CAUSE_FORMAT = 'JobIDRaw,JobName,State,ExitCode,DerivedExitCode,MaxRSS,ReqMem,Elapsed,Timelimit,NodeList,AllocCPUS';

/** One line of `sacct -P -o SACCT_CAUSE_FORMAT`: the allocation or one of its steps. */
export interface SacctRow {
  id: string;
  name: string;
  /** Base state word (`CANCELLED by 0` → `CANCELLED`). */
  state: string;
  /** `CANCELLED by <uid>` → the uid. */
  cancelledBy?: string;
  exitCode: string;
  derivedExitCode: string;
  maxRss: string;
  reqMem: string;
  elapsed: string;
  timelimit: string;
  nodeList: string;
  allocCpus: string;
}

/** The job's allocation line and its steps (`.batch`, `.extern`, `.0`, …). */
export interface SacctJob {
  job: SacctRow;
  steps: SacctRow[];
}

function baseState(state: string): string {
  return (state.trim().split(/[\s+]/)[0] ?? '').toUpperCase();
}

function sacctRow(line: string): SacctRow | undefined {
  const parts = line.split('|');
  if (parts.length < 11) return undefined;
  const [id, name, state, exitCode, derivedExitCode, maxRss, reqMem, elapsed, timelimit, nodeList, allocCpus] = parts.map((part) => part.trim()) as [
    string, string, string, string, string, string, string, string, string, string, string,
  ];
  const cancelledBy = /^CANCELLED by (\S+)/.exec(state)?.[1];
  return {
    id, name, state: baseState(state), exitCode, derivedExitCode, maxRss, reqMem, elapsed, timelimit, nodeList, allocCpus,
    ...(cancelledBy === undefined ? {} : { cancelledBy }),
  };
}

/**
 * Rows of one run of `jobId` from `sacct -n -P -o SACCT_CAUSE_FORMAT -j <id>`
 * (without `-D`, sacct lists only the latest run and its steps). The last
 * allocation line wins, with the steps that follow it.
 */
export function parseSacctJob(output: string, jobId: string): SacctJob | undefined {
  let current: SacctJob | undefined;
  for (const line of output.split('\n')) {
    const row = sacctRow(line);
    if (!row) continue;
    if (row.id === jobId) current = { job: row, steps: [] };
    else if (current && row.id.startsWith(`${jobId}.`)) current.steps.push(row);
  }
  return current;
}

/** Every allocation line of `jobId` in `sacct -D` output: one per run (the runs before a requeue, then the current one). */
export function parseSacctRuns(output: string, jobId: string): SacctRow[] {
  return output
    .split('\n')
    .map(sacctRow)
    .filter((row): row is SacctRow => row !== undefined && row.id === jobId);
}

const MEMORY_FACTORS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/**
 * A Slurm memory size in bytes: `16571392K` (MaxRSS), `100M`, `16G` (ReqMem;
 * Slurm's units are binary). Before 21.08 ReqMem ends in `n` (per node) or `c`
 * (per CPU: times `cpus`). Undefined when empty or unreadable.
 */
export function parseSlurmMemory(text: string, cpus = 1): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([KMGTP]?)([nc]?)$/.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * MEMORY_FACTORS[match[2]!]!;
  return Math.round(match[3] === 'c' ? bytes * Math.max(1, cpus) : bytes);
}

/** `[D-]HH:MM:SS`, `MM:SS`, `MM:SS.mmm` → seconds; undefined for `UNLIMITED`, `Partition_Limit`, ''. */
export function parseSlurmDuration(text: string): number | undefined {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)(?:\.\d+)?$/.exec(text.trim());
  if (!match) return undefined;
  const [, days, hours, minutes, seconds] = match;
  return Number(days ?? 0) * 86400 + Number(hours ?? 0) * 3600 + Number(minutes) * 60 + Number(seconds);
}

/** `3:0` → { code 3, signal 0 }. */
function exitPair(text: string): { code: number; signal: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  return match ? { code: Number(match[1]), signal: Number(match[2]) } : undefined;
}

function nodesOf(nodeList: string): string[] {
  if (!nodeList || nodeList === 'None assigned') return [];
  try {
    return expandHostlist(nodeList);
  } catch {
    return [nodeList];
  }
}

/** Step states that are a failure of the job even when its allocation line says COMPLETED. */
const FAILED_STEP_STATES = new Set(['FAILED', 'OUT_OF_MEMORY', 'NODE_FAIL', 'TIMEOUT']);

/** The first step that failed, skipping `.extern` (Slurm's own, never the user's). */
function failedStep(steps: SacctRow[]): SacctRow | undefined {
  return steps.find((step) => !step.id.endsWith('.extern') && FAILED_STEP_STATES.has(step.state));
}

interface Measured {
  peakMemoryBytes?: number;
  requestedMemoryBytes?: number;
  elapsedSeconds?: number;
  limitSeconds?: number;
}

function measured(record: SacctJob): Measured {
  const cpus = Number(record.job.allocCpus) || 1;
  const peaks = record.steps.map((step) => parseSlurmMemory(step.maxRss)).filter((value): value is number => value !== undefined && value > 0);
  const requested = parseSlurmMemory(record.job.reqMem, cpus);
  const elapsed = parseSlurmDuration(record.job.elapsed);
  const limit = parseSlurmDuration(record.job.timelimit);
  return {
    ...(peaks.length ? { peakMemoryBytes: Math.max(...peaks) } : {}),
    ...(requested ? { requestedMemoryBytes: requested } : {}),
    ...(elapsed === undefined ? {} : { elapsedSeconds: elapsed }),
    ...(limit === undefined ? {} : { limitSeconds: limit }),
  };
}

/** The cause `sacct` gives for a job in a final state. */
export function causeFromSacct(record: SacctJob): JobCause {
  const { job } = record;
  const facts = measured(record);
  const platform = `sacct State=${job.state}${job.cancelledBy ? ` by ${job.cancelledBy}` : ''} ExitCode=${job.exitCode} DerivedExitCode=${job.derivedExitCode}`;
  const oomStep = record.steps.find((step) => step.state === 'OUT_OF_MEMORY');
  if (job.state === 'OUT_OF_MEMORY' || oomStep) {
    const where = oomStep && job.state !== 'OUT_OF_MEMORY' ? `; step ${oomStep.id} OUT_OF_MEMORY` : '';
    return { kind: 'out-of-memory', ...pick(facts, 'peakMemoryBytes', 'requestedMemoryBytes'), platform: platform + where };
  }
  switch (job.state) {
    case 'TIMEOUT':
    case 'DEADLINE':
      return { kind: 'time-limit', ...pick(facts, 'elapsedSeconds', 'limitSeconds'), platform };
    case 'NODE_FAIL':
      return { kind: 'node-failure', nodes: nodesOf(job.nodeList), platform };
    case 'PREEMPTED':
      return { kind: 'preempted', ...pick(facts, 'elapsedSeconds'), platform };
    case 'BOOT_FAIL':
      return { kind: 'could-not-start', startProblem: 'boot', nodes: nodesOf(job.nodeList), platform };
    case 'CANCELLED':
      return { kind: 'cancelled', platform };
    default:
      return exitCause(record, platform);
  }
}

/** COMPLETED or FAILED (or a state this version does not know): the exit codes of the job and its steps decide. */
function exitCause(record: SacctJob, platform: string): JobCause {
  const own = exitPair(record.job.exitCode);
  const derived = exitPair(record.job.derivedExitCode);
  const step = failedStep(record.steps);
  if (own && own.code === 0 && own.signal === 0 && (!derived || (derived.code === 0 && derived.signal === 0)) && !step && record.job.state === 'COMPLETED') {
    return { kind: 'succeeded', exitCode: 0, platform };
  }
  const stepText = step ? `; step ${step.id} ${step.state} ${step.exitCode}` : '';
  const failing = [own, derived, exitPair(step?.exitCode ?? '')].find((pair) => pair && (pair.code !== 0 || pair.signal !== 0));
  if (failing && failing.code === 0) return { kind: 'failed', signal: failing.signal, platform: platform + stepText };
  return { kind: 'failed', ...(failing ? { exitCode: failing.code } : {}), platform: platform + stepText };
}

function pick<K extends keyof Measured>(facts: Measured, ...keys: K[]): Pick<Measured, K> {
  const picked: Partial<Measured> = {};
  for (const key of keys) if (facts[key] !== undefined) picked[key] = facts[key];
  return picked;
}

/** The cause from `scontrol show job -o` alone (no accounting): no peak memory, no steps. */
export function causeFromScontrol(output: string): JobCause | undefined {
  const line = output.split('\n').find((candidate) => candidate.includes('JobId='));
  if (!line) return undefined;
  const fields = parseScontrolLine(line);
  const memory = fields.MinMemoryNode ?? /(?:^|,)mem=([^,]+)/.exec(fields.TRES ?? '')?.[1] ?? '';
  return causeFromSacct({
    job: {
      id: fields.JobId ?? '',
      name: fields.JobName ?? '',
      state: baseState(fields.JobState ?? ''),
      exitCode: fields.ExitCode ?? '',
      derivedExitCode: fields.DerivedExitCode ?? '',
      maxRss: '',
      reqMem: memory,
      elapsed: fields.RunTime ?? '',
      timelimit: fields.TimeLimit ?? '',
      nodeList: fields.NodeList === '(null)' ? '' : (fields.NodeList ?? ''),
      allocCpus: fields.NumCPUs ?? '',
    },
    steps: [],
  });
}

/** What a requeued job's previous run ended as, in words, from its runs in `sacct -D`. */
function previousRunText(runs: SacctRow[]): string {
  const states = new Set(runs.map((run) => run.state));
  if (states.has('PREEMPTED')) return 'preempted by a higher-priority job';
  if (states.has('NODE_FAIL')) return 'its node failed';
  if (states.has('BOOT_FAIL')) return 'its node failed to boot';
  return 'requeued in Slurm (scontrol requeue or a failed launch)';
}

/**
 * The pending reason of a job Slurm will run again (`Restarts` > 0, or a
 * REQUEUED state): not a failure. `runs` are its allocation lines from
 * `sacct -D` when accounting is on ([] otherwise).
 */
export function requeuedReason(info: SlurmJobInfo, restarts: number, runs: SacctRow[]): string {
  const why = runs.length > 0 ? previousRunText(runs) : 'requeued in Slurm';
  const waiting = info.reason && info.reason !== 'None' ? `, waiting: ${info.reason}` : '';
  return `requeued: ${why}; Slurm runs it again (restart ${Math.max(1, restarts)}${waiting})`;
}

/** `Restarts=` of a `scontrol show job -o` line (0 when absent). */
export function restartsFromScontrol(output: string): number {
  return Number(/\bRestarts=(\d+)/.exec(output)?.[1] ?? 0);
}

/**
 * The final status with its cause (a success stays as it is). A COMPLETED job whose step failed becomes
 * a failure (desispec#2744); an OOM step makes a FAILED job out of memory;
 * the status's words say the cause with its details.
 */
export function withCause(status: JobStatus, cause: JobCause): JobStatus {
  if (status.state === 'pending' || status.state === 'running') return status;
  if (status.state === 'succeeded') {
    // Nothing to explain: `jobCauseOf` says "succeeded" for any success.
    if (cause.kind === 'succeeded') return status;
    return { state: 'failed', exitCode: cause.exitCode ?? null, reason: `COMPLETED in Slurm, but ${cause.platform ?? 'a step failed'}`, cause };
  }
  if (status.state === 'failed' && cause.kind === 'out-of-memory' && !status.reason.startsWith('OUT_OF_MEMORY')) {
    return { ...status, reason: `OUT_OF_MEMORY: a step ran out of memory (${status.reason})`, cause };
  }
  return { ...status, cause };
}
