/**
 * The Role in docs/kubernetes-rbac.yaml is enough: the fake API server
 * enforces exactly its rules while the backend runs, follows, cancels,
 * re-attaches, fails a stuck job and cleans up — and nothing is refused. A
 * Role without `delete` on jobs makes cancel fail with the API's message.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRequest } from '@pollinator/backend';
import { readAllLogs, waitForFinalStatus } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes, type PolicyRule } from '@pollinator/test-utils';
import { createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';

const role = (loadAllYaml(readFileSync(new URL('../../../docs/kubernetes-rbac.yaml', import.meta.url), 'utf8')) as { kind: string; rules?: PolicyRule[] }[]).find(
  (object) => object?.kind === 'Role',
)!;

let volume: string;
const fakes: FakeKubernetes[] = [];
const backends: KubernetesBackend[] = [];

beforeAll(() => {
  volume = mkdtempSync(join(tmpdir(), 'pollinator-k8s-rbac-'));
});

afterAll(async () => {
  for (const backend of backends) await backend.close?.();
  for (const fake of fakes) await fake.close();
  rmSync(volume, { recursive: true, force: true });
});

async function setup(rules: PolicyRule[]): Promise<{ fake: FakeKubernetes; k8s: KubernetesBackend }> {
  const fake = await startFakeKubernetes({ namespaces: ['pollinator'], volumes: { cfs: volume }, rbac: { rules, user: 'system:serviceaccount:pollinator:pollinator-executor' } });
  fakes.push(fake);
  fake.simulate.imagePullFailure(/missing/);
  const k8s = createKubernetesBackend({ kubeconfig: fake.kubeconfig, namespace: 'pollinator', volume: { claimName: 'cfs', executorPath: volume }, pendingTimeoutSeconds: 1 });
  backends.push(k8s);
  return { fake, k8s };
}

function job(command: string, image = 'busybox'): JobRequest {
  const processId = randomBytes(32).toString('hex');
  return {
    processId,
    image,
    rebuildImage: false,
    initCommand: '',
    command,
    env: { COLONIES_PROCESS_ID: processId },
    resources: { nodes: 2, processesPerNode: 1, cpuMillicores: 100, memoryBytes: 2 ** 26, gpu: { count: 0, name: '' }, walltimeSeconds: 60 },
    mounts: [{ hostPath: volume, containerPath: '/cfs' }],
    protectedPaths: [],
    placement: {},
    workDir: volume,
  };
}

describe('RBAC of docs/kubernetes-rbac.yaml', () => {
  it('covers everything the backend does', async () => {
    const { fake, k8s } = await setup(role.rules!);
    const done = await k8s.start(job('echo "hello from $JOB_COMPLETION_INDEX"'));
    expect(await waitForFinalStatus(k8s, done, 15_000)).toMatchObject({ state: 'succeeded' });
    expect((await readAllLogs(k8s, done, '', 10_000)).text).toContain('hello from 1');
    await k8s.attributes!(done);
    await k8s.cleanup!(done);

    const running = await k8s.start(job('echo started; sleep 30'));
    const again = await k8s.reattach!(JSON.parse(JSON.stringify(running)));
    expect(again?.id).toBe(running.id);
    await k8s.cancel(running);
    expect(await k8s.status(running)).toMatchObject({ state: 'cancelled' });

    const stuck = await k8s.start(job('true', 'registry.example/missing:1'));
    expect(await waitForFinalStatus(k8s, stuck, 10_000)).toMatchObject({ state: 'failed' });
    await k8s.cleanup!(stuck);

    expect(fake.forbidden).toEqual([]);
  });

  it('reports the API error when a rule is missing (no delete on jobs)', async () => {
    const rules = role.rules!.map((rule) => (rule.resources.includes('jobs') ? { ...rule, verbs: rule.verbs.filter((verb) => verb !== 'delete') } : rule));
    const { fake, k8s } = await setup(rules);
    const handle = await k8s.start(job('sleep 30'));
    await expect(k8s.cancel(handle)).rejects.toThrow(/cannot delete Job .* is forbidden: User "system:serviceaccount:pollinator:pollinator-executor" cannot delete resource "jobs"/);
    expect(fake.forbidden.map((request) => request.method)).toEqual(['DELETE']);
  });
});
