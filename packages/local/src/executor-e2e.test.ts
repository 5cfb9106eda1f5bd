/**
 * End to end through @pollinator/dev-server. The cases every backend shares
 * (the sample project's results come back, a failing job's exit code, a
 * cancel from the client, re-attaching after a restart, the walltime) are the
 * executor-flow suite of @pollinator/backend/test. Here: what only the local
 * backend can show cheaply: self-registration, `sync` processes, an unknown
 * funcname, and an executor process killed mid-job and restarted, which
 * finishes (or fails) the job, never orphans it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cfsMetadataFromClient, createLocalBlobStore, syncDirectory, type BlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, runProject, type ExecutorEvent, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { scaffoldProject } from '@pollinator/spec-builder';
import { testExecutorFlow } from '@pollinator/backend/test';
import { createLocalBackend } from './index';

// A plain process runs no image: no digest to record.
testExecutorFlow('local (plain process)', () => createLocalBackend({ mode: 'process', stopGraceSeconds: 2 }), { timeLimit: true, imageDigest: 'none' });

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const executorMain = fileURLToPath(new URL('./__fixtures__/executor-main.ts', import.meta.url));

let server: DevServer;
let root: string;
let store: BlobStore;
let userClient: ColoniesClient;
let executorClient: ColoniesClient;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pollinator-e2e-'));
  server = await startDevServer({ dataDir: join(root, 'server') });
  store = createLocalBlobStore({ dir: server.blobDir });
  const { colony, user, executor } = server.identities;
  userClient = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
  executorClient = createColoniesClient({ url: server.url, privateKey: executor.privateKey, colonyName: colony.name });
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

afterAll(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function dirs() {
  counter += 1;
  return { fsDir: join(root, `fs-${counter}`), stateDir: join(root, `state-${counter}`), project: join(root, `project-${counter}`) };
}

function startInProcess(paths: { fsDir: string; stateDir: string }, events: ExecutorEvent[] = []): RunningExecutor {
  const executor = runExecutor({
    client: executorClient,
    backend: createLocalBackend({ mode: 'process', stopGraceSeconds: 2 }),
    cfs: { store },
    fsDir: paths.fsDir,
    stateDir: paths.stateDir,
    executorName: server.identities.executor.name,
    assignTimeoutSeconds: 1,
    watchIntervalMs: 250,
    onEvent: (event) => events.push(event),
  });
  cleanups.push(() => executor.stop('cancel'));
  return executor;
}

/** A project whose job runs `script` (a shell script in cfs/src) with sh. */
async function shellProject(dir: string, script: string, walltime = 600): Promise<void> {
  await scaffoldProject(dir, { projectName: `e2e-${counter}-${Date.now()}` });
  const yaml = readFileSync(join(dir, 'project.yaml'), 'utf8')
    .replace('init-cmd: pip3 install numpy', 'init-cmd: ""')
    .replace('cmd: python3', 'cmd: sh')
    .replace('source: main.py', 'source: job.sh')
    .replace('walltime: 600', `walltime: ${walltime}`);
  writeFileSync(join(dir, 'project.yaml'), yaml);
  writeFileSync(join(dir, 'cfs', 'src', 'job.sh'), script);
}

describe('runExecutor(local) through the dev-server', { timeout: 60_000 }, () => {
  it('registers itself with the colony owner key and removes itself on shutdown', async () => {
    const paths = dirs();
    const name = `self-registered-${Date.now()}`;
    const events: ExecutorEvent[] = [];
    const executor = runExecutor({
      client: userClient,
      backend: createLocalBackend({ mode: 'process' }),
      cfs: { store },
      fsDir: paths.fsDir,
      stateDir: paths.stateDir,
      register: { colonyPrivateKey: server.identities.colony.privateKey, name },
      assignTimeoutSeconds: 1,
      onEvent: (event) => events.push(event),
    });
    cleanups.push(() => executor.stop('cancel'));
    const { executorId } = await executor.ready;
    const registered = await userClient.getExecutor(name);
    expect(registered).toMatchObject({ executorid: executorId, executortype: 'container-executor', state: 1 });
    expect(registered.capabilities.hardware[0]?.cores).toBeGreaterThan(0);

    await shellProject(paths.project, 'echo on the self-registered executor\n');
    const run = runProject({ dir: paths.project, client: userClient, blobStore: store, stateDir: false, pollIntervalMs: 100 });
    expect(await run.result).toMatchObject({ state: 'success', exitCode: 0 });

    await executor.stop();
    // Removed: gone, or kept as UNREGISTERED (3) as the real server does.
    const after = await userClient.getExecutor(name).catch(() => undefined);
    expect(after === undefined || after.state === 3, JSON.stringify(after)).toBe(true);
  });

  it('runs a `sync` process: stages the files with {processid} substituted, starts no job', async () => {
    const paths = dirs();
    const label = `/pollinator/e2e-sync-${Date.now()}/data`;
    const local = join(root, `sync-source-${counter}`);
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'input.csv'), 'a,b\n1,2\n');
    await syncDirectory({ dir: local, label, metadata: cfsMetadataFromClient(userClient), store, keepLocal: true, stateDir: false });
    const events: ExecutorEvent[] = [];
    const executor = startInProcess(paths, events);
    await executor.ready;
    const process = await userClient.submit({
      funcname: 'sync',
      maxexectime: 60,
      maxretries: 3,
      conditions: { executortype: server.identities.executor.type, nodes: 1, processespernode: 1, cpu: '100m', mem: '10Mi', walltime: 60 },
      fs: {
        mount: '/cfs',
        snapshots: [],
        dirs: [{ label, dir: '/staged/{processid}', keepfiles: false, onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: false } } }],
      },
    });
    const closed = await userClient.waitForProcess(process.processid, [2, 3, 4], { timeoutMs: 10_000 });
    expect(closed.state, closed.errors.join('; ')).toBe(2);
    expect(readFileSync(join(paths.fsDir, 'staged', process.processid, 'input.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(events.some((event) => event.type === 'job.started')).toBe(false);
  });

  it('rejects an unknown funcname at once', async () => {
    const paths = dirs();
    const executor = startInProcess(paths);
    await executor.ready;
    const process = await userClient.submit({
      funcname: 'no-such-function',
      maxexectime: 60,
      maxretries: 3,
      conditions: { executortype: server.identities.executor.type, nodes: 1, processespernode: 1, cpu: '100m', mem: '10Mi', walltime: 60 },
    });
    const closed = await userClient.waitForProcess(process.processid, [2, 3, 4], { timeoutMs: 10_000 });
    expect(closed.state).toBe(3);
    expect(closed.errors[0]).toMatch(/Unsupported funcname "no-such-function"/);
  });
});

