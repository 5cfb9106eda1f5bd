/**
 * Reading Slurm's view of a job (`scontrol show job -o`, `sacct -P`) and
 * mapping it onto the backend contract's `JobStatus`.
 */
import type { JobStatus } from '@pollinator/backend';
import { expandHostlist } from './hostlist';

/** What the backend needs to know about a job, from whichever command answered. */
export interface SlurmJobInfo {
  jobId: string;
  /** Base state without flags: `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `TIMEOUT`, … */
  state: string;
  /** `Reason` (pending reason, or why it ended); '' when none. */
  reason: string;
  /** Exit status of the batch script, or undefined when not known. */
  exitCode?: number;
  /** Signal that ended it (0 = none). */
  signal: number;
  /** Nodes, hostlist expression (`nid[001-002]`); '' when none yet. */
  nodeList: string;
  /** `TimeLimit` as Slurm shows it (`00:01:00`, `UNLIMITED`). */
  timeLimit: string;
  jobName: string;
  /** Who cancelled it, when sacct says (`CANCELLED by 0`). */
  cancelledBy?: string;
  /** How often Slurm requeued it (`Restarts`, scontrol only): > 0 means it is running again, not failed. */
  restarts?: number;
}

/**
 * Parses one line of `scontrol show job -o <id>`: `Key=Value` pairs separated
 * by spaces. Values may contain spaces (`Reason=launch failed requeued held`,
 * `Command=…`), so a space only starts a new pair when `Word=` follows it.
 */
export function parseScontrolLine(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const pattern = /(?:^|\s)([A-Za-z][A-Za-z0-9_/:]*)=/g;
  const starts: { key: string; keyStart: number; valueStart: number }[] = [];
  for (let match = pattern.exec(line); match; match = pattern.exec(line)) {
    starts.push({ key: match[1]!, keyStart: match.index, valueStart: match.index + match[0].length });
  }
  for (let index = 0; index < starts.length; index += 1) {
    const { key, valueStart } = starts[index]!;
    const end = index + 1 < starts.length ? starts[index + 1]!.keyStart : line.length;
    if (!(key in fields)) fields[key] = line.slice(valueStart, end).trim();
  }
  return fields;
}

function parseExitCode(text: string | undefined): { exitCode?: number; signal: number } {
  const match = /^(\d+):(\d+)$/.exec((text ?? '').trim());
  if (!match) return { signal: 0 };
  return { exitCode: Number(match[1]), signal: Number(match[2]) };
}

function baseState(state: string): string {
  // `CANCELLED by 0`, `RUNNING+`… → the state word.
  return (state.trim().split(/[\s+]/)[0] ?? '').toUpperCase();
}

/** From `scontrol show job -o <id>` output (one line per job; the first is used). */
export function jobInfoFromScontrol(output: string): SlurmJobInfo | undefined {
  const line = output.split('\n').find((candidate) => candidate.includes('JobId='));
  if (!line) return undefined;
  const fields = parseScontrolLine(line);
  const { exitCode, signal } = parseExitCode(fields.ExitCode);
  return {
    jobId: fields.JobId ?? '',
    state: baseState(fields.JobState ?? ''),
    reason: fields.Reason === 'None' ? '' : (fields.Reason ?? ''),
    ...(exitCode === undefined ? {} : { exitCode }),
    signal,
    nodeList: fields.NodeList === '(null)' ? '' : (fields.NodeList ?? ''),
    timeLimit: fields.TimeLimit ?? '',
    jobName: fields.JobName ?? '',
    ...(fields.Restarts ? { restarts: Number(fields.Restarts) } : {}),
  };
}

/** The `sacct` fields asked for, in order (`-P` output is `|`-separated). */
export const SACCT_FORMAT = 'JobIDRaw,JobName,State,ExitCode,Reason,NodeList,Timelimit';

/** From `sacct -X -n -P -o <SACCT_FORMAT> -j <id>`: the job's allocation line. */
export function jobInfoFromSacct(output: string, jobId: string): SlurmJobInfo | undefined {
  for (const line of output.split('\n')) {
    const [id, name, state, exit, reason, nodes, limit] = line.split('|');
    if (id?.trim() !== jobId || state === undefined) continue;
    const { exitCode, signal } = parseExitCode(exit);
    const cancelledBy = /^CANCELLED by (\S+)/.exec(state.trim())?.[1];
    return {
      jobId,
      state: baseState(state),
      reason: reason === 'None' ? '' : (reason ?? '').trim(),
      ...(exitCode === undefined ? {} : { exitCode }),
      signal,
      nodeList: nodes === 'None assigned' ? '' : (nodes ?? '').trim(),
      timeLimit: (limit ?? '').trim(),
      jobName: (name ?? '').trim(),
      ...(cancelledBy === undefined ? {} : { cancelledBy }),
    };
  }
  return undefined;
}

const PENDING_STATES = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'SUSPENDED', 'RESV_DEL_HOLD', 'STOPPED', 'CONFIGURING', 'POWER_UP_NODE', 'RESIZING']);
const RUNNING_STATES = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING']);

