/**
 * `jobAddress` of the Kubernetes backend: the IP of the job's first running
 * pod, read from the pod status as the API server reports it. Against the
 * fake API server (its pods are processes on this machine, at a loopback
 * address of their own), and the choice among pods on hand-made statuses.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobHandle, JobRequest } from '@pollinator/backend';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';
import { jobAddressOfPods } from './pod-address';

let fake: FakeKubernetes;
let volumeDir: string;
let backend: KubernetesBackend;

beforeAll(async () => {
  volumeDir = mkdtempSync(join(tmpdir(), 'pollinator-k8s-address-'));
  fake = await startFakeKubernetes({ namespaces: ['jobs'], volumes: { cfs: volumeDir }, nodes: [{ name: 'node-a' }, { name: 'node-b' }] });
  backend = createKubernetesBackend({ kubeconfig: fake.kubeconfig, namespace: 'jobs', volume: { claimName: 'cfs', executorPath: volumeDir } });
});

afterAll(async () => {
  await backend?.close?.();
  await fake?.close();
  rmSync(volumeDir, { recursive: true, force: true });
});

function job(command: string, nodes = 1): JobRequest {
  const processId = randomBytes(32).toString('hex');
  return {
    processId,
    image: 'busybox',
    rebuildImage: false,
    initCommand: '',
    command,
    env: { COLONIES_PROCESS_ID: processId },
    resources: { nodes, processesPerNode: 1, cpuMillicores: 100, memoryBytes: 64 * 2 ** 20, gpu: { count: 0, name: '' }, walltimeSeconds: 0 },
    mounts: [{ hostPath: volumeDir, containerPath: '/cfs' }],
    protectedPaths: [],
    placement: {},
    workDir: volumeDir,
  };
}

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function podsOf(handle: JobHandle): Promise<V1Pod[]> {
  return fake.list('pods', 'jobs').filter((pod) => pod.metadata.labels?.['job-name'] === handle.id) as V1Pod[];
}

describe('kubernetes jobAddress on the fake API server', () => {
  it("is the running pod's IP, where the job's listener answers", async () => {
    const port = await freePort();
    const handle = await backend.start(job(`python3 -m http.server ${port} --bind 0.0.0.0`));
    try {
      const address = await pollFor(() => backend.jobAddress!(handle));
      const [pod] = await podsOf(handle);
      expect(address).toBe(pod?.status?.podIP);
      expect(pod?.status?.podIPs).toEqual([{ ip: address }]);
      await expect.poll(() => fetch(`http://${address}:${port}/`).then((response) => response.status, () => 0), { timeout: 15_000 }).toBe(200);
    } finally {
      await backend.cancel(handle);
    }
    expect(await backend.jobAddress!(handle)).toBeUndefined();
  });

  it('is the pod of completion index 0 for a job on several nodes', async () => {
    const handle = await backend.start(job('sleep 30', 2));
    try {
      const address = await pollFor(async () => ((await podsOf(handle)).filter((pod) => pod.status?.phase === 'Running').length === 2 ? backend.jobAddress!(handle) : undefined));
      const first = (await podsOf(handle)).find((pod) => pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'] === '0');
      expect(address).toBe(first?.status?.podIP);
    } finally {
      await backend.cancel(handle);
    }
  });
});

/** Polls until `probe` gives a value (at most 15 s). */
async function pollFor<T>(probe: () => Promise<T | undefined>): Promise<T> {
  let value: T | undefined;
  await expect.poll(async () => (value = await probe()), { timeout: 15_000, interval: 50 }).toBeDefined();
  return value as T;
}

describe('jobAddressOfPods', () => {
  const pod = (name: string, phase: string, status: Partial<NonNullable<V1Pod['status']>>, index?: number, deleting = false): V1Pod => ({
    metadata: {
      name,
      ...(index === undefined ? {} : { annotations: { 'batch.kubernetes.io/job-completion-index': String(index) } }),
      ...(deleting ? { deletionTimestamp: new Date() } : {}),
    },
    status: { phase, ...status },
  });

  it('takes the running pod of the lowest completion index, podIPs before podIP', () => {
    expect(
      jobAddressOfPods([pod('j-1', 'Running', { podIP: '10.0.0.2' }, 1), pod('j-0', 'Running', { podIP: '10.0.0.1', podIPs: [{ ip: 'fd00::1' }] }, 0)]),
    ).toBe('fd00::1');
    expect(jobAddressOfPods([pod('j-b', 'Running', { podIP: '10.0.0.2' }), pod('j-a', 'Running', { podIP: '10.0.0.1' })])).toBe('10.0.0.1');
  });

  it('has none while no pod runs with an IP, and skips a pod being deleted', () => {
    expect(jobAddressOfPods([])).toBeUndefined();
    expect(jobAddressOfPods([pod('j-0', 'Pending', { hostIP: '10.0.0.9' }, 0)])).toBeUndefined();
    expect(jobAddressOfPods([pod('j-0', 'Running', {}, 0)])).toBeUndefined();
    expect(jobAddressOfPods([pod('j-0', 'Succeeded', { podIP: '10.0.0.1' }, 0)])).toBeUndefined();
    expect(jobAddressOfPods([pod('j-0', 'Running', { podIP: '10.0.0.1' }, 0, true), pod('j-1', 'Running', { podIP: '10.0.0.2' }, 1)])).toBe('10.0.0.2');
  });
});
