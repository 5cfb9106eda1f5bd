/**
 * End to end through @pollinator/dev-server with the Kubernetes backend on the
 * fake API server: the shared executor-flow suite (`testExecutorFlow`: the
 * sample project's logs and results, a failing job's exit code, a cancel from
 * the client, a detached and restarted executor that re-attaches), with what
 * only Kubernetes shows checked in its hooks: the process's
 * namespace attribute, the Job created with the process-id annotation and
 * deleted after close, and no pod left after a cancel.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { testExecutorFlow } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createK8sBackend } from './kubernetes-backend';

const PROCESS_ID_ANNOTATION = 'pollinator.dev/process-id';

let fake: FakeKubernetes;
let root: string;
let volume: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pollinator-k8s-e2e-'));
  volume = join(root, 'volume');
  mkdirSync(volume, { recursive: true });
  fake = await startFakeKubernetes({ namespaces: ['pollinator'], volumes: { 'pollinator-cfs': volume } });
});

afterAll(async () => {
  await fake?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

testExecutorFlow(
  'k8s on the fake API server',
  // What `pollinator executor start --backend k8s` builds from POLLINATOR_K8S_* and KUBECONFIG.
  () => createK8sBackend({ kubeconfig: fake.kubeconfigPath, volume: { claimName: 'pollinator-cfs', executorPath: volume } }),
  {
    stagingRoot: () => volume,
    // The fake kubelet reports an imageID with a digest once the container runs.
    imageDigest: /^sha256:[0-9a-f]{64}$/,
    async checkAttributes(attributes, processId) {
      expect(attributes['K8S-NAMESPACE']).toBe('pollinator');
      const created = fake.requests.find((request) => request.method === 'POST' && request.path === '/apis/batch/v1/namespaces/pollinator/jobs');
      expect((created!.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations[PROCESS_ID_ANNOTATION]).toBe(processId);
      // Cleaned up after close: the Job is deleted.
      await until(() => fake.list('jobs', 'pollinator').every((job) => job.metadata.annotations?.[PROCESS_ID_ANNOTATION] !== processId), 10_000, 'the Job to be deleted');
    },
    afterCancel(processId) {
      expect(fake.list('pods', 'pollinator').filter((pod) => pod.metadata.annotations?.[PROCESS_ID_ANNOTATION] === processId)).toEqual([]);
    },
  },
);
