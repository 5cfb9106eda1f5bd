/**
 * From a Job and its pods to a `JobStatus`: pure, so every rule is unit-tested.
 *
 * - success only when the Job completed (or every completion index has a
 *   Succeeded pod) and every container of every pod it still has terminated
 *   with exit code 0;
 * - failure with the first non-zero container exit code and its reason
 *   (OOMKilled, Error, …), or the pod's reason when no container reported one
 *   (NodeLost, Evicted), or the Job's Failed condition;
 * - the pod deadline (`DeadlineExceeded`) and the Job deadline are time limits;
 * - a pod Pending with a reason that does not fix itself fails the job once it
 *   has been Pending longer than the grace period (`stop` then tells the
 *   backend to delete the Job so nothing lingers).
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { JobStatus } from '@pollinator/backend';
import { unschedulableQueue } from './pod-queue';

/** Waiting reasons of a container that will not go away by themselves. */
export const STUCK_WAITING_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

export interface DeriveOptions {
  now: number;
  pendingTimeoutMs: number;
  /** The pod deadline the Job was created with (for the message), 0 = none. */
  walltimeSeconds: number;
}

export interface DerivedStatus {
  status: JobStatus;
  /** True when the backend must stop the Job itself (a stuck Pending pod). */
  stop?: boolean;
}

/** Timestamps arrive as `Date` (from a list, deserialised) or as strings (from a watch). */
export function toMillis(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const time = new Date(value as string | Date).getTime();
  return Number.isNaN(time) ? undefined : time;
}

function oneLine(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

function completionIndex(pod: V1Pod): number {
  const value = pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] ?? pod.metadata?.labels?.['batch.kubernetes.io/job-completion-index'];
  return value === undefined ? Number.MAX_SAFE_INTEGER : Number(value);
}

function condition(job: V1Job | undefined, type: string): { reason?: string; message?: string } | undefined {
  return job?.status?.conditions?.find((entry) => entry.type === type && entry.status === 'True');
}

