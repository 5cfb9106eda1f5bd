/**
 * `preflightJob()` of the Kubernetes backend against the fake API server
 * (real HTTP, `?dryRun=All`): a valid job is accepted and nothing is created;
 * an invalid Job, a missing claim or namespace, missing permissions, a used-up
 * ResourceQuota and a job no node can hold are refused in words that say what to do; whether a
 * node can hold the job is "unknown" when the account may not list nodes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendError, type JobRequest } from '@pollinator/backend';
import { testJobRequest, type JobRequestOverrides } from '@pollinator/backend/test';
import { startFakeKubernetes, type FakeKubernetes, type PolicyRule } from '@pollinator/test-utils';
import { createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';

const role = (loadAllYaml(readFileSync(new URL('../../../docs/kubernetes-rbac.yaml', import.meta.url), 'utf8')) as { kind: string; rules?: PolicyRule[] }[]).find(
  (object) => object.kind === 'Role',
)!;

let volumeDir: string;
let fake: FakeKubernetes;
const fakes: FakeKubernetes[] = [];
const backends: KubernetesBackend[] = [];

beforeAll(async () => {
  volumeDir = mkdtempSync(join(tmpdir(), 'pollinator-k8s-job-preflight-'));
  fake = await startFakeKubernetes({
    namespaces: ['jobs'],
    volumes: { cfs: volumeDir },
    nodes: [
      { name: 'small-0', cpu: 4, memoryBytes: 8 * 2 ** 30 },
      { name: 'small-1', cpu: 4, memoryBytes: 8 * 2 ** 30 },
    ],
  });
  fakes.push(fake);
});
afterEach(async () => {
  for (const backend of backends.splice(0)) await backend.close?.();
});
afterAll(async () => {
  for (const started of fakes) await started.close();
  rmSync(volumeDir, { recursive: true, force: true });
});

function backend(target: FakeKubernetes = fake, options: KubernetesBackendOptions = {}): KubernetesBackend {
  const created = createKubernetesBackend({ kubeconfig: target.kubeconfig, namespace: 'jobs', volume: { claimName: 'cfs', executorPath: volumeDir }, ...options });
  backends.push(created);
  return created;
}

function job(overrides: JobRequestOverrides = {}): JobRequest {
  return testJobRequest('echo hello', volumeDir, {
    image: 'busybox',
    mounts: [{ hostPath: volumeDir, containerPath: '/cfs' }],
    ...overrides,
    resources: { cpuMillicores: 500, memoryBytes: 2 * 2 ** 30, ...overrides.resources },
  });
}

/** Jobs and pods of the fake, and the dry-run creates it received. */
function sideEffects(target: FakeKubernetes = fake): { jobs: number; pods: number } {
  return { jobs: target.list('jobs').length, pods: target.list('pods').length };
}

