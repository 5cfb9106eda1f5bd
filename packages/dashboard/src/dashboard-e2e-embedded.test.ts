// The dashboard of the embedded default in Chromium, as a user gets there: the
// real `pollinator` binary, nothing configured (a sandboxed HOME and data
// directory), `pollinator new`'s sample project run with `pollinator run`,
// which starts the embedded default's background service; `pollinator ui`
// prints the link of the dashboard that service serves. One colony for every
// case. The sample's job is changed in the test's copy to wait for the test,
// so its lines are seen while it runs. Jobs run as plain processes, in
// bubblewrap where it works: they get a /tmp of their own but read the rest of
// this machine, so the file they wait for is put outside /tmp.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../cli/test/cli-harness';
import { startCli, type BackgroundCli } from '../../cli/test/forward-harness';
import { createProject } from '../../cli/test/project-fixture';
import { ensureWebBuilt, launchChromium } from './browser.test-helpers';

let sandbox: Sandbox;
/** Where the test leaves files for the jobs to see (outside /tmp). */
let gateDir: string;
let env: Record<string, string | undefined>;
let browser: Browser;
let ui: BackgroundCli | undefined;
const commands: BackgroundCli[] = [];
/** Every request the browser sent and every response body it read (live streams aside). */
const traffic: string[] = [];
const pending: Promise<void>[] = [];

/** What the sample's job writes into its results: bytes of every value, and the sample's data file. */
const RESULT_PREFIX = Buffer.from(Array.from({ length: 64 * 1024 }, (_, index) => index % 251));

/** Pids of this machine's processes with exactly this command line (the job's own pid namespace hides its pids from it). */
function processesRunning(argv: string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  return readdirSync('/proc').flatMap((name) => {
    if (!/^\d+$/.test(name)) return [];
    try {
      return readFileSync(`/proc/${name}/cmdline`, 'utf8') === wanted ? [Number(name)] : [];
    } catch {
      return [];
    }
  });
}

function cli(args: string[], cwd: string): BackgroundCli {
  const command = startCli(args, { cwd, env });
  commands.push(command);
  return command;
}

/** The link `pollinator ui` prints (started once: it attaches to the service `run` started). */
async function dashboardLink(): Promise<string> {
  ui ??= cli(['ui', '--json'], sandbox.dir);
  const ready = JSON.parse((await ui.waitFor(/^\{.*"ui\.ready".*\}$/m, 'stdout'))[0]) as { url: string };
  return ready.url;
}

async function openRun(processId: string): Promise<Page> {
  const page = await browser.newPage({ acceptDownloads: true });
  page.setDefaultTimeout(30_000);
  page.on('dialog', (dialog) => void dialog.accept());
  page.on('request', (request) => traffic.push(`${request.method()} ${request.url()} ${JSON.stringify(request.headers())} ${request.postData() ?? ''}`));
  page.on('response', (response) => {
    if ((response.headers()['content-type'] ?? '').includes('text/event-stream')) return;
    pending.push(response.body().then((body) => void traffic.push(body.toString('latin1')), () => undefined));
  });
  await page.goto(`${await dashboardLink()}#/runs/${processId}`);
  return page;
}

/** Starts `pollinator run` in the project and returns it with the id of the process it submitted. */
async function startRun(dir: string): Promise<{ run: BackgroundCli; processId: string }> {
  const run = cli(['run'], dir);
  const processId = (await run.waitFor(/Submitted process ([0-9a-f]{64})/))[1]!;
  return { run, processId };
}

beforeAll(async () => {
  ensureWebBuilt();
  sandbox = createSandbox();
  gateDir = mkdtempSync('/var/tmp/pollinator-dashboard-e2e-');
  env = sandbox.env;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const command of commands) command.signal('SIGKILL');
  // Stops the background service the first `run` started.
  sandbox?.cleanup();
  if (gateDir) rmSync(gateDir, { recursive: true, force: true });
});

