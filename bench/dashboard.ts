/**
 * The dashboard (issue #15) in Debian's Chromium, on an in-process dev-server:
 * - first meaningful paint: from navigation to the runs table on screen (and the
 *   browser's own first-contentful-paint), with a fresh browser context each time;
 * - log latency: from the executor's addLog to the line on the page, against the
 *   CLI's own latency (core's follow logic: client.followLogs at `logs --follow`'s
 *   500 ms poll) for the same line.
 * Needs /usr/bin/chromium (scripts/services/chromium-up.sh) and the built page
 * (`pnpm --filter @pollinator/dashboard build:web`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { startDashboardServer } from '@pollinator/dashboard';
import { startDevServer } from '@pollinator/dev-server';
import { chromium } from 'playwright-core';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CHROMIUM = process.env.POLLINATOR_TEST_CHROMIUM ?? '/usr/bin/chromium';
const webIndex = fileURLToPath(new URL('../packages/dashboard/dist/web/index.html', import.meta.url));
if (!existsSync(CHROMIUM) || !existsSync(webIndex)) {
  console.error(`needs ${CHROMIUM} (scripts/services/chromium-up.sh) and ${webIndex} (pnpm --filter @pollinator/dashboard build:web)`);
  process.exit(69);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
const show = (name: string, values: number[]): void =>
  console.log(`${name.padEnd(44)} median ${median(values).toFixed(0).padStart(5)} ms   min ${Math.min(...values).toFixed(0).padStart(5)}   max ${Math.max(...values).toFixed(0).padStart(5)}   (n=${values.length})`);

const root = mkdtempSync(join(tmpdir(), 'pollinator-bench-dashboard-'));
const server = await startDevServer({ dataDir: join(root, 'server') });
const { colony, user, executor: executorIdentity } = server.identities;
const userClient = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
const executorClient = createColoniesClient({ url: server.url, privateKey: executorIdentity.privateKey, colonyName: colony.name });
const store = createLocalBlobStore({ dir: server.blobDir });
const dashboard = await startDashboardServer({ client: userClient, blobStore: async () => store });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

try {
  // Some runs so the runs page has a table to paint.
  for (let index = 0; index < 20; index += 1) await userClient.submit({ funcname: 'execute', label: `bench-${index % 4}`, conditions: { executortype: executorIdentity.type } });

  const paint: number[] = [];
  const contentful: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(dashboard.link);
    await page.locator('table.runs tbody tr').first().waitFor();
    paint.push(performance.now() - started);
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
    contentful.push(fcp);
    await context.close();
  }

  const logRun = await userClient.submit({ funcname: 'execute', label: 'bench-log', conditions: { executortype: executorIdentity.type } });
  let assigned = null;
  while (assigned?.processid !== logRun.processid) assigned = await executorClient.assign({ timeout: 1 }).catch(() => null);
  const page = await browser.newPage();
  await page.goto(`${dashboard.link}#/runs/${logRun.processid}`);
  await page.getByText('Waiting for the first log line').waitFor();

  const follow = new AbortController();
  const cliSeen = new Map<string, number>();
  const cliFollow = (async () => {
    try {
      for await (const log of userClient.followLogs(logRun.processid, { signal: follow.signal, pollIntervalMs: 500 })) cliSeen.set(log.message.trim(), performance.now());
    } catch {
      // aborted at the end
    }
  })();
  const pageLatency: number[] = [];
  const cliLatency: number[] = [];
  for (let run = 0; run < RUNS * 2; run += 1) {
    const line = `bench line ${run}`;
    const sent = performance.now();
    await executorClient.addLog(logRun.processid, `${line}\n`);
    await page.getByRole('log').getByText(line, { exact: true }).waitFor();
    pageLatency.push(performance.now() - sent);
    while (!cliSeen.has(line)) await new Promise((resolve) => setTimeout(resolve, 5));
    cliLatency.push(cliSeen.get(line)! - sent);
  }
  follow.abort();
  await cliFollow;

  console.log(`dashboard on the embedded dev-server, Chromium ${browser.version()}`);
  show('first meaningful paint (runs table shown)', paint);
  show("first-contentful-paint (browser's own)", contentful);
  show('log line: addLog → on the page', pageLatency);
  show('log line: addLog → CLI follow (500 ms poll)', cliLatency);
  console.log(`ratio page/CLI (median): ${(median(pageLatency) / median(cliLatency)).toFixed(2)}`);
} finally {
  await browser.close();
  await dashboard.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
}
