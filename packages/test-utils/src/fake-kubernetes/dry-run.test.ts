/**
 * `?dryRun=All` on the fake API server, with the real server's semantics:
 * every check of a write runs (schema and semantic validation, the namespace,
 * AlreadyExists, RBAC, ResourceQuota admission) and the answer is the object that would be stored, but
 * nothing is stored — no resourceVersion is used, no watch event, no pod.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- raw API JSON. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubernetes, type FakeKubernetes } from './index';

// A fresh cluster per test: a real Job's pods move the resourceVersion the tests compare.
let fake: FakeKubernetes;

beforeEach(async () => {
  fake = await startFakeKubernetes({ namespaces: ['test'], maxGracePeriodMs: 500 });
});

afterEach(async () => {
  await fake?.close();
});

async function api(target: FakeKubernetes, method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; json: any }> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { 'content-type': type },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

function jobBody(metadata: Record<string, unknown>, memory = '64Mi'): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'busybox', command: ['/bin/sh', '-c', 'echo hi'], resources: { requests: { memory }, limits: { memory } } }],
        },
      },
    },
  };
}

/** The store's resourceVersion: every stored change moves it. */
async function resourceVersion(): Promise<string> {
  return (await api(fake, 'GET', '/apis/batch/v1/namespaces/test/jobs')).json.metadata.resourceVersion;
}

const JOBS = '/apis/batch/v1/namespaces/test/jobs';

describe('dryRun=All on create', () => {
  it('answers 201 with the defaulted object (generated name, uid, selector) and stores nothing', async () => {
    const before = await resourceVersion();
    const { status, json } = await api(fake, 'POST', `${JOBS}?dryRun=All`, jobBody({ generateName: 'dry-' }));
    expect(status).toBe(201);
    expect(json.metadata.name).toMatch(/^dry-[0-9a-f]{5}$/);
    expect(json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.metadata.creationTimestamp).toBeTruthy();
    expect(json.metadata.resourceVersion).toBeUndefined();
    expect(json.metadata.namespace).toBe('test');
    expect(json.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': json.metadata.uid } } });
    expect(json.spec.template.metadata.labels['job-name']).toBe(json.metadata.name);
    expect(json.status).toEqual({});
    expect(await resourceVersion()).toBe(before);
    expect(fake.list('jobs', 'test')).toEqual([]);
    expect(fake.list('pods', 'test')).toEqual([]);
  });

  it('a dry-run name is still free for the real create', async () => {
    expect((await api(fake, 'POST', `${JOBS}?dryRun=All`, jobBody({ name: 'same-name' }))).status).toBe(201);
    const real = await api(fake, 'POST', JOBS, jobBody({ name: 'same-name' }));
    expect(real.status).toBe(201);
    expect(real.json.metadata.resourceVersion).toBeTruthy();
    // Now it exists: the dry run reports the conflict the real create would get.
    const again = await api(fake, 'POST', `${JOBS}?dryRun=All`, jobBody({ name: 'same-name' }));
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'jobs.batch "same-name" already exists' });
  });

  it('an invalid object is refused 422 with its causes, as without dryRun', async () => {
    const before = await resourceVersion();
    const { status, json } = await api(fake, 'POST', `${JOBS}?dryRun=All`, jobBody({ name: 'bad-memory' }, 'lots'));
    expect(status).toBe(422);
    expect(json.reason).toBe('Invalid');
    expect(json.message).toContain('Job.batch "bad-memory" is invalid');
    expect(json.message).toContain('Invalid value: "lots"');
    expect(await resourceVersion()).toBe(before);
  });

  it('a namespace that does not exist: 404', async () => {
    const { status, json } = await api(fake, 'POST', '/apis/batch/v1/namespaces/nowhere/jobs?dryRun=All', jobBody({ name: 'lost' }));
    expect(status).toBe(404);
    expect(json.message).toBe('namespaces "nowhere" not found');
  });

  it('an unsupported dryRun value is refused 400 before anything else', async () => {
    const before = await resourceVersion();
    const { status, json } = await api(fake, 'POST', `${JOBS}?dryRun=Some`, jobBody({ name: 'not-dry' }));
    expect(status).toBe(400);
    expect(json.message).toBe('Invalid dry run value: dryRun: Unsupported value: "Some": supported values: "All"');
    expect(await resourceVersion()).toBe(before);
  });
});

