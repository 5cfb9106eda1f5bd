/**
 * Why a Kubernetes Job ended (issue #17), in the causes every backend shares,
 * from the objects its status was derived from: a container `OOMKilled`, the
 * pod's or the Job's `DeadlineExceeded`, the pod's `DisruptionTarget`
 * condition (preemption by the scheduler, eviction, the taint manager after a
 * node loss), the pod reason `NodeLost`, and the waiting reasons of a pod
 * that never started (image pull, configuration, unschedulable). Pure.
 */
import type { V1Container, V1Job, V1Pod } from '@kubernetes/client-node';
import { parseMemoryBytes, type JobCause, type JobStatus } from '@pollinator/backend';
import { toMillis, type DerivedStatus } from './job-status';

/** `DisruptionTarget` reasons (Kubernetes ≥ 1.26) and what they mean for the job. */
const DISRUPTION_CAUSES: Record<string, 'preempted' | 'node-failure'> = {
  PreemptionByScheduler: 'preempted',
  PreemptionByKubeScheduler: 'preempted',
  EvictionByEvictionAPI: 'preempted',
  DeletionByTaintManager: 'node-failure',
  DeletionByPodGC: 'node-failure',
  TerminationByKubelet: 'node-failure',
};

const IMAGE_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);
const CONFIG_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'StartError', 'RunContainerError']);

function containerOf(pod: V1Pod, name: string): V1Container | undefined {
  return pod.spec?.containers?.find((container) => container.name === name);
}

function memoryLimit(container: V1Container | undefined): number | undefined {
  const quantity = container?.resources?.limits?.memory ?? container?.resources?.requests?.memory;
  return quantity === undefined ? undefined : parseMemoryBytes(String(quantity));
}

function oomCause(pods: V1Pod[]): JobCause | undefined {
  for (const pod of pods) {
    for (const status of pod.status?.containerStatuses ?? []) {
      const terminated = status.state?.terminated ?? status.lastState?.terminated;
      if (terminated?.reason !== 'OOMKilled') continue;
      const limit = memoryLimit(containerOf(pod, status.name));
      return {
        kind: 'out-of-memory',
        exitCode: terminated.exitCode,
        ...(limit ? { requestedMemoryBytes: limit } : {}),
        ...(pod.spec?.nodeName ? { nodes: [pod.spec.nodeName] } : {}),
        platform: `pod ${pod.metadata?.name ?? ''} container ${status.name}: OOMKilled, exit code ${terminated.exitCode}`,
      };
    }
  }
  return undefined;
}

function disruptionCause(pods: V1Pod[]): JobCause | undefined {
  for (const pod of pods) {
    const disruption = pod.status?.conditions?.find((condition) => condition.type === 'DisruptionTarget' && condition.status === 'True');
    const reason = disruption?.reason ?? (pod.status?.reason === 'NodeLost' ? 'NodeLost' : undefined);
    if (!reason) continue;
    const kind = reason === 'NodeLost' ? 'node-failure' : DISRUPTION_CAUSES[reason];
    if (!kind) continue;
    const message = disruption?.message ?? pod.status?.message ?? '';
    return {
      kind,
      ...(kind === 'node-failure' && pod.spec?.nodeName ? { nodes: [pod.spec.nodeName] } : {}),
      platform: `pod ${pod.metadata?.name ?? ''}: ${disruption ? `DisruptionTarget ${reason}` : reason}${message ? ` (${message})` : ''}`,
    };
  }
  return undefined;
}

/** How long the first pod ran, from its start to its containers' end (or now). */
function elapsedSeconds(pods: V1Pod[], now: number): number | undefined {
  const started = pods.map((pod) => toMillis(pod.status?.startTime)).find((time) => time !== undefined);
  if (started === undefined) return undefined;
  const finished = pods
    .flatMap((pod) => pod.status?.containerStatuses ?? [])
    .map((status) => toMillis(status.state?.terminated?.finishedAt))
    .filter((time): time is number => time !== undefined);
  return Math.max(0, Math.round(((finished.length ? Math.max(...finished) : now) - started) / 1000));
}

function startCause(status: JobStatus): JobCause | undefined {
  if (status.state !== 'failed') return undefined;
  const reason = /^(\w+):/.exec(status.reason)?.[1] ?? '';
  if (IMAGE_REASONS.has(reason)) return { kind: 'could-not-start', startProblem: 'image', platform: status.reason };
  if (CONFIG_REASONS.has(reason)) return { kind: 'could-not-start', startProblem: 'config', platform: status.reason };
  // No node fits the pod's requests (it waited Unschedulable until the backend gave up): the requests, not the spec's syntax.
  if (reason === 'Unschedulable') return { kind: 'could-not-start', startProblem: 'resources', platform: status.reason };
  return undefined;
}

export interface CauseFacts {
  now: number;
  walltimeSeconds: number;
  /** A disruption an earlier status read saw on the Job's pods (`DisruptionMemory`), for when the pods are gone. */
  remembered?: JobCause;
}

/**
 * The disruptions seen on each Job's pods. A preempted or evicted pod carries
 * its `DisruptionTarget` condition only while it terminates: once the Job
 * controller has counted it, the pod is gone and the Job says no more than
 * `BackoffLimitExceeded`. The backend notes what every status read saw.
 */
export class DisruptionMemory {
  readonly #seen = new Map<string, JobCause>();

  /** Notes a disruption on `pods` of the Job `key`; the one remembered for it, if any. */
  note(key: string, pods: V1Pod[]): JobCause | undefined {
    const seen = disruptionCause(pods);
    if (seen) this.#seen.set(key, seen);
    return this.#seen.get(key);
  }

  forget(key: string): void {
    this.#seen.delete(key);
  }
}

/** The cause of a final derived status; undefined while it is pending or running. */
export function kubernetesCause(status: JobStatus, job: V1Job | undefined, pods: V1Pod[], options: CauseFacts): JobCause | undefined {
  if (status.state === 'pending' || status.state === 'running') return undefined;
  if (status.state === 'succeeded') return { kind: 'succeeded', exitCode: 0 };
  if (status.state === 'cancelled') return { kind: 'cancelled' };
  if (status.timeLimit === true) {
    const elapsed = elapsedSeconds(pods, options.now);
    return {
      kind: 'time-limit',
      ...(elapsed === undefined ? {} : { elapsedSeconds: elapsed }),
      ...(options.walltimeSeconds > 0 ? { limitSeconds: options.walltimeSeconds } : {}),
      platform: status.reason,
    };
  }
  const cause = oomCause(pods) ?? disruptionCause(pods) ?? options.remembered ?? startCause(status);
  if (cause) return cause;
  const jobFailed = job?.status?.conditions?.find((condition) => condition.type === 'Failed' && condition.status === 'True');
  const platform = jobFailed?.reason ? `${status.reason} (Job ${jobFailed.reason})` : status.reason;
  return status.exitCode === null ? { kind: 'failed', platform } : { kind: 'failed', exitCode: status.exitCode, platform };
}

/** The derived status with its cause, when it is final. */
export function withKubernetesCause(derived: DerivedStatus, job: V1Job | undefined, pods: V1Pod[], options: CauseFacts): DerivedStatus {
  const cause = kubernetesCause(derived.status, job, pods, options);
  // A success needs no explaining (`jobCauseOf` says "succeeded" for any).
  if (!cause || cause.kind === 'succeeded' || derived.status.state === 'pending' || derived.status.state === 'running') return derived;
  return { ...derived, status: { ...derived.status, cause } };
}