describe('the dashboard of the embedded default, with the real CLI', () => {
  it("shows the sample's log lines while `pollinator run` runs it, and its result downloads byte for byte", { timeout: 180_000 }, async () => {
    const go = join(gateDir, 'go');
    const mainPy = `import os, time
project_dir = os.environ["PROJECT_DIR"]
print("sample: step 1", flush=True)
print("sample: step 2", flush=True)
while not os.path.exists(${JSON.stringify(go)}):
    time.sleep(0.1)
contents = open(os.path.join(project_dir, "data", "hello.txt"), "rb").read()
os.makedirs(os.path.join(project_dir, "result"), exist_ok=True)
with open(os.path.join(project_dir, "result", "result.bin"), "wb") as result:
    result.write(bytes(i % 251 for i in range(64 * 1024)) + contents)
print("sample: finished", flush=True)
`;
    const dir = await createProject(sandbox, 'sample', { mainPy });
    const expected = Buffer.concat([RESULT_PREFIX, readFileSync(join(dir, 'cfs', 'data', 'hello.txt'))]);
    const { run, processId } = await startRun(dir);
    let runEnded = false;
    void run.exited.then(() => (runEnded = true));

    const page = await openRun(processId);
    const log = page.getByRole('log');
    await log.getByText('sample: step 2').waitFor();
    // The job waits for the go file: these lines came while it ran, with `pollinator run` still following it.
    await page.locator('h1 .state-running').waitFor();
    expect(runEnded).toBe(false);
    expect(existsSync(go)).toBe(false);
    writeFileSync(go, '');
    await log.getByText('sample: finished').waitFor();
    await page.locator('h1 .state-success').waitFor();

    const ended = await run.exited;
    expect(ended.code, run.stderr()).toBe(0);
    // `pollinator run` downloaded the result as it always does; the page serves the same bytes.
    expect(Buffer.compare(readFileSync(join(dir, 'cfs', 'result', 'result.bin')), expected)).toBe(0);
    await page.getByRole('button', { name: 'Refresh results' }).click();
    const link = page.getByRole('link', { name: 'result.bin' });
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(Buffer.compare(readFileSync(await download.path()), expected)).toBe(0);
    await page.close();
  });

  it('cancels a long job from the page: its process stops and `pollinator run` ends saying so', { timeout: 180_000 }, async () => {
    // A sleep this test can tell from any other on the machine.
    const sleep = ['sleep', `600.${Date.now() % 1_000_000}`];
    const mainPy = `import os
print("long job: sleeping", flush=True)
os.execvp("sleep", ${JSON.stringify(sleep)})
`;
    const dir = await createProject(sandbox, 'long', { mainPy });
    const { run, processId } = await startRun(dir);
    const page = await openRun(processId);
    await page.getByRole('log').getByText('long job: sleeping').waitFor();
    await expect.poll(() => processesRunning(sleep).length, { timeout: 30_000 }).toBe(1);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('h1 .state-cancelled').waitFor();

    const ended = await run.exited;
    expect(ended.code).not.toBe(0);
    expect(`${run.stdout()}${run.stderr()}`).toMatch(/cancel/i);
    // The executor of the embedded default stopped the job's process.
    await expect.poll(() => processesRunning(sleep).length, { timeout: 30_000 }).toBe(0);
    await page.close();
  });

  it('never sent the browser a private key of the embedded colony', async () => {
    await Promise.all(pending);
    const embedded = join(sandbox.dir, 'data', 'embedded');
    const identities = JSON.parse(readFileSync(join(embedded, 'server', 'identities.json'), 'utf8')) as Record<string, { privateKey?: string }>;
    const advertised = JSON.parse(readFileSync(join(embedded, 'server.json'), 'utf8')) as { env: Record<string, string> };
    const keys = [
      ...Object.values(identities).flatMap((identity) => (typeof identity === 'object' && typeof identity.privateKey === 'string' ? [identity.privateKey] : [])),
      ...Object.entries(advertised.env).flatMap(([name, value]) => (name.endsWith('PRVKEY') ? [value] : [])),
    ];
    expect(keys.length).toBeGreaterThanOrEqual(4);
    expect(traffic.length).toBeGreaterThan(10);
    for (const key of keys) expect(traffic.some((entry) => entry.toLowerCase().includes(key.toLowerCase()))).toBe(false);
  });
});