export function sortPods(pods: V1Pod[]): V1Pod[] {
  return [...pods].sort(
    (a, b) =>
      completionIndex(a) - completionIndex(b) ||
      (toMillis(a.metadata?.creationTimestamp) ?? 0) - (toMillis(b.metadata?.creationTimestamp) ?? 0) ||
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
}

function nodesOf(pods: V1Pod[]): string[] {
  return [...new Set(pods.map((pod) => pod.spec?.nodeName).filter((name): name is string => Boolean(name)))];
}

/** Where the failure happened, for jobs with more than one pod or container. */
function where(pod: V1Pod, container: string | undefined, several: boolean): string {
  if (!several) return '';
  return container ? ` (pod ${pod.metadata?.name}, container ${container})` : ` (pod ${pod.metadata?.name})`;
}

/** What every rule needs: the pods in completion order, the Job, and whether messages name a pod. */
interface RuleInput {
  job: V1Job | undefined;
  pods: V1Pod[];
  several: boolean;
  options: DeriveOptions;
}

/** The rules, in order: the first that has an answer decides. */
const RULES: ((input: RuleInput) => DerivedStatus | undefined)[] = [timeLimitStatus, containerFailure, podFailure, successStatus, stuckPendingStatus];

export function deriveJobStatus(job: V1Job | undefined, podList: V1Pod[], options: DeriveOptions): DerivedStatus {
  const pods = sortPods(podList);
  const several =
    pods.length > 1 ||
    (job?.spec?.completions ?? 1) > 1 ||
    (job?.spec?.template?.spec?.containers?.length ?? pods[0]?.spec?.containers?.length ?? 1) > 1;
  const input: RuleInput = { job, pods, several, options };
  for (const rule of RULES) {
    const derived = rule(input);
    if (derived) return derived;
  }
  return runningOrPendingStatus(input);
}

/** 1. A time limit reported by a pod or the Job. */
function timeLimitStatus({ job, pods, several, options }: RuleInput): DerivedStatus | undefined {
  for (const pod of pods) {
    if (pod.status?.reason === 'DeadlineExceeded') {
      const limit = options.walltimeSeconds > 0 ? ` of ${options.walltimeSeconds} s` : '';
      return {
        status: {
          state: 'failed',
          exitCode: null,
          timeLimit: true,
          reason: `DeadlineExceeded: the job ran longer than its wall time${limit}${where(pod, undefined, several)}`,
        },
      };
    }
  }
  const jobFailed = condition(job, 'Failed');
  if (jobFailed?.reason === 'DeadlineExceeded') {
    return { status: { state: 'failed', exitCode: null, timeLimit: true, reason: `DeadlineExceeded: ${oneLine(jobFailed.message) || 'Job was active longer than specified deadline'}` } };
  }
  return undefined;
}

/** 2. A container that exited non-zero (first pod by completion index). */
function containerFailure({ pods, several }: RuleInput): DerivedStatus | undefined {
  for (const pod of pods) {
    for (const status of pod.status?.containerStatuses ?? []) {
      const terminated = status.state?.terminated;
      if (terminated && terminated.exitCode !== 0) {
        const reason = terminated.reason && terminated.reason !== 'Error' ? `${terminated.reason}: ` : '';
        const message = terminated.message ? `: ${oneLine(terminated.message)}` : '';
        return {
          status: {
            state: 'failed',
            exitCode: terminated.exitCode,
            reason: `${reason}exit code ${terminated.exitCode}${message}${where(pod, status.name, several)}`,
          },
        };
      }
    }
  }
  return undefined;
}

/** 3. A pod that failed without a container exit code (node lost, evicted, …), or the Job's Failed condition. */
function podFailure({ job, pods, several }: RuleInput): DerivedStatus | undefined {
  for (const pod of pods) {
    if (pod.status?.phase === 'Failed') {
      const reason = pod.status.reason ?? 'PodFailed';
      const message = oneLine(pod.status.message);
      return { status: { state: 'failed', exitCode: null, reason: `${reason}${message ? `: ${message}` : ''}${where(pod, undefined, several)}` } };
    }
  }
  const jobFailed = condition(job, 'Failed');
  if (jobFailed) {
    return { status: { state: 'failed', exitCode: null, reason: `${jobFailed.reason ?? 'JobFailed'}: ${oneLine(jobFailed.message) || 'the Kubernetes Job failed'}` } };
  }
  return undefined;
}

function exitedCleanly(pod: V1Pod): boolean {
  return (pod.status?.containerStatuses ?? []).every((status) => status.state?.terminated?.exitCode === 0);
}

/** 4. Success: every completion done and every container exited 0. */
function successStatus({ job, pods }: RuleInput): DerivedStatus | undefined {
  const completions = job?.spec?.completions ?? 1;
  const succeededIndexes = new Set(
    pods
      .filter((pod) => pod.status?.phase === 'Succeeded')
      .filter(exitedCleanly)
      .map((pod) => completionIndex(pod)),
  );
  const allPodsClean = pods.every((pod) => pod.status?.phase === 'Succeeded' && (pod.status.containerStatuses ?? []).length > 0 && exitedCleanly(pod));
  if ((condition(job, 'Complete') && allPodsClean) || (pods.length > 0 && allPodsClean && succeededIndexes.size >= completions)) {
    return { status: { state: 'succeeded', exitCode: 0, nodes: nodesOf(pods) } };
  }
  return undefined;
}

interface StuckReason {
  reason: string;
  message: string;
  /** Since when it has been stuck, epoch ms. */
  since: number;
}

/** Why a Pending pod will not start by itself, if it will not. */
function stuckReason(pod: V1Pod, now: number): StuckReason | undefined {
  const scheduled = pod.status?.conditions?.find((entry) => entry.type === 'PodScheduled');
  for (const status of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && STUCK_WAITING_REASONS.has(waiting.reason)) {
      return {
        reason: waiting.reason,
        message: oneLine(waiting.message) || `container ${status.name}, image ${status.image}`,
        // From when the pod was scheduled: time spent Unschedulable (an autoscaler adding a node) does not count.
        since: toMillis(scheduled?.status === 'True' ? scheduled.lastTransitionTime : undefined) ?? toMillis(pod.metadata?.creationTimestamp) ?? now,
      };
    }
  }
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      reason: 'Unschedulable',
      message: oneLine(scheduled.message),
      since: toMillis(scheduled.lastTransitionTime) ?? toMillis(pod.metadata?.creationTimestamp) ?? now,
    };
  }
  return undefined;
}

/** 5. Stuck Pending pods fail after the grace period. */
function stuckPendingStatus({ pods, several, options }: RuleInput): DerivedStatus | undefined {
  for (const pod of pods) {
    if (pod.status?.phase !== 'Pending' || pod.metadata?.deletionTimestamp) continue;
    const stuck = stuckReason(pod, options.now);
    if (!stuck) continue;
    const text = `${stuck.reason}: ${stuck.message}${where(pod, undefined, several)}`;
    if (options.now - stuck.since >= options.pendingTimeoutMs) {
      return {
        status: { state: 'failed', exitCode: null, reason: `${text} (pending for more than ${Math.round(options.pendingTimeoutMs / 1000)} s)` },
        stop: true,
      };
    }
    const queue = stuck.reason === 'Unschedulable' ? unschedulableQueue(stuck.message, stuck.since, options.pendingTimeoutMs) : undefined;
    return { status: { state: 'pending', reason: text, ...(queue === undefined ? {} : { queue }) } };
  }
  return undefined;
}

/** 6. Running, or still pending. */
function runningOrPendingStatus({ job, pods }: RuleInput): DerivedStatus {
  const running = pods.filter((pod) => pod.status?.phase === 'Running');
  if (running.length > 0) return { status: { state: 'running', nodes: nodesOf(running) } };
  const waiting = pods
    .flatMap((pod) => pod.status?.containerStatuses ?? [])
    .map((status) => status.state?.waiting?.reason)
    .find(Boolean);
  if (pods.length === 0) return { status: { state: 'pending', reason: job ? 'waiting for the Job controller to create pods' : 'waiting for the Job' } };
  if (pods.every((pod) => pod.status?.phase === 'Succeeded')) return { status: { state: 'running', nodes: nodesOf(pods) } };
  return { status: { state: 'pending', reason: waiting ?? 'Pending' } };
}
