import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { deriveJobStatus } from './job-status';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const options = { now: NOW, pendingTimeoutMs: 60_000, walltimeSeconds: 600 };
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();

function job(conditions: { type: string; reason?: string; message?: string }[] = [], completions = 1): V1Job {
  return { metadata: { name: 'j', uid: 'u' }, spec: { completions, template: {} }, status: { conditions: conditions.map((c) => ({ ...c, status: 'True' })) } };
}

function pod(name: string, index: number, status: Record<string, unknown>, created = ago(10)): V1Pod {
  return {
    metadata: { name, creationTimestamp: created as unknown as Date, annotations: { 'batch.kubernetes.io/job-completion-index': String(index) } },
    spec: { nodeName: `node-${index}`, containers: [{ name: 'task-0' }] },
    status,
  };
}

const terminated = (exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error') => ({
  name: 'task-0',
  image: 'busybox',
  state: { terminated: { exitCode, reason } },
});

describe('deriveJobStatus', () => {
  it('succeeds only when every container exited 0', () => {
    const ok = pod('p0', 0, { phase: 'Succeeded', containerStatuses: [terminated(0)] });
    expect(deriveJobStatus(job([{ type: 'Complete' }]), [ok], options).status).toEqual({ state: 'succeeded', exitCode: 0, nodes: ['node-0'] });
    // All indexes done even before the controller's Complete condition.
    expect(deriveJobStatus(job([], 1), [ok], options).status.state).toBe('succeeded');
    // Not all indexes done yet.
    expect(deriveJobStatus(job([], 2), [ok], options).status.state).toBe('running');
  });

  it('fails with the first non-zero exit code and its reason, naming the pod when there are several', () => {
    const ok = pod('p0', 0, { phase: 'Succeeded', containerStatuses: [terminated(0)] });
    const bad = pod('p1', 1, { phase: 'Failed', containerStatuses: [terminated(137, 'OOMKilled')] });
    expect(deriveJobStatus(job([{ type: 'Failed', reason: 'BackoffLimitExceeded' }], 2), [bad, ok], options).status).toEqual({
      state: 'failed',
      exitCode: 137,
      reason: 'OOMKilled: exit code 137 (pod p1, container task-0)',
    });
    expect(deriveJobStatus(job(), [pod('p0', 0, { phase: 'Failed', containerStatuses: [terminated(3)] })], options).status).toEqual({
      state: 'failed',
      exitCode: 3,
      reason: 'exit code 3',
    });
  });

  it('reports the pod and Job deadlines as time limits', () => {
    const killed = pod('p0', 0, { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', containerStatuses: [terminated(137)] });
    expect(deriveJobStatus(job(), [killed], options).status).toMatchObject({ state: 'failed', timeLimit: true, exitCode: null, reason: expect.stringContaining('600 s') });
    expect(deriveJobStatus(job([{ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]), [], options).status).toMatchObject({
      state: 'failed',
      timeLimit: true,
    });
  });

  it('fails pods lost with their node without an exit code', () => {
    const lost = pod('p0', 0, { phase: 'Failed', reason: 'NodeLost', message: 'Node n1 which was running pod p0 is unresponsive', containerStatuses: [{ name: 'task-0', state: { running: {} } }] });
    expect(deriveJobStatus(job(), [lost], options).status).toEqual({ state: 'failed', exitCode: null, reason: 'NodeLost: Node n1 which was running pod p0 is unresponsive' });
    expect(deriveJobStatus(job([{ type: 'Failed', reason: 'PodFailurePolicy', message: 'x' }]), [], options).status).toEqual({ state: 'failed', exitCode: null, reason: 'PodFailurePolicy: x' });
  });

  it.each(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'InvalidImageName'])('fails a pod stuck in %s after the grace period, and asks to stop the Job', (reason) => {
    const waiting = (created: string) => pod('p0', 0, { phase: 'Pending', containerStatuses: [{ name: 'task-0', image: 'nope', state: { waiting: { reason, message: 'details here' } } }] }, created);
    expect(deriveJobStatus(job(), [waiting(ago(10))], options)).toEqual({ status: { state: 'pending', reason: `${reason}: details here` } });
    const failed = deriveJobStatus(job(), [waiting(ago(61))], options);
    expect(failed.stop).toBe(true);
    expect(failed.status).toMatchObject({ state: 'failed', exitCode: null, reason: `${reason}: details here (pending for more than 60 s)` });
  });

  it('fails an unschedulable pod counting from when it became unschedulable', () => {
    const unschedulable = (since: string) =>
      pod('p0', 0, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.', lastTransitionTime: since }] }, ago(3600));
    expect(deriveJobStatus(job(), [unschedulable(ago(5))], options).status).toEqual({
      state: 'pending',
      reason: 'Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
      queue: {
        reasonCode: 'Unschedulable',
        blocked:
          `no node can take the job's pod (0/3 nodes are available: 3 Insufficient nvidia.com/gpu.): lower conditions.cpu, conditions.mem or conditions.gpu, or ask your admins for room; it fails at ${new Date(NOW + 55_000).toISOString().slice(11, 19)} UTC if still not scheduled`,
      },
    });
    // The words stay the same while it waits (the executor logs each new text).
    const later = { ...options, now: NOW + 30_000 };
    expect(deriveJobStatus(job(), [unschedulable(ago(5))], later).status).toEqual(deriveJobStatus(job(), [unschedulable(ago(5))], options).status);
    expect(deriveJobStatus(job(), [unschedulable(ago(120))], options)).toMatchObject({ stop: true, status: { state: 'failed', reason: expect.stringMatching(/^Unschedulable: 0\/3 nodes/) } });
  });

  it('is pending while pods are created and running once one runs', () => {
    expect(deriveJobStatus(job(), [], options).status).toEqual({ state: 'pending', reason: 'waiting for the Job controller to create pods' });
    const creating = pod('p0', 0, { phase: 'Pending', containerStatuses: [{ name: 'task-0', state: { waiting: { reason: 'ContainerCreating' } } }] });
    expect(deriveJobStatus(job(), [creating], options).status).toEqual({ state: 'pending', reason: 'ContainerCreating' });
    const running = pod('p1', 1, { phase: 'Running', containerStatuses: [{ name: 'task-0', state: { running: {} } }] });
    expect(deriveJobStatus(job([], 2), [creating, running], options).status).toEqual({ state: 'running', nodes: ['node-1'] });
  });
});