describe('ResourceQuota admission, with and without dryRun', () => {
  it('a Job over count/jobs.batch is refused 403 exceeded quota, in the admission plugin\'s words', async () => {
    const quota = await api(fake, 'POST', '/api/v1/namespaces/test/resourcequotas', { metadata: { name: 'jobs' }, spec: { hard: { 'count/jobs.batch': '1' } } });
    expect(quota.status).toBe(201);
    expect((await api(fake, 'POST', `${JOBS}?dryRun=All`, jobBody({ name: 'one' }))).status).toBe(201);
    expect((await api(fake, 'POST', JOBS, jobBody({ name: 'one' }))).status).toBe(201);
    for (const query of ['?dryRun=All', '']) {
      const { status, json } = await api(fake, 'POST', `${JOBS}${query}`, jobBody({ name: 'two' }));
      expect(status).toBe(403);
      expect(json).toMatchObject({
        reason: 'Forbidden',
        message: 'jobs.batch "two" is forbidden: exceeded quota: jobs, requested: count/jobs.batch=1, used: count/jobs.batch=1, limited: count/jobs.batch=1',
      });
    }
    expect(fake.list('jobs', 'test').map((job) => job.metadata.name)).toEqual(['one']);
  });

  it('a pod over requests.memory is refused; a pod that fits is admitted', async () => {
    await api(fake, 'POST', '/api/v1/namespaces/test/resourcequotas', { metadata: { name: 'compute' }, spec: { hard: { 'requests.memory': '8Gi', pods: '10' } } });
    const pod = (name: string, memory: string): Record<string, unknown> => ({
      metadata: { name },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'], resources: { requests: { memory }, limits: { memory } } }] },
    });
    const big = await api(fake, 'POST', '/api/v1/namespaces/test/pods?dryRun=All', pod('big', '16Gi'));
    expect(big.status).toBe(403);
    expect(big.json.message).toBe('pods "big" is forbidden: exceeded quota: compute, requested: requests.memory=16Gi, used: requests.memory=0, limited: requests.memory=8Gi');
    expect((await api(fake, 'POST', '/api/v1/namespaces/test/pods?dryRun=All', pod('small', '1Gi'))).status).toBe(201);
  });
});

describe('dryRun=All on other writes', () => {
  it('patch and delete answer the result and change nothing', async () => {
    const maps = '/api/v1/namespaces/test/configmaps';
    const created = await api(fake, 'POST', maps, { metadata: { name: 'kept', labels: { a: 'b' } }, data: { x: '1' } });
    expect(created.status).toBe(201);
    const before = await resourceVersion();
    const patched = await api(fake, 'PATCH', `${maps}/kept?dryRun=All`, { metadata: { labels: { a: 'c' } } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.json.metadata.labels).toEqual({ a: 'c' });
    const deleted = await api(fake, 'DELETE', `${maps}/kept?dryRun=All`);
    expect(deleted.status).toBe(200);
    expect(await resourceVersion()).toBe(before);
    expect(fake.list('configmaps', 'test').find((map) => map.metadata.name === 'kept')?.metadata.labels).toEqual({ a: 'b' });
    expect((await api(fake, 'DELETE', `${maps}/gone?dryRun=All`)).status).toBe(404);
  });
});

describe('dryRun=All under RBAC', () => {
  it('needs the create verb like a real create: 403 Forbidden without it', async () => {
    const readOnly = await startFakeKubernetes({ namespaces: ['test'], rbac: { rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list'] }], user: 'system:serviceaccount:test:reader' } });
    try {
      const { status, json } = await api(readOnly, 'POST', `${JOBS}?dryRun=All`, jobBody({ name: 'forbidden' }));
      expect(status).toBe(403);
      expect(json.message).toBe('jobs.batch is forbidden: User "system:serviceaccount:test:reader" cannot create resource "jobs" in API group "batch" in the namespace "test"');
      expect(readOnly.forbidden).toHaveLength(1);
    } finally {
      await readOnly.close();
    }
  });
});
