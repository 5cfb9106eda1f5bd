/**
 * The stop signal through the k8s backend against the fake API server, whose
 * kubelet runs each container as real processes: the container's timer
 * (job-manifest.ts) signals the job `before` seconds ahead of the pod's
 * `activeDeadlineSeconds`, and the deadline still ends a job that keeps running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { testStopSignal } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';

let fake: FakeKubernetes;
let volumeDir: string;
const backends: KubernetesBackend[] = [];

beforeAll(async () => {
  volumeDir = mkdtempSync(join(tmpdir(), 'pollinator-k8s-stop-signal-'));
  fake = await startFakeKubernetes({ namespaces: ['jobs'], volumes: { cfs: volumeDir } });
});

afterAll(async () => {
  for (const backend of backends.splice(0)) await backend.close?.();
  await fake?.close();
  rmSync(volumeDir, { recursive: true, force: true });
});

testStopSignal(
  'k8s (fake API server)',
  () => {
    const created = createKubernetesBackend({
      kubeconfig: fake.kubeconfig,
      namespace: 'jobs',
      volume: { claimName: 'cfs', executorPath: volumeDir },
      pendingTimeoutSeconds: 5,
    });
    backends.push(created);
    return created;
  },
  { walltimeSeconds: 6, beforeSeconds: 4, timeoutMs: 30_000, request: { image: 'busybox' } },
);
