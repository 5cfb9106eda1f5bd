// The dashboard end to end in a real browser: Debian's Chromium (installed by
// scripts/services/chromium-up.sh; never downloaded) driven by playwright-core,
// against the dashboard server on a dev-server whose executor is scripted here.
// It builds the web app first when dist/web is missing, and writes the
// screenshots of docs/dashboard.md (docs/images/dashboard-*.png).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cfsMetadataFromClient, createLocalBlobStore, createSnapshot, syncDirectory, type BlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient, type Process } from '@pollinator/colonies-client';
import { RunRecordKey } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuilt, launchChromium } from './browser.test-helpers';
import { startDashboardServer, type DashboardServer } from './index';

const imagesDir = fileURLToPath(new URL('../../../docs/images/', import.meta.url));
const CANCELLED = 4;

let server: DevServer;
let user: ColoniesClient;
let executor: ColoniesClient;
let store: BlobStore;
let dashboard: DashboardServer;
let browser: Browser;
let workDir: string;
/** Every request the browser sent and every response body it read (SSE aside). */
const traffic: string[] = [];
const pending: Promise<void>[] = [];

async function openPage(hash = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  // Under the test's own timeout, so a step that never happens says which one it was.
  page.setDefaultTimeout(15_000);
  page.on('request', (request) => traffic.push(`${request.method()} ${request.url()} ${JSON.stringify(request.headers())} ${request.postData() ?? ''}`));
  page.on('response', (response) => {
    if ((response.headers()['content-type'] ?? '').includes('text/event-stream')) return;
    pending.push(
      response.body().then(
        (body) => void traffic.push(body.toString('latin1')),
        () => undefined,
      ),
    );
  });
  await page.goto(`${dashboard.link}${hash}`);
  return page;
}

async function submit(label: string): Promise<Process> {
  return user.submit({ funcname: 'execute', label, conditions: { executortype: server.identities.executor.type } });
}

async function assignNext(): Promise<Process> {
  for (;;) {
    const process = await executor.assign({ timeout: 1 }).catch(() => null);
    if (process) return process;
  }
}

/** Uploads `files` into the run's result label and records the snapshot, as the Pollinator executor does. */
async function recordResults(process: Process, files: Record<string, Uint8Array>): Promise<void> {
  const dir = await mkdtemp(join(workDir, 'result-'));
  for (const [name, contents] of Object.entries(files)) await writeFile(join(dir, name), contents);
  const metadata = cfsMetadataFromClient(executor);
  const label = `/pollinator/${process.spec.label}/result`;
  await syncDirectory({ dir, label, keepLocal: true, force: true, metadata, store, stateDir: false });
  const snapshot = await createSnapshot({ metadata, store, label, name: process.processid });
  await executor.addAttribute({ processId: process.processid, key: RunRecordKey.resultSnapshot, value: snapshot.snapshotid });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(imagesDir, { recursive: true });
  await page.screenshot({ path: join(imagesDir, `dashboard-${name}.png`), fullPage: false });
}

