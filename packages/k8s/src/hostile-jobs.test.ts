/**
 * The hostile-job suite (issue #13) with the Kubernetes backend on the fake
 * API server of @pollinator/test-utils. Each staged dir is its own `subPath`
 * mount of the claim, so a pod is given only its project's directories.
 *
 * `isolatesFilesystem: false`: the fake's kubelet runs containers as host
 * processes (no mount namespace; mount paths are rewritten to host paths), so
 * a job there can reach any host path. What is checked is the executor's side:
 * it never follows, uploads or writes through what a job made, and cancel
 * kills every process of the pod (the fake kills by a per-container marker in
 * the environment, as a real runtime kills the container's cgroup). A real
 * cluster isolates pods; `kubernetes-backend.cluster.test.ts` runs there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { testHostileJobs } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createKubernetesBackend } from './kubernetes-backend';

const volumeDir = mkdtempSync(join(tmpdir(), 'pollinator-k8s-hostile-'));
let fake: Promise<FakeKubernetes> | undefined;

afterAll(async () => {
  await (await fake)?.close();
  rmSync(volumeDir, { recursive: true, force: true });
});

testHostileJobs(
  'k8s (fake API server)',
  async () => {
    fake ??= startFakeKubernetes({ namespaces: ['pollinator'], volumes: { 'pollinator-cfs': volumeDir } });
    const server = await fake;
    return createKubernetesBackend({
      kubeconfig: server.kubeconfigPath,
      namespace: 'pollinator',
      volume: { claimName: 'pollinator-cfs', executorPath: volumeDir },
      pendingTimeoutSeconds: 10,
    });
  },
  { baseDir: volumeDir, isolatesFilesystem: false, jobTimeoutSeconds: 30 },
);