describe('preflightJob on the Kubernetes fake', () => {
  it('a valid job: accepted by a dry run, the nodes that can hold it named, nothing created', async () => {
    const dryRuns = fake.requests.length;
    const answer = await backend().preflightJob!(job({ resources: { nodes: 2 } }));
    expect(answer).toEqual({
      ok: true,
      message:
        'Kubernetes accepts the Job (server-side dry run in namespace jobs); 2 of 2 nodes can hold a pod (500m cpu, 2 GiB memory each; by allocatable capacity, pods running there now are not counted, so it may still wait)',
    });
    const create = fake.requests.slice(dryRuns).find((request) => request.method === 'POST');
    expect(create).toMatchObject({ path: '/apis/batch/v1/namespaces/jobs/jobs', query: { dryRun: 'All' } });
    expect(sideEffects()).toEqual({ jobs: 0, pods: 0 });
  });

  it('more memory than any node has: refused, with what the nodes lack and what to do', async () => {
    const answer = await backend().preflightJob!(job({ resources: { memoryBytes: 16 * 2 ** 30 } }));
    expect(answer).toEqual({
      ok: false,
      message:
        'Kubernetes accepts the Job, but no node can hold a pod of the Job: each pod requests 500m cpu, 16 GiB memory; 2 nodes: 2 Insufficient memory; the most allocatable memory on a node is 8 GiB — the pods would stay Pending (Unschedulable) unless the cluster adds larger nodes: lower conditions (mem, cpu, gpu) or nodes',
    });
  });

  it('more pods than the nodes hold at once: refused', async () => {
    const answer = await backend().preflightJob!(job({ resources: { nodes: 3, memoryBytes: 6 * 2 ** 30 } }));
    expect(answer.ok).toBe(false);
    expect(answer.message).toContain('the nodes can hold only 2 of its 3 pods at once');
  });

  it('a GPU model no node has: refused by the node selector', async () => {
    const answer = await backend().preflightJob!(job({ resources: { gpu: { count: 1, name: 'a100' } } }));
    expect(answer.ok).toBe(false);
    expect(answer.message).toContain("2 node(s) didn't match the pod's node selector");
  });

  it('an invalid Job (a deadline beyond what Kubernetes accepts): refused 422 in the server\'s words', async () => {
    const answer = await backend().preflightJob!(job({ resources: { walltimeSeconds: 3_000_000_000 } }));
    expect(answer.ok).toBe(false);
    expect(answer.message).toMatch(/^Kubernetes refuses the Job as invalid: Job\.batch "pollinator-[^"]+" is invalid: spec\.template\.spec\.activeDeadlineSeconds: Invalid value: 3000000000/);
    expect(sideEffects()).toEqual({ jobs: 0, pods: 0 });
  });

  it('a request the manifest builder refuses: the reason start() would give', async () => {
    const answer = await backend().preflightJob!(job({ image: '' }));
    expect(answer).toEqual({ ok: false, message: expect.stringContaining('the job has no container image (kwargs docker-image)') });
  });

  it('a claim that does not exist: refused, the pods would stay Pending', async () => {
    const answer = await backend(fake, { volume: { claimName: 'no-such-claim', executorPath: volumeDir } }).preflightJob!(job());
    expect(answer).toEqual({
      ok: false,
      message:
        'the PersistentVolumeClaim no-such-claim does not exist in namespace jobs: the pods would stay Pending (persistentvolumeclaim "no-such-claim" not found) — create it or set POLLINATOR_K8S_PVC',
    });
  });

  it('a namespace that does not exist: refused 404', async () => {
    const answer = await backend(fake, { namespace: 'nowhere' }).preflightJob!(job());
    expect(answer).toEqual({ ok: false, message: 'Kubernetes refuses the Job (404): namespaces "nowhere" not found — create namespace nowhere or set POLLINATOR_K8S_NAMESPACE' });
  });

  it('a namespace whose ResourceQuota has no room for another Job: refused with the quota\'s words', async () => {
    const quotaFake = await startFakeKubernetes({ namespaces: ['jobs'], volumes: { cfs: volumeDir } });
    fakes.push(quotaFake);
    const created = await fetch(`${quotaFake.url}/api/v1/namespaces/jobs/resourcequotas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metadata: { name: 'batch-jobs' }, spec: { hard: { 'count/jobs.batch': '0' } } }),
    });
    expect(created.status).toBe(201);
    const answer = await backend(quotaFake).preflightJob!(job());
    expect(answer.ok).toBe(false);
    expect(answer.message).toMatch(
      /^Kubernetes refuses the Job: the namespace's ResourceQuota is used up \(jobs\.batch "pollinator-[^"]+" is forbidden: exceeded quota: batch-jobs, requested: count\/jobs\.batch=1, used: count\/jobs\.batch=0, limited: count\/jobs\.batch=0\) — wait for jobs of namespace jobs to end, or ask for a larger quota$/,
    );
  });

  it('an API server that cannot be asked: throws (the runtime answers "could not be asked")', async () => {
    const closed = await startFakeKubernetes({ namespaces: ['jobs'] });
    const k8s = backend(closed);
    await closed.close();
    await expect(k8s.preflightJob!(job())).rejects.toSatisfy((error) => BackendError.isInstance(error) && /cannot ask the API server for a dry run/.test((error as Error).message));
  });
});

describe('preflightJob under RBAC', () => {
  it('with the Role of docs/kubernetes-rbac.yaml: accepted, node capacity unknown (it may not list nodes)', async () => {
    const restricted = await startFakeKubernetes({ namespaces: ['jobs'], volumes: { cfs: volumeDir }, rbac: { rules: role.rules!, user: 'system:serviceaccount:jobs:pollinator-executor' } });
    fakes.push(restricted);
    const answer = await backend(restricted).preflightJob!(job());
    expect(answer).toEqual({
      ok: true,
      message:
        'Kubernetes accepts the Job (server-side dry run in namespace jobs); whether a node can hold its pods is unknown: this account may not list nodes (a ClusterRole with "list nodes" lets plan --check compare node capacity)',
    });
    expect(restricted.forbidden.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /api/v1/nodes']);
    expect(sideEffects(restricted)).toEqual({ jobs: 0, pods: 0 });
  });

  it('an account that may not create Jobs: refused 403 with the fix', async () => {
    const rules = role.rules!.map((rule) => ({ ...rule, verbs: rule.verbs.filter((verb) => verb !== 'create') }));
    const readOnly = await startFakeKubernetes({ namespaces: ['jobs'], volumes: { cfs: volumeDir }, rbac: { rules, user: 'system:serviceaccount:jobs:reader' } });
    fakes.push(readOnly);
    const answer = await backend(readOnly).preflightJob!(job());
    expect(answer).toEqual({
      ok: false,
      message:
        'Kubernetes refuses the Job (403 Forbidden): jobs.batch is forbidden: User "system:serviceaccount:jobs:reader" cannot create resource "jobs" in API group "batch" in the namespace "jobs" — bind the executor\'s account to the Role of docs/kubernetes-rbac.yaml in namespace jobs',
    });
  });
});
