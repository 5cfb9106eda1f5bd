/**
 * The shared backend conformance suite against the fake Kubernetes API server
 * of @pollinator/test-utils (its toy kubelet runs the commands on this
 * machine). What the fake cannot check — real images, registries, RBAC,
 * admission, real scheduling — is covered by the same suite against a real
 * cluster in `kubernetes-backend.cluster.test.ts` when KUBECONFIG is set.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { testBackend } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createKubernetesBackend } from './kubernetes-backend';

const volumeDir = mkdtempSync(join(tmpdir(), 'pollinator-k8s-volume-'));
mkdirSync(volumeDir, { recursive: true });
let fake: Promise<FakeKubernetes> | undefined;

function startFake(): Promise<FakeKubernetes> {
  fake ??= startFakeKubernetes({ namespaces: ['pollinator'], volumes: { 'pollinator-cfs': volumeDir } }).then((started) => {
    // The fake ignores images; this one it reports as missing, as a registry would.
    started.simulate.imagePullFailure(/no-such-image/);
    return started;
  });
  return fake;
}

afterAll(async () => {
  await (await fake)?.close();
  rmSync(volumeDir, { recursive: true, force: true });
});

testBackend(
  'k8s (fake API server)',
  async () => {
    const server = await startFake();
    return createKubernetesBackend({
      kubeconfig: server.kubeconfigPath,
      namespace: 'pollinator',
      volume: { claimName: 'pollinator-cfs', executorPath: volumeDir },
      pendingTimeoutSeconds: 3,
    });
  },
  // The fake's kubelet runs on the host and rewrites /cfs paths in env values to the host directory.
  { baseDir: volumeDir, containers: true, timeLimitSeconds: 2, rewritesMountPaths: true },
);