beforeAll(async () => {
  ensureWebBuilt();
  workDir = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
  server = await startDevServer({});
  const colonyName = server.identities.colony.name;
  user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName });
  executor = createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName });
  store = createLocalBlobStore({ dir: server.blobDir });
  dashboard = await startDashboardServer({ client: user, blobStore: async () => store, pollIntervalMs: 100 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await server?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the dashboard in Chromium', () => {
  it('says there are no runs yet, and what to do, on a colony without any', async () => {
    const page = await openPage();
    await page.getByRole('heading', { name: 'No runs yet' }).waitFor();
    await page.getByText('pollinator run').waitFor();
    await page.close();
  });

  it('says no colony is reachable, and what to do, when the colony is down', async () => {
    const unreachable = createColoniesClient({ url: 'http://127.0.0.1:9', privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name });
    const down = await startDashboardServer({ client: unreachable });
    try {
      const page = await browser.newPage();
      await page.goto(down.link);
      const alert = page.getByRole('alert');
      await alert.getByText('pollinator dev').waitFor();
      expect(await alert.textContent()).toMatch(/not reachable/i);
      await page.close();
    } finally {
      await down.close();
    }
  });

  it('shows a job on the runs page, its log lines while it runs, and downloads its result byte for byte', async () => {
    const process = await submit('demo-train');
    const page = await openPage();
    // The token left the address bar once it became a cookie.
    expect(page.url()).not.toContain('token=');
    const row = page.getByRole('row').filter({ hasText: process.processid.slice(0, 12) });
    await expect.poll(() => row.count()).toBe(1);

    const assigned = await assignNext();
    expect(assigned.processid).toBe(process.processid);
    for (let epoch = 1; epoch <= 3; epoch += 1) await executor.addLog(assigned.processid, `epoch ${epoch}: loss ${(1 / epoch).toFixed(3)}\n`);
    await expect.poll(() => row.getByText('running').count()).toBe(1);

    await row.getByRole('link').click();
    const log = page.getByRole('log');
    await log.getByText('epoch 3: loss 0.333').waitFor();
    // Still running: these lines were streamed, not read after the end.
    expect((await user.getProcess(assigned.processid)).state).toBe(1);
    await executor.addLog(assigned.processid, 'epoch 4: loss 0.250\n');
    await log.getByText('epoch 4: loss 0.250').waitFor();
    await screenshot(page, 'run');

    const bytes = randomBytes(200_000);
    await recordResults(assigned, { 'model.bin': bytes, 'metrics.json': new TextEncoder().encode('{"loss":0.25}\n') });
    await executor.closeSuccessful(assigned.processid);
    await page.locator('.state-success').first().waitFor();
    await page.getByRole('button', { name: 'Refresh results' }).click();
    const link = page.getByRole('link', { name: 'model.bin' });
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const downloaded = await readFile(await download.path());
    expect(Buffer.compare(downloaded, bytes)).toBe(0);
    const [archive] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download all results (.tar)' }).click()]);
    const tar = await readFile(await archive.path());
    expect(tar.indexOf(bytes)).toBeGreaterThan(0);
    expect(tar.includes('{"loss":0.25}\n')).toBe(true);

    await page.getByRole('button', { name: 'Copy CLI command' }).click();
    await page.getByRole('status').filter({ hasText: `pollinator logs ${assigned.processid} --follow` }).waitFor();
    await page.close();
  });

  it('cancels a long job from its page, then re-runs it', async () => {
    const process = await submit('long-job');
    const assigned = await assignNext();
    expect(assigned.processid).toBe(process.processid);
    await executor.addLog(assigned.processid, 'long job started\n');
    const page = await openPage(`#/runs/${process.processid}`);
    await page.getByRole('log').getByText('long job started').waitFor();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('h1 .state-cancelled').waitFor();
    expect((await user.getProcess(process.processid)).state).toBe(CANCELLED);

    // Re-run: the page opens the new run, which says what it repeats.
    await page.getByRole('button', { name: 'Re-run', exact: true }).click();
    await page.getByRole('link', { name: process.processid }).waitFor();
    const rerunId = /#\/runs\/([0-9a-f]{64})$/.exec(page.url())?.[1];
    expect(rerunId).toBeDefined();
    expect(rerunId).not.toBe(process.processid);
    await page.locator('h1').getByText(rerunId!).waitFor();
    const rerun = await user.getProcess(rerunId!);
    expect(rerun.spec.label).toBe('long-job');
    expect(rerun.spec.env?.POLLINATOR_RERUN_OF).toBe(process.processid);
    // Out of the way of the next tests' assignments.
    await user.cancelProcess(rerunId!);
    await page.close();
  });

  it('renders only the visible window of a 100,000-line log, searches it, pauses and downloads it', async () => {
    const process = await submit('long-log');
    const assigned = await assignNext();
    expect(assigned.processid).toBe(process.processid);
    const lines = Array.from({ length: 100_000 }, (_, index) => `line ${index + 1} of the long log`);
    for (let start = 0; start < lines.length; start += 5000) {
      await executor.addLog(assigned.processid, `${lines.slice(start, start + 5000).join('\n')}\n`);
    }
    const page = await openPage(`#/runs/${process.processid}`);
    const log = page.getByRole('log');
    await page.getByText('100,000 lines').waitFor();
    // Following: the last line is in view; only a window of lines is in the DOM.
    await log.getByText('line 100000 of the long log').waitFor();
    expect(await log.locator('.line').count()).toBeLessThan(200);

    await page.getByRole('searchbox', { name: 'Search the log' }).fill('line 54321 of');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByText('1 of 1').waitFor();
    await log.locator('.line.match', { hasText: 'line 54321 of the long log' }).waitFor();
    expect(await log.locator('.line').count()).toBeLessThan(200);
    // Jumping to a match paused following: the button offers to follow again.
    await page.getByRole('button', { name: 'Follow' }).click();
    await log.getByText('line 100000 of the long log').waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    expect(await readFile(await download.path(), 'utf8')).toBe(`${lines.join('\n')}\n`);
    await executor.closeSuccessful(assigned.processid);
    await page.close();
  });

  it('shows a failure cause, executors and files, with screenshots for the docs', async () => {
    const failing = await submit('demo-train');
    const assigned = await assignNext();
    expect(assigned.processid).toBe(failing.processid);
    const OUT = 1;
    await executor.addAttribute({ processId: failing.processid, key: RunRecordKey.failureCause, value: 'out-of-memory', type: OUT });
    await executor.addAttribute({ processId: failing.processid, key: RunRecordKey.failureDetail, value: 'killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem', type: OUT });
    await executor.closeFailed(failing.processid, 'out of memory');
    const page = await openPage();
    const row = page.getByRole('row').filter({ hasText: failing.processid.slice(0, 12) });
    await row.getByText('out-of-memory').waitFor();
    await screenshot(page, 'runs');
    // Filters: by state, then by project and text; each keeps the newest first.
    await page.getByLabel('State').selectOption('failed');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('State').selectOption('');
    await page.getByRole('searchbox', { name: 'Project' }).fill('long-job');
    await page.getByRole('button', { name: 'Filter' }).click();
    // The cancelled long job and its cancelled re-run.
    await expect.poll(() => page.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining('cancelled'), expect.stringContaining('cancelled')]);
    await page.goto(`${dashboard.url}#/runs?q=nothing-matches-this`);
    await page.getByRole('heading', { name: 'No run matches these filters' }).waitFor();
    await page.goto(`${dashboard.url}#/executors`);
    await page.getByRole('rowheader', { name: server.identities.executor.name }).waitFor();
    await screenshot(page, 'executors');
    await page.goto(`${dashboard.url}#/files`);
    await page.getByRole('button', { name: '/pollinator/demo-train/result' }).click();
    await page.getByRole('rowheader', { name: 'model.bin' }).waitFor();
    await screenshot(page, 'files');
    await page.close();
  });

  it('never sends or receives a private key', async () => {
    await Promise.all(pending);
    const { serverOwner, user: userIdentity, executor: executorIdentity } = server.identities;
    const keys = [serverOwner.privateKey, userIdentity.privateKey, executorIdentity.privateKey];
    expect(traffic.length).toBeGreaterThan(10);
    for (const key of keys) expect(traffic.some((entry) => entry.toLowerCase().includes(key.toLowerCase()))).toBe(false);
  });
});
