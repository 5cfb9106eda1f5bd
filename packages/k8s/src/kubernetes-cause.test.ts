/**
 * Kubernetes failure causes (issue #17) from pod and Job objects as the API server returns them: OOMKilled
 * with the memory limit, DeadlineExceeded with elapsed and limit, the DisruptionTarget condition
 * (preemption, eviction, the taint manager after a node loss), NodeLost, and pods that never started.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describeJobCause, type JobStatus } from '@pollinator/backend';
import { describe, expect, it } from 'vitest';
import { deriveJobStatus } from './job-status';
import { DisruptionMemory, kubernetesCause, withKubernetesCause } from './kubernetes-cause';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const options = { now: NOW, pendingTimeoutMs: 60_000, walltimeSeconds: 600 };
const ago = (seconds: number): Date => new Date(NOW - seconds * 1000);

function job(conditions: { type: string; reason?: string; message?: string }[] = []): V1Job {
  return { metadata: { name: 'j' }, spec: { template: {} }, status: { conditions: conditions.map((entry) => ({ ...entry, status: 'True' })) } };
}

function pod(status: V1Pod['status'], memory = '16Gi'): V1Pod {
  return {
    metadata: { name: 'j-0-abcde' },
    spec: { nodeName: 'node-7', containers: [{ name: 'task-0', resources: { limits: { memory }, requests: { memory } } }] },
    status,
  };
}

const cause = (jobObject: V1Job | undefined, pods: V1Pod[]) => {
  const derived = withKubernetesCause(deriveJobStatus(jobObject, pods, options), jobObject, pods, options);
  return { status: derived.status, cause: 'cause' in derived.status ? derived.status.cause : undefined };
};

describe('Kubernetes failure causes', () => {
  it('OOMKilled is out of memory, with the container memory limit', () => {
    const killed = pod({ phase: 'Failed', containerStatuses: [{ name: 'task-0', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] });
    const { status, cause: found } = cause(job([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]), [killed]);
    expect(status).toMatchObject({ state: 'failed', exitCode: 137 });
    expect(found).toMatchObject({ kind: 'out-of-memory', exitCode: 137, requestedMemoryBytes: 16 * 1024 ** 3, nodes: ['node-7'] });
    expect(describeJobCause(found!)).toBe('killed: out of memory (limit 16 GiB) — raise conditions.mem');
  });

  it('DeadlineExceeded is a time limit, with how long the pod ran and the limit', () => {
    const over = pod({
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      startTime: ago(605),
      containerStatuses: [{ name: 'task-0', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'Error', finishedAt: ago(4) } } }],
    });
    expect(cause(job(), [over]).cause).toMatchObject({ kind: 'time-limit', elapsedSeconds: 601, limitSeconds: 600 });
    // The Job's own deadline, its pods already gone.
    expect(cause(job([{ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]), []).cause).toMatchObject({ kind: 'time-limit', limitSeconds: 600 });
  });

  it('the DisruptionTarget condition: preempted by the scheduler or evicted, or the taint manager after a node loss', () => {
    const disrupted = (reason: string, message: string) =>
      pod({
        phase: 'Failed',
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason, message }],
        containerStatuses: [{ name: 'task-0', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 143, reason: 'Error' } } }],
      });
    const preempted = cause(job(), [disrupted('PreemptionByScheduler', 'default-scheduler: preempting to accommodate a higher priority pod')]);
    // The container's exit 143 (SIGTERM) is the preemption's doing, not the job's failure.
    expect(preempted.cause).toMatchObject({ kind: 'preempted', platform: expect.stringContaining('DisruptionTarget PreemptionByScheduler') });
    expect(cause(job(), [disrupted('EvictionByEvictionAPI', 'Eviction API: evicting')]).cause).toMatchObject({ kind: 'preempted' });
    expect(cause(job(), [disrupted('DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint')]).cause).toMatchObject({ kind: 'node-failure', nodes: ['node-7'] });
    expect(cause(job(), [disrupted('TerminationByKubelet', 'The node was low on resource: memory.')]).cause).toMatchObject({ kind: 'node-failure' });
  });

  it('remembers a disruption seen while the pod terminated, for when the Job says only BackoffLimitExceeded', () => {
    const memory = new DisruptionMemory();
    const terminating = pod({ phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting' }] });
    expect(memory.note('job-a', [terminating])).toMatchObject({ kind: 'preempted' });
    const remembered = memory.note('job-a', []);
    expect(remembered).toMatchObject({ kind: 'preempted' });
    expect(memory.note('job-b', [])).toBeUndefined();
    const failedJob = job([{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
    const derived = withKubernetesCause(deriveJobStatus(failedJob, [], options), failedJob, [], { ...options, remembered });
    expect(derived.status).toMatchObject({ state: 'failed', cause: { kind: 'preempted' } });
    memory.forget('job-a');
    expect(memory.note('job-a', [])).toBeUndefined();
  });

  it('NodeLost without the condition (older clusters) is a node failure', () => {
    const lost = pod({ phase: 'Failed', reason: 'NodeLost', message: 'Node node-7 which was running pod j-0-abcde is unresponsive' });
    expect(cause(job(), [lost]).cause).toMatchObject({ kind: 'node-failure', nodes: ['node-7'], platform: expect.stringContaining('NodeLost') });
  });

  it('a pod that never started: the image, or its configuration', () => {
    const image: JobStatus = { state: 'failed', exitCode: null, reason: 'ImagePullBackOff: Back-off pulling image "nope:1" (pending for more than 60 s)' };
    expect(kubernetesCause(image, job(), [], options)).toMatchObject({ kind: 'could-not-start', startProblem: 'image' });
    const config: JobStatus = { state: 'failed', exitCode: null, reason: 'CreateContainerConfigError: secret "s" not found (pending for more than 60 s)' };
    expect(kubernetesCause(config, job(), [], options)).toMatchObject({ kind: 'could-not-start', startProblem: 'config' });
    expect(kubernetesCause({ state: 'failed', exitCode: null, reason: 'Unschedulable: 0/3 nodes are available' }, job(), [], options)).toMatchObject({ kind: 'could-not-start', startProblem: 'resources' });
  });

  it('an ordinary non-zero exit is failed (exit n); a success and a running job get no cause', () => {
    const failedPod = pod({ phase: 'Failed', containerStatuses: [{ name: 'task-0', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 3, reason: 'Error' } } }] });
    expect(cause(job([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]), [failedPod]).cause).toMatchObject({ kind: 'failed', exitCode: 3, platform: 'exit code 3 (Job BackoffLimitExceeded)' });
    const done = pod({ phase: 'Succeeded', containerStatuses: [{ name: 'task-0', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
    expect(cause(job([{ type: 'Complete' }]), [done])).toEqual({ status: { state: 'succeeded', exitCode: 0, nodes: ['node-7'] }, cause: undefined });
    expect(cause(job(), [pod({ phase: 'Running' })]).cause).toBeUndefined();
  });
});
