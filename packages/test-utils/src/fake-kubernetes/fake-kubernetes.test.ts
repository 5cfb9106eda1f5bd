/**
 * The fake API server itself, through plain HTTP (the Kubernetes backend's
 * tests drive it with @kubernetes/client-node): schema validation, Job
 * semantics, deletion propagation, watch resume and 410, log follow, and the
 * failure simulations.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- raw API JSON. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubernetes, type FakeKubernetes } from './index';

let fake: FakeKubernetes;

beforeAll(async () => {
  fake = await startFakeKubernetes({ namespaces: ['test'], maxGracePeriodMs: 500 });
});

afterAll(async () => {
  await fake?.close();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    // plain text (logs)
  }
  return { status: response.status, json };
}

function jobBody(name: string, command: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: 'fake-test' } },
    spec: {
      backoffLimit: 0,
      ...spec,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['/bin/sh', '-c', command] }] } },
    },
  };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const jobCondition = async (name: string): Promise<any> =>
  until(async () => {
    const { json } = await api('GET', `/apis/batch/v1/namespaces/test/jobs/${name}`);
    return json.status?.conditions?.find((entry: any) => entry.status === 'True');
  });

const podsOf = async (name: string): Promise<any[]> => (await api('GET', `/api/v1/namespaces/test/pods?labelSelector=job-name%3D${name}`)).json.items;

describe('fake Kubernetes API server', () => {
  it('validates bodies against the upstream schema and the API server rules (422 Invalid)', async () => {
    const wrongType = jobBody('bad-type', 'true', { backoffLimit: 'zero' });
    const result = await api('POST', '/apis/batch/v1/namespaces/test/jobs', wrongType);
    expect(result.status).toBe(422);
    expect(result.json).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(result.json.message).toMatch(/spec\.backoffLimit: schema: must be integer/);

    const noName = jobBody('x', 'true');
    (noName as any).spec.template.spec.containers[0].name = undefined;
    expect((await api('POST', '/apis/batch/v1/namespaces/test/jobs', noName)).json.message).toMatch(/containers\.0: schema: must have required property name/);

    const always = jobBody('always', 'true');
    (always as any).spec.template.spec.restartPolicy = 'Always';
    expect((await api('POST', '/apis/batch/v1/namespaces/test/jobs', always)).json.message).toMatch(/restartPolicy: Unsupported value: "Always"/);

    const longLabel = jobBody('long-label', 'true');
    (longLabel as any).metadata.labels.id = 'a'.repeat(64);
    expect((await api('POST', '/apis/batch/v1/namespaces/test/jobs', longLabel)).status).toBe(422);

    expect((await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody('indexed', 'true', { completionMode: 'Indexed' }))).json.message).toMatch(/spec\.completions: Required value/);
    expect((await api('POST', '/apis/batch/v1/namespaces/missing/jobs', jobBody('ok', 'true'))).status).toBe(404);
  });

  it('runs a Job, 409s a duplicate, serves and follows the pod log', async () => {
    expect((await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody('hello', 'echo one; sleep 0.3; echo two'))).status).toBe(201);
    expect((await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody('hello', 'true'))).json).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    const pod = await until(async () => (await podsOf('hello')).find((entry) => entry.status.phase === 'Running'));
    const followed = await fetch(`${fake.url}/api/v1/namespaces/test/pods/${pod.metadata.name}/log?follow=true`);
    expect(await followed.text()).toBe('one\ntwo\n');
    expect((await jobCondition('hello')).type).toBe('Complete');
    const [done] = await podsOf('hello');
    expect(done.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('honours backoffLimit, Indexed completion and the Job deadline', async () => {
    await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody('retry', 'exit 4', { backoffLimit: 1 }));
    expect(await jobCondition('retry')).toMatchObject({ type: 'Failed', reason: 'BackoffLimitExceeded' });
    expect(await podsOf('retry')).toHaveLength(2);

    await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody('indexed', 'echo "index=$JOB_COMPLETION_INDEX"', { completionMode: 'Indexed', completions: 3, parallelism: 3 }));
    expect((await jobCondition('indexed')).type).toBe('Complete');
    const { json } = await api('GET', '/apis/batch/v1/namespaces/test/jobs/indexed');
    expect(json.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const logs = await Promise.all((await podsOf('indexed')).map(async (entry) => (await api('GET', `/api/v1/namespaces/test/pods/${entry.metadata.name}/log`)).json));
    expect(logs.sort()).toEqual(['index=0\n', 'index=1\n', 'index=2\n']);

    await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody('deadline', 'sleep 30', { activeDeadlineSeconds: 1 }));
    expect(await jobCondition('deadline')).toMatchObject({ type: 'Failed', reason: 'DeadlineExceeded' });
  });

  it('deletes with Orphan by default for Jobs, and with Background or Foreground when asked', async () => {
    for (const name of ['orphan', 'background', 'foreground']) {
      await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody(name, 'sleep 30'));
      await until(async () => (await podsOf(name)).find((entry) => entry.status.phase === 'Running'));
    }
    await api('DELETE', '/apis/batch/v1/namespaces/test/jobs/orphan');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [orphan] = await podsOf('orphan');
    expect(orphan.status.phase).toBe('Running');
    expect(orphan.metadata.ownerReferences).toEqual([]);
    await api('DELETE', `/api/v1/namespaces/test/pods/${orphan.metadata.name}?gracePeriodSeconds=0`);

    await api('DELETE', '/apis/batch/v1/namespaces/test/jobs/background', { propagationPolicy: 'Background' });
    expect((await api('GET', '/apis/batch/v1/namespaces/test/jobs/background')).status).toBe(404);
    await until(async () => ((await podsOf('background')).length === 0 ? true : undefined));

    await api('DELETE', '/apis/batch/v1/namespaces/test/jobs/foreground?propagationPolicy=Foreground');
    expect((await api('GET', '/apis/batch/v1/namespaces/test/jobs/foreground')).json.metadata.deletionTimestamp).toBeDefined();
    await until(async () => ((await api('GET', '/apis/batch/v1/namespaces/test/jobs/foreground')).status === 404 ? true : undefined));
    expect(await podsOf('foreground')).toEqual([]);
  });

  it('resumes a watch from a resourceVersion and answers 410 Gone after compaction', async () => {
    const list = await api('GET', '/apis/batch/v1/namespaces/test/jobs');
    const from = list.json.metadata.resourceVersion as string;
    await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody('watched', 'true'));
    await jobCondition('watched');
    const controller = new AbortController();
    const response = await fetch(`${fake.url}/apis/batch/v1/namespaces/test/jobs?watch=true&resourceVersion=${from}&fieldSelector=metadata.name%3Dwatched&timeoutSeconds=1`, { signal: controller.signal });
    const events = (await response.text()).trim().split('\n').map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'watched' } } });
    expect(events.at(-1).object.status.conditions[0].type).toBe('Complete');

    fake.simulate.compactWatchHistory();
    const gone = await fetch(`${fake.url}/apis/batch/v1/namespaces/test/jobs?watch=true&resourceVersion=${from}`);
    expect(JSON.parse((await gone.text()).trim())).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('simulates image pull failures, unschedulable pods, missing secrets and node loss', async () => {
    fake.simulate.imagePullFailure('private/image:1');
    const pull = jobBody('pull', 'true');
    (pull as any).spec.template.spec.containers[0].image = 'private/image:1';
    await api('POST', '/apis/batch/v1/namespaces/test/jobs', pull);
    const waiting = await until(async () => (await podsOf('pull'))[0]?.status.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' ? true : undefined);
    expect(waiting).toBe(true);
    expect((await api('GET', `/api/v1/namespaces/test/pods/${(await podsOf('pull'))[0].metadata.name}/log`)).json.message).toMatch(/waiting to start: ImagePullBackOff/);

    const selector = jobBody('selector', 'true');
    (selector as any).spec.template.spec.nodeSelector = { 'nvidia.com/gpu.product': 'H100' };
    await api('POST', '/apis/batch/v1/namespaces/test/jobs', selector);
    const scheduled = await until(async () => (await podsOf('selector'))[0]?.status.conditions?.find((entry: any) => entry.type === 'PodScheduled' && entry.status === 'False'));
    expect(scheduled).toMatchObject({ reason: 'Unschedulable', message: expect.stringContaining("didn't match Pod's node affinity/selector") });

    const secret = jobBody('secret', 'true');
    (secret as any).spec.template.spec.containers[0].env = [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'absent', key: 'token' } } }];
    await api('POST', '/apis/batch/v1/namespaces/test/jobs', secret);
    await until(async () => ((await podsOf('secret'))[0]?.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' ? true : undefined));

    await api('POST', '/apis/batch/v1/namespaces/test/jobs', jobBody('lost', 'sleep 30'));
    const running = await until(async () => (await podsOf('lost')).find((entry) => entry.status.phase === 'Running'));
    fake.simulate.nodeLoss(running.spec.nodeName);
    const [lost] = await podsOf('lost');
    expect(lost.status).toMatchObject({ phase: 'Failed', reason: 'NodeLost' });
    expect(await jobCondition('lost')).toMatchObject({ type: 'Failed', reason: 'BackoffLimitExceeded' });
  });

  it('works with kubectl (JSON, --validate=false)', async () => {
    const kubectl = await promisify(execFile)('kubectl', ['version', '--client'], { encoding: 'utf8' }).catch(() => undefined);
    if (!kubectl) return;
    const { stdout } = await promisify(execFile)('kubectl', ['--kubeconfig', fake.kubeconfigPath, '-n', 'test', 'get', 'jobs', '-o', 'name'], { encoding: 'utf8' });
    expect(stdout).toContain('job.batch/hello');
  });
});
