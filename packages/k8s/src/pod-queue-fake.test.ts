/**
 * "Why is my job waiting?" through the k8s backend against the fake API server (issue #17): a pod the
 * scheduler cannot place is pending with the reason code `Unschedulable`, the scheduler's message and what
 * to do, until the backend fails it after the pending timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatus } from '@pollinator/backend';
import { testJobRequest } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createKubernetesBackend } from './kubernetes-backend';

let fake: FakeKubernetes;
let volumeDir: string;

beforeAll(async () => {
  volumeDir = mkdtempSync(join(tmpdir(), 'pollinator-k8s-queue-'));
  fake = await startFakeKubernetes({ namespaces: ['jobs'], volumes: { cfs: volumeDir }, nodes: [{ name: 'cpu-node-0' }] });
});

afterAll(async () => {
  await fake?.close();
  rmSync(volumeDir, { recursive: true, force: true });
});

describe('a pod no node can take', () => {
  it('is pending with reason Unschedulable and what to do, then fails after the pending timeout', { timeout: 30_000 }, async () => {
    fake.simulate.unschedulable({ message: '0/1 nodes are available: 1 Insufficient memory.' });
    const k8s = createKubernetesBackend({ kubeconfig: fake.kubeconfig, namespace: 'jobs', volume: { claimName: 'cfs', executorPath: volumeDir }, pendingTimeoutSeconds: 5 });
    try {
      const handle = await k8s.start(
        testJobRequest('echo x', volumeDir, { image: 'busybox', mounts: [{ hostPath: volumeDir, containerPath: '/cfs' }], resources: { cpuMillicores: 100, memoryBytes: 64 * 2 ** 20 } }),
      );
      let status: JobStatus = await k8s.status(handle);
      for (let attempt = 0; !(status.state === 'pending' && status.queue) && status.state === 'pending' && attempt < 100; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = await k8s.status(handle);
      }
      expect(status).toMatchObject({
        state: 'pending',
        reason: 'Unschedulable: 0/1 nodes are available: 1 Insufficient memory.',
        queue: {
          reasonCode: 'Unschedulable',
          blocked: expect.stringMatching(
            /^no node can take the job's pod \(0\/1 nodes are available: 1 Insufficient memory\.\): lower conditions\.cpu, conditions\.mem or conditions\.gpu, or ask your admins for room; it fails at \d\d:\d\d:\d\d UTC if still not scheduled$/,
          ),
        },
      });
    } finally {
      fake.simulate.clear();
      await k8s.close?.();
    }
  });
});
