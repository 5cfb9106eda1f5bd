/**
 * Failure causes through the k8s backend against the fake API server (issue #17): the OOM killer
 * (`simulate.oomKill`: SIGKILL, then `terminated: OOMKilled, exit 137`), the pod deadline, node loss
 * (the fake sets `NodeLost` and the `DisruptionTarget` condition as the taint manager does), an image
 * that cannot be pulled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeJobCause, jobCauseOf, type JobHandle, type JobRequest, type JobStatus } from '@pollinator/backend';
import { waitForFinalStatus, testJobRequest, type JobRequestOverrides } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';

let fake: FakeKubernetes;
let volumeDir: string;
const backends: KubernetesBackend[] = [];

beforeAll(async () => {
  volumeDir = mkdtempSync(join(tmpdir(), 'pollinator-k8s-causes-'));
  fake = await startFakeKubernetes({ namespaces: ['jobs'], volumes: { cfs: volumeDir }, nodes: [{ name: 'cpu-node-0' }, { name: 'cpu-node-1' }] });
});

afterEach(async () => {
  fake.simulate.clear();
  for (const backend of backends.splice(0)) await backend.close?.();
});

afterAll(async () => {
  await fake?.close();
  rmSync(volumeDir, { recursive: true, force: true });
});

function backend(): KubernetesBackend {
  const created = createKubernetesBackend({
    kubeconfig: fake.kubeconfig,
    namespace: 'jobs',
    volume: { claimName: 'cfs', executorPath: volumeDir },
    pendingTimeoutSeconds: 1,
  });
  backends.push(created);
  return created;
}

function job(command: string, overrides: JobRequestOverrides = {}, resources: Partial<JobRequest['resources']> = {}): JobRequest {
  return testJobRequest(command, volumeDir, {
    image: 'busybox',
    mounts: [{ hostPath: volumeDir, containerPath: '/cfs' }],
    ...overrides,
    resources: { cpuMillicores: 100, memoryBytes: 64 * 2 ** 20, ...resources },
  });
}

async function running(k8s: KubernetesBackend, handle: JobHandle): Promise<Extract<JobStatus, { state: 'running' }>> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const status = await k8s.status(handle);
    if (status.state === 'running') return status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the pod never ran');
}

describe('failure causes on the Kubernetes fake', () => {
  it('a container the OOM killer stopped is out of memory, with its memory limit', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('sleep 30'));
    await running(k8s, handle);
    expect(fake.simulate.oomKill((pod) => pod.metadata.labels?.['job-name'] === handle.id)).toBe(1);
    const status = await waitForFinalStatus(k8s, handle, 10_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: 137, reason: expect.stringMatching(/^OOMKilled: exit code 137/) });
    expect(describeJobCause(jobCauseOf(status)!)).toBe('killed: out of memory (limit 64 MiB) — raise conditions.mem');
  });

  it('a pod over its deadline is a time limit', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('sleep 30', {}, { walltimeSeconds: 1 }));
    const status = await waitForFinalStatus(k8s, handle, 15_000);
    expect(status).toMatchObject({ state: 'failed', timeLimit: true, cause: { kind: 'time-limit', limitSeconds: 1 } });
  });

  it('a lost node is a node failure naming the node', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('sleep 30'));
    const node = (await running(k8s, handle)).nodes[0]!;
    fake.simulate.nodeLoss(node);
    const status = await waitForFinalStatus(k8s, handle, 10_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: null, cause: { kind: 'node-failure', nodes: [node] } });
    expect(jobCauseOf(status)?.platform).toMatch(/DisruptionTarget DeletionByTaintManager/);
  });

  it('a preempted pod is "preempted", also once the terminated pod is gone (the backend remembers the condition)', async () => {
    const k8s = backend();
    // The job takes a moment to stop on SIGTERM, as a checkpointing job would: the pod carries DisruptionTarget meanwhile.
    const handle = await k8s.start(job("trap 'sleep 1; exit 143' TERM; echo trap-set; sleep 30 & wait"));
    await running(k8s, handle);
    // Preempt only once the trap is set (a SIGTERM before it would end the job at once).
    let output = '';
    for await (const chunk of k8s.logs(handle, '')) {
      output += chunk.text;
      if (output.includes('trap-set')) break;
    }
    expect(fake.simulate.preempt((pod) => pod.metadata.labels?.['job-name'] === handle.id)).toBe(1);
    const status = await waitForFinalStatus(k8s, handle, 15_000);
    expect(status).toMatchObject({ state: 'failed', cause: { kind: 'preempted', platform: expect.stringContaining('DisruptionTarget PreemptionByScheduler') } });
    expect(describeJobCause(jobCauseOf(status)!)).toBe('killed: preempted by a higher-priority job — run it again, or use a partition or QoS without preemption');
  });

  it('an image that cannot be pulled is "could not start: the image"', async () => {
    fake.simulate.imagePullFailure('registry.example/missing:1');
    const k8s = backend();
    const handle = await k8s.start(job('echo never', { image: 'registry.example/missing:1' }));
    const status = await waitForFinalStatus(k8s, handle, 10_000);
    expect(status).toMatchObject({ state: 'failed', cause: { kind: 'could-not-start', startProblem: 'image' } });
  });
});
