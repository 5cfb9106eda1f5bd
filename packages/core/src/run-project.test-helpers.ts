// The end-to-end harness of the client-side tests (runProject, pull, records,
// rerun): a real dev-server, its local blob store, a temporary work dir, and an
// executor scripted per test (assign → logs → result upload → attributes →
// close), as the real executors do.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createColoniesClient, type ColoniesClient, type Process } from '@pollinator/colonies-client';
import { cfsMetadataFromClient, createLocalBlobStore, createSnapshot, materializeSnapshot, syncDirectory, type BlobStore } from '@pollinator/cfs-sync';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { projectYamlTemplate } from '@pollinator/spec-builder';
import { afterEach, beforeEach } from 'vitest';
import type { PollinatorEvent, PollinatorRun, RunResult } from './events';
import { RunRecordKey } from './run-record-keys';
import { runProject, type RunProjectOptions } from './run-project';

export interface ScriptContext {
  process: Process;
  client: ColoniesClient;
  log: (message: string) => Promise<void>;
  /** Uploads files into the project's result label, as an executor's post-sync does. */
  uploadResult: (files: Record<string, string>) => Promise<void>;
  /**
   * Snapshots the result label (named after the process) and records it as
   * `POLLINATOR_RESULT_SNAPSHOT`, as the Pollinator executor does after uploading results.
   */
  recordResultSnapshot: () => Promise<string>;
  /** Stages `fs.snapshots[index]` into a fresh directory (as an executor's pre-sync does) and reads a file of it. */
  readStaged: (index: number, path: string) => Promise<string>;
  /** Resolves when the process has been cancelled (polls the server). */
  cancelled: () => Promise<void>;
}

export interface Fixture {
  server: DevServer;
  user: ColoniesClient;
  executor: ColoniesClient;
  store: BlobStore;
  workDir: string;
  stateDir: string;
}

/** The current test's fixture (a live binding: set by the hooks `useDevServer` registers). */
export let fixture: Fixture;
const stops: (() => Promise<void>)[] = [];

/** Registers the hooks that start a dev-server per test and clean up after it. */
export function useDevServer(): void {
  beforeEach(async () => {
    const server = await startDevServer({});
    const colonyName = server.identities.colony.name;
    const workDir = await mkdtemp(join(tmpdir(), 'run-project-'));
    fixture = {
      server,
      user: createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName }),
      executor: createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName }),
      store: createLocalBlobStore({ dir: server.blobDir }),
      workDir,
      stateDir: join(workDir, 'state'),
    };
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    await fixture.server.close();
    await rm(fixture.workDir, { recursive: true, force: true });
  });
}

/** Runs `script` for the next process assigned to the dev-server's executor. */
export function scriptedExecutor(script: (context: ScriptContext) => Promise<void>): Promise<void> {
  const { executor, store } = fixture;
  const controller = new AbortController();
  const done = (async () => {
    let process: Process | null = null;
    while (process === null && !controller.signal.aborted) {
      process = await executor.assign({ timeout: 1 }, { signal: controller.signal }).catch(() => null);
    }
    if (process === null) return;
    const assigned = process;
    const resultLabel = assigned.spec.fs.dirs?.[0]?.label ?? '';
    const metadata = cfsMetadataFromClient(executor);
    await script({
      process: assigned,
      client: executor,
      log: async (message) => executor.addLog(assigned.processid, message),
      uploadResult: async (files) => {
        const dir = await mkdtemp(join(fixture.workDir, 'executor-result-'));
        for (const [name, contents] of Object.entries(files)) {
          await mkdir(join(dir, name, '..'), { recursive: true });
          await writeFile(join(dir, name), contents);
        }
        // force: this fresh directory has no sync record, and the label may hold an earlier run's results.
        await syncDirectory({ dir, label: resultLabel, keepLocal: true, force: true, metadata, store, stateDir: false });
      },
      recordResultSnapshot: async () => {
        const snapshot = await createSnapshot({ metadata, store, label: resultLabel, name: assigned.processid });
        await executor.addAttribute({ processId: assigned.processid, key: RunRecordKey.resultSnapshot, value: snapshot.snapshotid });
        return snapshot.snapshotid;
      },
      readStaged: async (index, path) => {
        const snapshotId = assigned.spec.fs.snapshots?.[index]?.snapshotid ?? '';
        const dir = await mkdtemp(join(fixture.workDir, 'executor-staged-'));
        await materializeSnapshot({ metadata, store, snapshot: { snapshotId }, dir });
        return readFile(join(dir, path), 'utf8');
      },
      cancelled: async () => {
        for (;;) {
          const current = await executor.getProcess(assigned.processid);
          if (current.state === 4) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    });
  })();
  stops.push(async () => {
    controller.abort();
    await done.catch(() => undefined);
  });
  return done;
}

/** A project `name` in the work dir: main.py and lib/util.py in src, hello.txt in data. */
export async function writeProject(name: string, extra = ''): Promise<string> {
  const dir = join(fixture.workDir, name);
  await mkdir(join(dir, 'cfs', 'src', 'lib'), { recursive: true });
  await mkdir(join(dir, 'cfs', 'data'), { recursive: true });
  await writeFile(join(dir, 'project.yaml'), projectYamlTemplate({ projectName: name }) + extra);
  await writeFile(join(dir, 'cfs', 'src', 'main.py'), 'print(open("data/hello.txt").read())\n');
  await writeFile(join(dir, 'cfs', 'src', 'lib', 'util.py'), 'X = 1\n');
  await writeFile(join(dir, 'cfs', 'data', 'hello.txt'), 'Hello world!\n');
  return dir;
}

/** Every event of a run and its result. */
export async function drain<R>(run: PollinatorRun<PollinatorEvent, R>): Promise<{ events: PollinatorEvent[]; result: R }> {
  const events: PollinatorEvent[] = [];
  for await (const event of run) events.push(event);
  return { events, result: await run.result };
}

/** runProject with the fixture's client, store and stat cache. */
export async function collect(options: Partial<RunProjectOptions> & { dir: string }): Promise<{ events: PollinatorEvent[]; result: RunResult }> {
  return drain(
    runProject({
      client: fixture.user,
      blobStore: fixture.store,
      stateDir: fixture.stateDir,
      pollIntervalMs: 50,
      ...options,
    }),
  );
}

export function ofType<T extends PollinatorEvent['type']>(events: PollinatorEvent[], type: T) {
  return events.filter((event): event is Extract<PollinatorEvent, { type: T }> => event.type === type);
}

/** Processes, labels, snapshots and blobs on the dev-server. */
export async function serverState() {
  const { user, server } = fixture;
  const processes = await Promise.all([0, 1, 2, 3, 4].map((state) => user.getProcesses({ state: state as 0 })));
  return {
    processes: processes.flat().map((process) => process.processid).sort(),
    labels: (await user.getFileLabels({ name: '/', exact: false })).map((label) => `${label.name}:${label.files}`).sort(),
    snapshots: (await user.getSnapshots()).map((snapshot) => snapshot.snapshotid).sort(),
    blobs: (await readdir(server.blobDir).catch(() => [])).sort(),
  };
}

export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((entry) => join(entry.parentPath, entry.name).slice(dir.length)).sort();
}
