/**
 * End to end through @pollinator/dev-server with the Kubernetes backend on the
 * fake API server: runProject() submits the sample project, runExecutor()
 * with createK8sBackend() runs it as a Job, logs and result files come back; a
 * failing job yields its exit code; a cancel from the client deletes the Job;
 * an executor that detaches and restarts re-attaches to the running Job by
 * its label and finishes the process.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore, type BlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, runProject, type ExecutorEvent, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { scaffoldProject } from '@pollinator/spec-builder';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { createK8sBackend } from './kubernetes-backend';

let server: DevServer;
let fake: FakeKubernetes;
let root: string;
let volume: string;
let store: BlobStore;
let userClient: ColoniesClient;
let executorClient: ColoniesClient;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pollinator-k8s-e2e-'));
  volume = join(root, 'volume');
  mkdirSync(volume, { recursive: true });
  server = await startDevServer({ dataDir: join(root, 'server') });
  fake = await startFakeKubernetes({ namespaces: ['pollinator'], volumes: { 'pollinator-cfs': volume } });
  store = createLocalBlobStore({ dir: server.blobDir });
  const { colony, user, executor } = server.identities;
  userClient = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
  executorClient = createColoniesClient({ url: server.url, privateKey: executor.privateKey, colonyName: colony.name });
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

afterAll(async () => {
  await fake?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function paths() {
  counter += 1;
  return { fsDir: join(volume, `fs-${counter}`), stateDir: join(root, `state-${counter}`), project: join(root, `project-${counter}`) };
}

function startExecutor(dirs: { fsDir: string; stateDir: string }, events: ExecutorEvent[] = []): RunningExecutor {
  const executor = runExecutor({
    client: executorClient,
    // What `pollinator executor start --backend k8s` builds from POLLINATOR_K8S_* and KUBECONFIG.
    backend: createK8sBackend({ kubeconfig: fake.kubeconfigPath, volume: { claimName: 'pollinator-cfs', executorPath: volume } }),
    cfs: { store },
    fsDir: dirs.fsDir,
    stateDir: dirs.stateDir,
    executorName: server.identities.executor.name,
    assignTimeoutSeconds: 1,
    watchIntervalMs: 250,
    onEvent: (event) => events.push(event),
  });
  cleanups.push(() => executor.stop('cancel'));
  return executor;
}

async function shellProject(dir: string, script: string): Promise<void> {
  await scaffoldProject(dir, { projectName: `k8s-e2e-${counter}-${Date.now()}` });
  const yaml = readFileSync(join(dir, 'project.yaml'), 'utf8')
    .replace('init-cmd: pip3 install numpy', 'init-cmd: ""')
    .replace('cmd: python3', 'cmd: sh')
    .replace('source: main.py', 'source: job.sh');
  writeFileSync(join(dir, 'project.yaml'), yaml);
  writeFileSync(join(dir, 'cfs', 'src', 'job.sh'), script);
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('runProject + runExecutor(k8s on the fake API server) through the dev-server', () => {
  it('runs the sample project as a Job and its logs and results come back', async () => {
    const dirs = paths();
    await scaffoldProject(dirs.project, { projectName: `k8s-sample-${Date.now()}` });
    // The sample's init command installs numpy with pip: not on this offline machine.
    writeFileSync(join(dirs.project, 'project.yaml'), readFileSync(join(dirs.project, 'project.yaml'), 'utf8').replace('init-cmd: pip3 install numpy', 'init-cmd: ""'));
    const events: ExecutorEvent[] = [];
    const executor = startExecutor(dirs, events);
    await executor.ready;
    const run = runProject({ dir: dirs.project, client: userClient, blobStore: store, stateDir: false, pollIntervalMs: 100 });
    const logs: string[] = [];
    for await (const event of run) if (event.type === 'log') logs.push(event.message);
    const result = await run.result;
    expect(result, logs.join('')).toMatchObject({ state: 'success', exitCode: 0 });
    expect(logs.join('')).toContain('Hello world!');
    expect(readFileSync(join(dirs.project, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
    const process = await userClient.getProcess(result.processId!);
    const attributes = Object.fromEntries((process.attributes ?? []).map((attribute: { key: string; value: string }) => [attribute.key, attribute.value]));
    expect(attributes['K8S-NAMESPACE']).toBe('pollinator');
    const created = fake.requests.find((request) => request.method === 'POST' && request.path === '/apis/batch/v1/namespaces/pollinator/jobs');
    expect((created!.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations['pollinator.dev/process-id']).toBe(result.processId);
    // Cleaned up after close: the Job is deleted.
    await until(() => fake.list('jobs', 'pollinator').every((job) => job.metadata.annotations?.['pollinator.dev/process-id'] !== result.processId), 10_000, 'the Job to be deleted');
  });

  it('reports a failing job with its exit code and uploads its results anyway', async () => {
    const dirs = paths();
    await shellProject(dirs.project, 'echo partial > "$PROJECT_DIR/result/partial.txt"\necho failing\nexit 3\n');
    const executor = startExecutor(dirs);
    await executor.ready;
    const result = await runProject({ dir: dirs.project, client: userClient, blobStore: store, stateDir: false, pollIntervalMs: 100 }).result;
    expect(result).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(readFileSync(join(dirs.project, 'cfs', 'result', 'partial.txt'), 'utf8')).toBe('partial\n');
  });

  it('deletes the Job when the client cancels the process', async () => {
    const dirs = paths();
    await shellProject(dirs.project, 'echo started\nsleep 60\n');
    const events: ExecutorEvent[] = [];
    const executor = startExecutor(dirs, events);
    await executor.ready;
    const { processId } = await runProject({ dir: dirs.project, client: userClient, blobStore: store, stateDir: false, follow: false }).result;
    for await (const log of userClient.followLogs(processId!, { signal: AbortSignal.timeout(20_000) })) if (log.message.includes('started')) break;
    const cancelledAt = Date.now();
    await userClient.cancelProcess(processId!);
    await until(() => events.some((event) => event.type === 'job.finished' && event.processId === processId), 10_000, 'the job to stop');
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    expect(fake.list('pods', 'pollinator').filter((pod) => pod.metadata.annotations?.['pollinator.dev/process-id'] === processId)).toEqual([]);
  });

  it('re-attaches to a running Job after the executor restarts', async () => {
    const dirs = paths();
    await shellProject(dirs.project, 'echo step-1\nsleep 2\necho step-2\necho done > "$PROJECT_DIR/result/out.txt"\n');
    const first = startExecutor(dirs);
    await first.ready;
    const run = runProject({ dir: dirs.project, client: userClient, blobStore: store, stateDir: false, follow: false });
    const { processId } = await run.result;
    for await (const log of userClient.followLogs(processId!, { signal: AbortSignal.timeout(20_000) })) if (log.message.includes('step-1')) break;
    await first.stop('detach');
    const events: ExecutorEvent[] = [];
    const second = startExecutor(dirs, events);
    await second.ready;
    expect(events.some((event) => event.type === 'job.reattached' && event.processId === processId)).toBe(true);
    const closed = await userClient.waitForProcess(processId!, [2, 3, 4], { timeoutMs: 20_000 });
    expect(closed.state).toBe(2);
    const logs = (await userClient.getLogs({ processId: processId!, count: 100 })).map((log) => log.message).join('');
    expect(logs.match(/step-2/g)).toHaveLength(1);
  });
});
