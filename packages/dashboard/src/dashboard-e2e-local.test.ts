// The dashboard in Chromium with a real executor: runExecutor with the local
// backend (plain processes) on a dev-server, projects submitted as
// `pollinator run --detach` does. A job's lines appear in the page while it
// runs (it waits for the test to let it finish), and a job that would sleep for
// ten minutes is cancelled from the page and its process stops.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore, type BlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, runProject, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { createLocalBackend } from '@pollinator/local';
import { projectYamlTemplate } from '@pollinator/spec-builder';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt, launchChromium } from './browser.test-helpers';
import { startDashboardServer, type DashboardServer } from './index';

let server: DevServer;
let user: ColoniesClient;
let store: BlobStore;
let executor: RunningExecutor;
let dashboard: DashboardServer;
let browser: Browser;
let workDir: string;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A project whose job is `script` run by sh. */
async function writeShellProject(name: string, script: string): Promise<string> {
  const dir = join(workDir, name);
  await mkdir(join(dir, 'cfs', 'src'), { recursive: true });
  const yaml = projectYamlTemplate({ projectName: name }).replace(/^ {2}cmd: .*$/m, '  cmd: sh').replace(/^ {2}source: .*$/m, '  source: main.sh');
  await writeFile(join(dir, 'project.yaml'), yaml);
  await writeFile(join(dir, 'cfs', 'src', 'main.sh'), script);
  return dir;
}

/** Submits the project and returns its process id, without following it. */
async function submitProject(dir: string): Promise<string> {
  const run = runProject({ dir, client: user, blobStore: store, follow: false, stateDir: join(workDir, 'state') });
  let processId: string | undefined;
  for await (const event of run) if (event.type === 'process.submitted') processId = event.processId;
  await run.result;
  if (processId === undefined) throw new Error('the project was not submitted');
  return processId;
}

beforeAll(async () => {
  ensureWebBuilt();
  workDir = await mkdtemp(join(tmpdir(), 'dashboard-e2e-local-'));
  server = await startDevServer({});
  const colonyName = server.identities.colony.name;
  user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName });
  store = createLocalBlobStore({ dir: server.blobDir });
  executor = runExecutor({
    client: createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName }),
    // 'rewrite': the job sees this machine's /tmp (bwrap gives it a private one), where the test talks to it.
    backend: createLocalBackend({ mode: 'process', isolation: 'rewrite' }),
    cfs: { store },
    fsDir: join(workDir, 'fs'),
    stateDir: join(workDir, 'executor-state'),
    executorName: server.identities.executor.name,
  });
  await executor.ready;
  dashboard = await startDashboardServer({ client: user, blobStore: async () => store, pollIntervalMs: 100 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await executor?.stop();
  await server?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the dashboard with a real local executor', () => {
  it("shows a running job's log lines while it runs", async () => {
    const go = join(workDir, 'go');
    const dir = await writeShellProject('real-job', `echo "real job: step 1"\necho "real job: step 2"\nwhile [ ! -e '${go}' ]; do sleep 0.1; done\necho "real job: finished"\n`);
    const processId = await submitProject(dir);
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${dashboard.link}#/runs/${processId}`);
    const log = page.getByRole('log');
    await log.getByText('real job: step 2').waitFor();
    // The job is still waiting for the go file: the lines came while it ran.
    expect((await user.getProcess(processId)).state).toBe(1);
    await writeFile(go, '');
    await log.getByText('real job: finished').waitFor();
    await page.locator('h1 .state-success').waitFor();
    await page.close();
  });

  it('cancels a long job from the page, and its process stops', async () => {
    const pidFile = join(workDir, 'long.pid');
    const dir = await writeShellProject('real-long-job', `echo $$ > '${pidFile}'\necho "long job: sleeping"\nsleep 600\n`);
    const processId = await submitProject(dir);
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${dashboard.link}#/runs/${processId}`);
    await page.getByRole('log').getByText('long job: sleeping').waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('h1 .state-cancelled').waitFor();
    // The executor stops the job's process on cancel.
    const pid = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => isAlive(pid), { timeout: 30_000 }).toBe(false);
    await page.close();
  });
});
