/**
 * A colony for the end-to-end tests on real Slurm: the embedded dev-server, a
 * local blob store, `runExecutor` with a Slurm backend, and projects run
 * through `runProject` (what `pollinator run` does).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore, type BlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, runProject, type ExecutorEvent, type PollinatorEvent, type RunResult, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { scaffoldProject } from '@pollinator/spec-builder';
import type { Backend } from '@pollinator/backend';
import { createSlurmBackend } from './slurm-backend';

export interface Colony {
  server: DevServer;
  user: ColoniesClient;
  store: BlobStore;
  root: string;
  fsDir: string;
  stateDir: string;
}

export async function startColony(): Promise<Colony> {
  const server = await startDevServer({});
  const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-e2e-'));
  return {
    server,
    user: createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name }),
    store: createLocalBlobStore({ dir: server.blobDir }),
    root,
    fsDir: join(root, 'fs'),
    stateDir: join(root, 'executor'),
  };
}

export function startExecutor(colony: Colony, onEvent?: (event: ExecutorEvent) => void, backend: Backend = createSlurmBackend({ runtime: 'none', pendingNoticeDelayMs: 0 })): RunningExecutor {
  const client = createColoniesClient({
    url: colony.server.url,
    privateKey: colony.server.identities.executor.privateKey,
    colonyName: colony.server.identities.colony.name,
  });
  return runExecutor({
    client,
    backend,
    cfs: { store: colony.store },
    fsDir: colony.fsDir,
    stateDir: colony.stateDir,
    assignTimeoutSeconds: 1,
    watchIntervalMs: 500,
    ...(onEvent ? { onEvent } : {}),
  });
}

let projects = 0;
/** The sample project of `pollinator new`, runnable on the bare node: no `pip install`, python3 of the node. */
export async function sampleProject(colony: Colony, change: { mainPy?: string; yaml?: (text: string) => string } = {}): Promise<string> {
  projects += 1;
  const dir = join(colony.root, `project-${projects}`);
  await scaffoldProject(dir, { projectName: `slurm-e2e-${projects}` });
  let yaml = readFileSync(join(dir, 'project.yaml'), 'utf8').replace(/init-cmd: .*/, 'init-cmd: ""');
  if (change.yaml) yaml = change.yaml(yaml);
  writeFileSync(join(dir, 'project.yaml'), yaml);
  if (change.mainPy) writeFileSync(join(dir, 'cfs', 'src', 'main.py'), change.mainPy);
  return dir;
}

/** The sample project as a shell job in a container image: `main.sh` runs with `sh`. */
export async function shellProject(colony: Colony, image: string, mainSh: string, yaml: (text: string) => string = (text) => text): Promise<string> {
  const dir = await sampleProject(colony, {
    yaml: (text) => yaml(text.replace(/docker: .*/, `docker: ${image}`).replace(/cmd: python3/, 'cmd: sh').replace(/source: main.py/, 'source: main.sh')),
  });
  writeFileSync(join(dir, 'cfs', 'src', 'main.sh'), mainSh);
  return dir;
}

/** Runs a project; `onEvent` may abort it. */
export async function run(
  colony: Colony,
  dir: string,
  onEvent: (event: PollinatorEvent, abort: () => void) => void = () => undefined,
): Promise<{ result: RunResult; events: PollinatorEvent[]; logs: string }> {
  const controller = new AbortController();
  const running = runProject({
    dir,
    client: colony.user,
    blobStore: colony.store,
    stateDir: join(colony.root, 'cfs-state'),
    pollIntervalMs: 200,
    signal: controller.signal,
    cancelOnAbort: true,
  });
  const events: PollinatorEvent[] = [];
  for await (const event of running) {
    events.push(event);
    onEvent(event, () => controller.abort());
  }
  const logs = events.flatMap((event) => (event.type === 'log' ? [event.message] : [])).join('');
  return { result: await running.result, events, logs };
}

export function squeueByName(processId: string): string {
  return execFileSync('squeue', ['-h', '-n', processId, '-o', '%i %T'], { encoding: 'utf8' }).trim();
}

/** A process's attributes by key (the last one of a key wins). */
export async function attributesOf(colony: Colony, processId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await colony.user.getProcess(processId)).attributes.map((entry) => [entry.key, entry.value]));
}