/** Pending reasons explained for people who do not speak Slurm. */
const REASON_TEXT: Record<string, string> = {
  Priority: 'waiting for higher-priority jobs',
  Resources: 'waiting for nodes to become free',
  PartitionDown: 'the partition is down',
  PartitionInactive: 'the partition is inactive',
  PartitionNodeLimit: 'more nodes than the partition allows',
  PartitionTimeLimit: 'time limit above the partition maximum',
  ReqNodeNotAvail: 'requested nodes are not available',
  QOSMaxJobsPerUserLimit: 'QoS limit on jobs per user reached',
  AssocGrpCpuLimit: 'account CPU limit reached',
  JobHeldUser: 'held by the user',
  JobHeldAdmin: 'held by an administrator',
  Dependency: 'waiting for a dependency',
  DependencyNeverSatisfied: 'its dependency can never be satisfied',
  BeginTime: 'start time not reached yet',
  Reservation: 'waiting for a reservation',
  Configuring: 'nodes are booting',
};

/** A hostlist Pollinator cannot parse is passed on as it is rather than failing the status. */
function safeExpand(nodeList: string): string[] {
  try {
    return expandHostlist(nodeList);
  } catch {
    return nodeList ? [nodeList] : [];
  }
}

/** `Priority` → `Priority (waiting for higher-priority jobs)`. */
export function describeReason(reason: string): string {
  const text = REASON_TEXT[reason];
  return text ? `${reason} (${text})` : reason;
}

export function isFinalSlurmState(state: string): boolean {
  return state !== '' && !PENDING_STATES.has(state) && !RUNNING_STATES.has(state);
}

/**
 * Maps Slurm's view onto `JobStatus`. Only COMPLETED with exit code 0 is
 * success. `cancelledByUs` says whether this backend's `cancel()` stopped it
 * (then `cancelled`; a job cancelled by anyone else is a failure).
 */
export function toJobStatus(info: SlurmJobInfo, cancelledByUs: boolean): JobStatus {
  const { state } = info;
  if (state === 'PENDING' || state === 'REQUEUED' || state === 'REQUEUE_HOLD' || state === 'REQUEUE_FED' || state === 'RESV_DEL_HOLD') {
    return { state: 'pending', reason: describeReason(info.reason || 'None') };
  }
  if (state === 'CONFIGURING' || state === 'POWER_UP_NODE') return { state: 'pending', reason: describeReason('Configuring') };
  if (state === 'SUSPENDED' || state === 'STOPPED' || state === 'RESIZING') return { state: 'pending', reason: `${state}${info.reason ? `: ${info.reason}` : ''}` };
  const nodes = safeExpand(info.nodeList);
  if (RUNNING_STATES.has(state)) return { state: 'running', nodes };
  const exitCode = info.exitCode === undefined ? null : info.signal > 0 && info.exitCode === 0 ? 128 + info.signal : info.exitCode;
  const codeText = exitCode === null ? '' : `, exit code ${exitCode}`;
  switch (state) {
    case 'COMPLETED':
      if (info.exitCode === 0 && info.signal === 0) return { state: 'succeeded', exitCode: 0, nodes };
      return { state: 'failed', exitCode, reason: `COMPLETED with exit code ${exitCode ?? 'unknown'}` };
    case 'FAILED': {
      const how = info.exitCode === 0 && info.signal > 0 ? `killed by signal ${info.signal}` : `exit code ${exitCode ?? 'unknown'}`;
      return { state: 'failed', exitCode, reason: `FAILED: ${how}${info.reason && info.reason !== 'NonZeroExitCode' ? ` (${info.reason})` : ''}` };
    }
    case 'TIMEOUT':
      return {
        state: 'failed',
        exitCode: null,
        reason: `TIMEOUT: the job reached its time limit${info.timeLimit && info.timeLimit !== 'UNLIMITED' ? ` of ${info.timeLimit}` : ''} and Slurm stopped it`,
        timeLimit: true,
      };
    case 'CANCELLED':
      if (cancelledByUs) return { state: 'cancelled', reason: 'cancelled by the executor (scancel)' };
      return { state: 'failed', exitCode: null, reason: `CANCELLED: the job was cancelled in Slurm${info.cancelledBy ? ` by uid ${info.cancelledBy}` : ''}, not by Pollinator` };
    case 'NODE_FAIL':
      return { state: 'failed', exitCode: null, reason: `NODE_FAIL: a node of the job failed${info.nodeList ? ` (${info.nodeList})` : ''}` };
    case 'OUT_OF_MEMORY':
      return { state: 'failed', exitCode: info.exitCode ? exitCode : null, reason: `OUT_OF_MEMORY: the job used more memory than it asked for${codeText}` };
    case 'PREEMPTED':
      return { state: 'failed', exitCode: null, reason: 'PREEMPTED: Slurm preempted the job for a higher-priority one' };
    case 'BOOT_FAIL':
      return { state: 'failed', exitCode: null, reason: 'BOOT_FAIL: a node of the job failed to boot' };
    case 'DEADLINE':
      return { state: 'failed', exitCode: null, reason: 'DEADLINE: the job reached its deadline' };
    default:
      return { state: 'failed', exitCode, reason: `${state || 'UNKNOWN'}: the job ended in Slurm state ${state || 'unknown'}${codeText}` };
  }
}