describe('executor crash safety', { timeout: 120_000 }, () => {
  function spawnExecutor(configPath: string): { child: ChildProcess; lines: string[] } {
    const child = spawn(process.execPath, ['--conditions=@pollinator/source', '--import', 'tsx', executorMain, configPath], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (text: string) => lines.push(...text.split('\n').filter(Boolean)));
    child.stderr.setEncoding('utf8').on('data', (text: string) => lines.push(`stderr: ${text}`));
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return { child, lines };
  }

  async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function killedMidJob(options: { loseTheJob: boolean }) {
    const paths = dirs();
    const configPath = join(root, `executor-${counter}.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        url: server.url,
        privateKey: server.identities.executor.privateKey,
        colonyName: server.identities.colony.name,
        executorName: server.identities.executor.name,
        blobDir: server.blobDir,
        ...paths,
      }),
    );
    await shellProject(paths.project, 'echo step-1\nsleep 3\necho step-2\necho done > "$PROJECT_DIR/result/out.txt"\n');
    const first = spawnExecutor(configPath);
    await waitFor(() => first.lines.some((line) => line.includes('"ready"')), 30_000, 'the executor to start');
    const run = runProject({ dir: paths.project, client: userClient, blobStore: store, stateDir: false, follow: false });
    const { processId } = await run.result;
    await waitFor(() => first.lines.some((line) => line.includes('"job.started"')), 20_000, 'the job to start');
    const started = JSON.parse(first.lines.find((line) => line.includes('"job.started"'))!) as { handle: { id: string; data: { workDir: string } } };
    // Kill the executor once the job's first line has reached the server.
    const deadline = Date.now() + 20_000;
    while (!(await userClient.getLogs({ processId: processId!, count: 100 })).some((log) => log.message.includes('step-1'))) {
      if (Date.now() > deadline) throw new Error('the job printed nothing');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Log delivery is at least once: a batch the server stored but whose reply
    // the executor never saw is sent again after the restart. Give the reply
    // time to arrive, so this test can check that nothing else repeats.
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    if (options.loseTheJob) {
      // As if the machine had rebooted: the job and its supervisor are gone.
      const supervisor = Number(started.handle.id);
      const pgid = Number(readFileSync(join(started.handle.data.workDir, 'job.pgid'), 'utf8'));
      for (const target of [supervisor, -pgid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    const second = spawnExecutor(configPath);
    const final = await userClient.waitForProcess(processId!, [2, 3, 4], { timeoutMs: 30_000 });
    const logs = (await userClient.getLogs({ processId: processId!, count: 100 })).map((log) => log.message).join('');
    return { final, logs, second, paths };
  }

  it('re-attaches after kill -9 and finishes the job', async () => {
    const { final, logs, second } = await killedMidJob({ loseTheJob: false });
    expect(final.state, final.errors.join('; ')).toBe(2);
    expect(logs).toContain('step-1\n');
    expect(logs).toContain('step-2\n');
    expect(logs.match(/step-1/g)).toHaveLength(1);
    expect(second.lines.some((line) => line.includes('"job.reattached"'))).toBe(true);
    const attribute = final.attributes.find((entry) => entry.key === 'EXITCODE');
    expect(attribute?.value).toBe('0');
  });

  it('on SIGTERM stops assigning, lets the running job finish, then exits', async () => {
    const paths = dirs();
    const configPath = join(root, `executor-${counter}.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        url: server.url,
        privateKey: server.identities.executor.privateKey,
        colonyName: server.identities.colony.name,
        executorName: server.identities.executor.name,
        blobDir: server.blobDir,
        ...paths,
      }),
    );
    await shellProject(paths.project, 'echo working\nsleep 2\necho finished\n');
    const child = spawnExecutor(configPath);
    await waitFor(() => child.lines.some((line) => line.includes('"ready"')), 30_000, 'the executor to start');
    const run = runProject({ dir: paths.project, client: userClient, blobStore: store, stateDir: false, follow: false });
    const { processId } = await run.result;
    await waitFor(() => child.lines.some((line) => line.includes('"job.started"')), 20_000, 'the job to start');
    child.child.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) => child.child.once('exit', (code) => resolve(code)));
    expect(exitCode).toBe(0);
    const final = await userClient.getProcess(processId!);
    expect(final.state).toBe(2);
    expect(child.lines.some((line) => line.includes('"shutdown"'))).toBe(true);
  });

  it('fails the job with a clear error when the backend lost it', async () => {
    const { final } = await killedMidJob({ loseTheJob: true });
    expect(final.state).toBe(3);
    // Normally the restarted executor finds no job ('executor lost the job'); if it looks while the
    // killed processes are still dying, the backend reports the vanished supervisor instead.
    expect(final.errors[0]).toMatch(/executor lost the job|job supervisor disappeared/);
  });
});
