/**
 * Kubernetes-specific behaviour of the backend against the fake API server:
 * the failures the fake can simulate (stuck image pulls, unschedulable pods,
 * node loss), multi-pod jobs (Indexed completion, prefixed logs), dropped log
 * and watch connections, cancel with Background propagation, and Jobs removed
 * behind the executor's back.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobHandle, JobRequest, JobStatus, LogChunk } from '@pollinator/backend';
import { readAllLogs, waitForFinalStatus } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';

let fake: FakeKubernetes;
let volumeDir: string;
const backends: KubernetesBackend[] = [];

beforeAll(async () => {
  volumeDir = mkdtempSync(join(tmpdir(), 'pollinator-k8s-scenarios-'));
  fake = await startFakeKubernetes({
    namespaces: ['jobs'],
    volumes: { cfs: volumeDir },
    nodes: [{ name: 'cpu-node-0' }, { name: 'cpu-node-1' }, { name: 'gpu-node-0', gpus: 4, labels: { 'nvidia.com/gpu.product': 'NVIDIA-A100' } }],
  });
});

afterEach(async () => {
  fake.simulate.clear();
  for (const backend of backends.splice(0)) await backend.close?.();
});

afterAll(async () => {
  await fake?.close();
  rmSync(volumeDir, { recursive: true, force: true });
});

function backend(options: Partial<KubernetesBackendOptions> = {}): KubernetesBackend {
  const created = createKubernetesBackend({
    kubeconfig: fake.kubeconfig,
    namespace: 'jobs',
    volume: { claimName: 'cfs', executorPath: volumeDir },
    pendingTimeoutSeconds: 1,
    ...options,
  });
  backends.push(created);
  return created;
}

function job(command: string, overrides: Partial<JobRequest> = {}, resources: Partial<JobRequest['resources']> = {}): JobRequest {
  const processId = randomBytes(32).toString('hex');
  return {
    processId,
    image: 'busybox',
    rebuildImage: false,
    initCommand: '',
    command,
    env: { COLONIES_PROCESS_ID: processId, PROJECT_DIR: '/cfs/pollinator/p' },
    resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 100, memoryBytes: 64 * 2 ** 20, gpu: { count: 0, name: '' }, walltimeSeconds: 0, ...resources },
    mounts: [{ hostPath: volumeDir, containerPath: '/cfs' }],
    protectedPaths: [],
    placement: {},
    workDir: volumeDir,
    ...overrides,
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('k8s backend against the fake API server', () => {
  it('fails a pod stuck in ImagePullBackOff after the grace period and deletes the Job', async () => {
    fake.simulate.imagePullFailure('registry.example/private:1');
    const k8s = backend();
    const handle = await k8s.start(job('echo never', { image: 'registry.example/private:1' }));
    const pending = await waitFor('pending with a reason', async () => {
      const status = await k8s.status(handle);
      return status.state === 'pending' && /ImagePullBackOff|ErrImagePull/.test(status.reason) ? status : undefined;
    });
    expect(pending.state).toBe('pending');
    const status = await waitForFinalStatus(k8s, handle, 10_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: null, reason: expect.stringMatching(/^(ImagePullBackOff|ErrImagePull): .*registry\.example\/private:1.*pending for more than 1 s/) });
    await waitFor('the Job to be deleted', () => fake.list('jobs', 'jobs').every((object) => object.metadata.name !== handle.id) || undefined);
    expect((await readAllLogs(k8s, handle, '', 5000)).text).toBe('');
  });

  it('fails an unschedulable GPU job with the scheduler message, and runs it where a matching node exists', async () => {
    const k8s = backend();
    const missing = await k8s.start(job('echo gpu', {}, { gpu: { count: 1, name: 'NVIDIA-H100' } }));
    const status = await waitForFinalStatus(k8s, missing, 10_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: null, reason: expect.stringMatching(/^Unschedulable: 0\/3 nodes are available: .*didn't match Pod's node affinity\/selector/) });

    const present = await k8s.start(job('echo "gpu job on $(hostname)"', {}, { gpu: { count: 2, name: 'NVIDIA-A100' } }));
    expect(await waitForFinalStatus(k8s, present, 10_000)).toEqual({ state: 'succeeded', exitCode: 0, nodes: ['gpu-node-0'] });
    const pods = fake.list('pods', 'jobs').filter((pod) => pod.metadata.labels?.['job-name'] === present.id);
    expect(pods[0]!.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('2');
  });

  it('fails a job whose pods stay unschedulable for any reason (simulated)', async () => {
    fake.simulate.unschedulable({ message: '0/3 nodes are available: 3 Insufficient memory.' });
    const k8s = backend();
    const handle = await k8s.start(job('echo x'));
    expect(await waitForFinalStatus(k8s, handle, 10_000)).toMatchObject({ state: 'failed', reason: expect.stringContaining('Unschedulable: 0/3 nodes are available: 3 Insufficient memory.') });
  });

  it('fails a job whose node is lost, with no exit code, and keeps the output it had', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('echo before-loss; sleep 30; echo after-loss'));
    const node = await waitFor('the pod to run', async () => {
      const status = await k8s.status(handle);
      return status.state === 'running' ? status.nodes[0] : undefined;
    });
    const chunks: LogChunk[] = [];
    const reading = (async () => {
      for await (const chunk of k8s.logs(handle, '')) chunks.push(chunk);
    })();
    await waitFor('the first line', () => chunks.some((chunk) => chunk.text.includes('before-loss')) || undefined);
    fake.simulate.nodeLoss(node);
    const status = await waitForFinalStatus(k8s, handle, 10_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: null, reason: expect.stringMatching(/^NodeLost: Node .* is unresponsive/) });
    await reading;
    expect(chunks.map((chunk) => chunk.text).join('')).toBe('before-loss\n');
  });

  it('runs nodes x processes as an Indexed Job with prefixed logs and exact cursors', async () => {
    const k8s = backend();
    const handle = await k8s.start(
      job('echo "rank=$JOB_COMPLETION_INDEX task=$POLLINATOR_TASK_INDEX of $POLLINATOR_NODES"; sleep 0.2; printf "no-newline-$JOB_COMPLETION_INDEX"', {}, { nodes: 2, processesPerNode: 2 }),
    );
    const status = await waitForFinalStatus(k8s, handle, 15_000);
    expect(status.state).toBe('succeeded');
    const { text, chunks } = await readAllLogs(k8s, handle, '', 10_000);
    const lines = text.split('\n').filter(Boolean).sort();
    expect(lines).toHaveLength(8);
    for (const rank of [0, 1]) {
      for (const task of [0, 1]) {
        const prefix = new RegExp(`^\\[pod/${handle.id}-${rank}-[a-z0-9]+/task-${task}\\] `);
        expect(lines.filter((line) => prefix.test(line)).map((line) => line.replace(prefix, '')).sort()).toEqual([`no-newline-${rank}`, `rank=${rank} task=${task} of 2`]);
      }
    }
    for (const [index, chunk] of chunks.entries()) {
      const before = chunks.slice(0, index + 1).map((entry) => entry.text).join('');
      expect(before + (await readAllLogs(k8s, handle, chunk.cursor, 10_000)).text).toBe(text);
    }
    const pods = fake.list('pods', 'jobs').filter((pod) => pod.metadata.labels?.['job-name'] === handle.id);
    expect(pods.map((pod) => pod.spec.hostname).sort()).toEqual([`${handle.id}-0`, `${handle.id}-1`]);
    expect(await k8s.attributes!(handle)).toMatchObject({ 'K8S-NAMESPACE': 'jobs', 'K8S-JOB': handle.id, 'K8S-PODS': expect.stringContaining(handle.id) });
  });

  it('answers status from the watch cache, not by polling the API server', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('sleep 3'));
    const direct = (from: number) => fake.requests.slice(from).filter((request) => request.path.includes(handle.id) || request.query.labelSelector?.includes(handle.id));
    // Until the watches have delivered the new Job, status may read it directly; then never again.
    await waitFor('the cache to know the job', async () => {
      const mark = fake.requests.length;
      await k8s.status(handle);
      return direct(mark).length === 0 ? true : undefined;
    });
    const before = fake.requests.length;
    for (let index = 0; index < 20; index += 1) await k8s.status(handle);
    expect(direct(before)).toEqual([]);
    const watches = fake.requests.filter((request) => request.query.watch === 'true');
    expect(watches.map((request) => request.path)).toEqual(expect.arrayContaining(['/apis/batch/v1/namespaces/jobs/jobs', '/api/v1/namespaces/jobs/pods']));
    expect(await waitForFinalStatus(k8s, handle, 10_000)).toMatchObject({ state: 'succeeded' });
  });

  it('fails a multi-pod job with the failing pod named and stops the others', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('if [ "$JOB_COMPLETION_INDEX" = 1 ]; then sleep 0.3; exit 7; fi; sleep 30', {}, { nodes: 2 }));
    const status = await waitForFinalStatus(k8s, handle, 15_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: 7, reason: expect.stringMatching(new RegExp(`^exit code 7 \\(pod ${handle.id}-1-`)) });
    await waitFor('the other pod to stop', () =>
      fake.list('pods', 'jobs').filter((pod) => pod.metadata.labels?.['job-name'] === handle.id).every((pod) => ['Succeeded', 'Failed'].includes(pod.status.phase)) || undefined,
    );
  });

  it('survives dropped log streams and watches without losing or repeating output', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('i=1; while [ $i -le 30 ]; do echo "line $i"; i=$((i+1)); sleep 0.05; done'));
    const chunks: LogChunk[] = [];
    const reading = (async () => {
      for await (const chunk of k8s.logs(handle, '')) chunks.push(chunk);
    })();
    await waitFor('some output', () => chunks.length > 0 || undefined);
    fake.simulate.dropLogStreams();
    fake.simulate.dropWatches();
    fake.simulate.compactWatchHistory();
    await new Promise((resolve) => setTimeout(resolve, 400));
    fake.simulate.dropLogStreams();
    await reading;
    const expected = Array.from({ length: 30 }, (_, index) => `line ${index + 1}\n`).join('');
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(expected);
    expect(await k8s.status(handle)).toMatchObject({ state: 'succeeded' });
  });

  it('cancels by deleting the Job with Background propagation and waits until the pods are gone', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('trap "echo got-term; exit 143" TERM; echo started; while true; do sleep 0.1; done'));
    await waitFor('running', async () => ((await k8s.status(handle)).state === 'running' ? true : undefined));
    await k8s.cancel(handle);
    const deletes = fake.requests.filter((request) => request.method === 'DELETE' && request.path.endsWith(`/jobs/${handle.id}`));
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes[0]!.query.propagationPolicy ?? (deletes[0]!.body as { propagationPolicy?: string } | undefined)?.propagationPolicy).toBe('Background');
    expect(fake.list('pods', 'jobs').filter((pod) => pod.metadata.labels?.['job-name'] === handle.id)).toEqual([]);
    expect(fake.list('jobs', 'jobs').filter((object) => object.metadata.name === handle.id)).toEqual([]);
    expect(await k8s.status(handle)).toMatchObject({ state: 'cancelled' });
  });

  it('reports a Job deleted behind its back as failed, and re-attach finds nothing', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('sleep 30'));
    await waitFor('running', async () => ((await k8s.status(handle)).state === 'running' ? true : undefined));
    const response = await fetch(`${fake.url}/apis/batch/v1/namespaces/jobs/jobs/${handle.id}?propagationPolicy=Background`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const status: JobStatus = await waitForFinalStatus(k8s, handle, 10_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: null, reason: expect.stringContaining('no longer exists') });
    const again = await backend().reattach!(JSON.parse(JSON.stringify(handle)) as JobHandle);
    expect(again).toBeUndefined();
  });

  it('stops a job at its wall time through the pod deadline and reports the limit', async () => {
    const k8s = backend();
    const handle = await k8s.start(job('echo start; sleep 30', {}, { walltimeSeconds: 1 }));
    const status = await waitForFinalStatus(k8s, handle, 10_000);
    expect(status).toMatchObject({ state: 'failed', timeLimit: true, reason: expect.stringContaining('wall time of 1 s') });
    const created = fake.requests.find((request) => request.method === 'POST' && (request.body as { metadata?: { name?: string } })?.metadata?.name === handle.id);
    expect((created!.body as { spec: { activeDeadlineSeconds: number; template: { spec: { activeDeadlineSeconds: number } } } }).spec.template.spec.activeDeadlineSeconds).toBe(1);
  });

  it('refuses a job the API server rejects, with its message', async () => {
    const k8s = backend({ labels: { 'bad label!': 'x' } });
    await expect(k8s.start(job('true'))).rejects.toThrow(/cannot create Job .* is invalid: metadata\.labels/);
  });

  it('refuses to start when the cluster cannot be reached', async () => {
    const k8s = createKubernetesBackend({ kubeconfig: { ...fake.kubeconfig, clusters: [{ name: 'fake', cluster: { server: 'http://127.0.0.1:1', 'insecure-skip-tls-verify': true } }] }, namespace: 'jobs', volume: { claimName: 'cfs', executorPath: volumeDir } });
    backends.push(k8s);
    await expect(k8s.start(job('true'))).rejects.toThrow(/cannot create Job/);
  });
});
