import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { createKubernetesBackend } from '@pollinator/k8s';
import { scaffoldProject } from '@pollinator/spec-builder';
import { startFakeKubernetes, type FakeKubernetes } from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { colonyUserEnv, createSandbox, runCli, type Sandbox } from './cli-harness';

// `pollinator plan --check` (issue #17) through the real binary on a dev-server with a Kubernetes executor on
// the fake API server (two 8 GiB nodes): the executor answers with a server-side dry run of the Job (`?dryRun=All`)
// and whether a node could hold its pods; nothing is created.

let server: DevServer;
let fake: FakeKubernetes;
let executor: RunningExecutor;
let sandbox: Sandbox;
let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pollinator-plan-check-k8s-'));
  const volume = join(root, 'volume');
  mkdirSync(volume, { recursive: true });
  fake = await startFakeKubernetes({
    namespaces: ['pollinator'],
    volumes: { 'pollinator-cfs': volume },
    nodes: [
      { name: 'node-0', cpu: 4, memoryBytes: 8 * 2 ** 30 },
      { name: 'node-1', cpu: 4, memoryBytes: 8 * 2 ** 30 },
    ],
  });
  server = await startDevServer({});
  sandbox = createSandbox();
  executor = runExecutor({
    client: createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName: server.identities.colony.name }),
    backend: createKubernetesBackend({ kubeconfig: fake.kubeconfigPath, volume: { claimName: 'pollinator-cfs', executorPath: volume } }),
    cfs: { store: createLocalBlobStore({ dir: server.blobDir }) },
    fsDir: join(volume, 'fs'),
    stateDir: join(root, 'executor'),
    assignTimeoutSeconds: 1,
  });
  await executor.ready;
});
afterAll(async () => {
  await executor?.stop('cancel');
  await server?.close();
  await fake?.close();
  sandbox?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

function env(): Record<string, string | undefined> {
  return colonyUserEnv(server, sandbox, { POLLINATOR_BLOB_DIR: server.blobDir });
}

async function project(name: string, edit: (yaml: string) => string = (yaml) => yaml): Promise<string> {
  const dir = join(root, name);
  await scaffoldProject(dir, { projectName: name });
  writeFileSync(join(dir, 'project.yaml'), edit(readFileSync(join(dir, 'project.yaml'), 'utf8').replace(/init-cmd: .*/, 'init-cmd: ""')));
  return dir;
}

describe('plan --check with a Kubernetes executor (fake API server)', () => {
  it('a valid job: accepted by a dry run, the nodes that can hold it named, exit 0, nothing created', { timeout: 120_000 }, async () => {
    const dir = await project('check-k8s-valid');
    const result = await runCli(['plan', '--check'], { cwd: dir, env: env(), timeoutMs: 90_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('✔ Preflight (k8s executor): Kubernetes accepts the Job (server-side dry run in namespace pollinator); 2 of 2 nodes can hold a pod (1 cpu, 1000 MiB memory each;');
    expect(result.stderr).not.toContain('earliest start');
    expect(fake.requests.some((request) => request.method === 'POST' && request.query.dryRun === 'All')).toBe(true);
    expect(fake.list('jobs')).toEqual([]);
    expect(fake.list('pods')).toEqual([]);
  });

  it('more memory than any node has: refused with what to do, exit 65, a valid plan.check line', { timeout: 120_000 }, async () => {
    const dir = await project('check-k8s-memory', (yaml) => yaml.replace(/mem: 1000Mi/, 'mem: 16Gi'));
    const result = await runCli(['plan', '--check', '--json'], { cwd: dir, env: env(), timeoutMs: 90_000 });
    expect(result.code, result.stderr).toBe(65);
    const line = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ type: 'plan.check', result: 'answered', ok: false, backend: 'k8s', checked: true });
    expect(line.message).toBe(
      'Kubernetes accepts the Job, but no node can hold a pod of the Job: each pod requests 1 cpu, 16 GiB memory; 2 nodes: 2 Insufficient memory; the most allocatable memory on a node is 8 GiB — the pods would stay Pending (Unschedulable) unless the cluster adds larger nodes: lower conditions (mem, cpu, gpu) or nodes',
    );
    expect(eventProblems(line)).toBe('');
    expect(fake.list('jobs')).toEqual([]);
  });
});
