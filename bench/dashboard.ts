/**
 * The dashboard (issue #15) as users see it on the EMBEDDED DEFAULT, whole
 * processes: the built `pollinator` in a sandbox with nothing configured
 * (bench/lib/embedded-sandbox.ts), projects made by `pollinator new`, runs
 * started by `pollinator run --detach` (the first one starts the embedded
 * default's background service), the link `pollinator ui --json` prints (the
 * dashboard that service serves), Debian's Chromium driven by playwright-core.
 * - First meaningful paint of the runs page: navigation → the runs table's
 *   first row painted, and the browser's own first-contentful-paint; a fresh
 *   browser context (no cache) each time; against the 1 s goal.
 * - Log latency: a job prints lines `L <index> <epoch ms>` at 300–1200 ms
 *   gaps; each line's latency on the page's screen and, at the same time, on
 *   the stdout of a whole `pollinator logs <id> --follow` process (the CLI's
 *   own latency), from the time printed in the line. p50/p95 and page/CLI.
 * The timings inside the page come from bench/lib/page-marks.ts.
 * Build first: `pnpm -s --filter @pollinator/cli... build` and
 * `pnpm --filter @pollinator/dashboard build:web`.
 * BENCH_RUNS (paints, default 7), BENCH_LINES (log lines per job, default 40),
 * BENCH_LOG_RUNS (jobs, default 1).
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createEmbeddedSandbox, type EmbeddedSandbox } from './lib/embedded-sandbox';
import { PAGE_MARKS_SCRIPT, readLineLatencies, readPaintMarks, waitForLines } from './lib/page-marks';
import { formatRatio, median, percentile, pollinatorBin } from './lib/whole-process';

const PAINTS = Number(process.env.BENCH_RUNS ?? 7);
const LINES = Number(process.env.BENCH_LINES ?? 40);
const LOG_RUNS = Number(process.env.BENCH_LOG_RUNS ?? 1);
const PAINT_GOAL_MS = 1000;
/** Other runs in the table when it is painted (quick jobs, ended before the measurements). */
const TABLE_RUNS = 4;
const CHROMIUM = process.env.POLLINATOR_TEST_CHROMIUM ?? '/usr/bin/chromium';
const webIndex = fileURLToPath(new URL('../packages/dashboard/dist/web/index.html', import.meta.url));
const cliDist = fileURLToPath(new URL('../packages/cli/dist', import.meta.url));
for (const [needed, how] of [
  [CHROMIUM, 'scripts/services/chromium-up.sh, or set POLLINATOR_TEST_CHROMIUM'],
  [webIndex, 'pnpm --filter @pollinator/dashboard build:web'],
  [cliDist, 'pnpm -s --filter @pollinator/cli... build && pnpm -s --filter @pollinator/dashboard build'],
] as const) {
  if (!existsSync(needed)) {
    console.error(`needs ${needed}: ${how}`);
    process.exit(69);
  }
}

/** Pauses (ms) before each line: single lines at irregular gaps, as a job's progress messages come. */
const pauses = Array.from({ length: LINES }, (_, index) => 300 + ((index * 373) % 900));

/** The job: says it is ready, waits for the bench's go file (both followers attached), then prints the timed lines. */
function logJob(goFile: string): string {
  return `import os, time
print("bench: ready", flush=True)
while not os.path.exists(${JSON.stringify(goFile)}):
    time.sleep(0.02)
for index, pause in enumerate(${JSON.stringify(pauses)}):
    time.sleep(pause / 1000)
    print("L %d %d" % (index, time.time_ns() // 1000000), flush=True)
`;
}

const show = (name: string, values: number[], goal?: number): void =>
  console.log(
    `  ${name.padEnd(44)} median ${median(values).toFixed(0).padStart(5)} ms   min ${Math.min(...values).toFixed(0).padStart(5)}   max ${Math.max(...values).toFixed(0).padStart(5)}` +
      (goal === undefined ? '' : `   goal < ${goal} ms: ${Math.max(...values) < goal ? 'met by every run' : median(values) < goal ? 'met by the median' : 'NOT met'}`),
  );
const showLatency = (name: string, values: number[]): void =>
  console.log(`  ${name.padEnd(44)} p50 ${median(values).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)}   max ${Math.max(...values).toFixed(0).padStart(5)}   (n=${values.length})`);

/** `pollinator run --detach --json` in `dir`: the id of the process it submitted, and how long the whole command took. */
async function submit(sandbox: EmbeddedSandbox, dir: string): Promise<{ processId: string; seconds: number }> {
  const result = await sandbox.pollinator(['run', '--detach', '--json'], dir);
  const submitted = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; processId?: string })
    .find((event) => event.type === 'process.submitted');
  if (submitted?.processId === undefined) throw new Error(`pollinator run --detach printed no process.submitted event:\n${result.stdout}`);
  return { processId: submitted.processId, seconds: result.seconds };
}

async function measurePaints(browser: Browser, link: string): Promise<{ painted: number[]; inDom: number[]; contentful: number[]; outer: number[] }> {
  const result = { painted: [] as number[], inDom: [] as number[], contentful: [] as number[], outer: [] as number[] };
  for (let run = 0; run < PAINTS; run += 1) {
    const context = await browser.newContext();
    try {
      await context.addInitScript(PAGE_MARKS_SCRIPT);
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(link);
      const marks = await readPaintMarks(page);
      result.outer.push(performance.now() - started);
      result.painted.push(marks.tablePainted);
      result.inDom.push(marks.tableInDom);
      result.contentful.push(marks.firstContentfulPaint);
    } finally {
      await context.close();
    }
  }
  return result;
}

/** One job's lines, on the page and on a `logs --follow`'s stdout at the same time. */
async function measureLogRun(sandbox: EmbeddedSandbox, browser: Browser, link: string, projectDir: string, gateDir: string, round: number): Promise<{ page: Record<string, number>; cli: Record<string, number> }> {
  const goFile = join(gateDir, `go-${round}`);
  writeFileSync(join(projectDir, 'cfs', 'src', 'main.py'), logJob(goFile));
  const { processId } = await submit(sandbox, projectDir);
  const context = await browser.newContext();
  try {
    await context.addInitScript(PAGE_MARKS_SCRIPT);
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(`${link}#/runs/${processId}`);
    const follower = sandbox.start(['logs', processId, '--follow'], projectDir);
    const cli: Record<string, number> = {};
    follower.onLine((line, arrivedAt) => {
      const match = /^L (\d+) (\d+)$/.exec(line.trim());
      if (match) cli[match[1]!] = arrivedAt - Number(match[2]);
    });
    const exited = new Promise<number | null>((resolve) => follower.child.once('close', resolve));
    // Both followers are attached (they have the job's first line) before the timed lines start.
    await Promise.all([follower.waitFor(/^bench: ready$/), page.getByRole('log').getByText('bench: ready', { exact: true }).waitFor()]);
    writeFileSync(goFile, '');
    const code = await exited;
    if (code !== 0 || Object.keys(cli).length !== LINES) throw new Error(`pollinator logs --follow exited ${code} with ${Object.keys(cli).length}/${LINES} lines:\n${follower.stderr()}`);
    // The CLI saw the job end; the page has its last lines by then or shortly after.
    await waitForLines(page, LINES, 30_000);
    return { page: await readLineLatencies(page), cli };
  } finally {
    await context.close();
  }
}

const loadAtStart = loadavg();
const sandbox = createEmbeddedSandbox();
// Outside /tmp: jobs may run in bubblewrap, with a /tmp of their own.
const gateDir = mkdtempSync('/var/tmp/pollinator-bench-dashboard-');
let browser: Browser | undefined;
try {
  await sandbox.pollinator(['new', 'quick']);
  await sandbox.pollinator(['new', 'logs']);
  const quickDir = join(sandbox.dir, 'quick');
  const logsDir = join(sandbox.dir, 'logs');
  writeFileSync(join(quickDir, 'cfs', 'src', 'main.py'), 'print("quick", flush=True)\n');
  const first = await submit(sandbox, quickDir);
  for (let index = 1; index < TABLE_RUNS; index += 1) await submit(sandbox, quickDir);
  const ui = sandbox.start(['ui', '--json']);
  const link = (JSON.parse((await ui.waitFor(/^\{.*"ui\.ready".*\}$/))[0]) as { url: string }).url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  const pageLatency: number[] = [];
  const cliLatency: number[] = [];
  /** Page − CLI for the same line. */
  const sameLine: number[] = [];
  for (let round = 0; round < LOG_RUNS; round += 1) {
    const measured = await measureLogRun(sandbox, browser, link, logsDir, gateDir, round);
    pageLatency.push(...Object.values(measured.page));
    cliLatency.push(...Object.values(measured.cli));
    for (const [index, latency] of Object.entries(measured.page)) sameLine.push(latency - (measured.cli[index] ?? Number.NaN));
  }
  const paints = await measurePaints(browser, link);

  const webBuilt = new Date(statSync(webIndex).mtimeMs).toISOString();
  console.log(`dashboard on the embedded default, whole processes (${pollinatorBin()}, page built ${webBuilt}), Chromium ${browser.version()}`);
  const load = (values: number[]): string => values.map((value) => value.toFixed(2)).join(' ');
  console.log(`  load average (1, 5, 15 min) at the start: ${load(loadAtStart)}, at the end: ${load(loadavg())}`);
  console.log(`  first \`pollinator run --detach\` (starts the embedded service): ${(first.seconds * 1000).toFixed(0)} ms`);
  console.log(`first meaningful paint of the runs page (${TABLE_RUNS + LOG_RUNS} runs), fresh browser context each, n=${PAINTS}:`);
  show('navigation → runs table painted', paints.painted, PAINT_GOAL_MS);
  show('navigation → runs table in the DOM', paints.inDom);
  show("first-contentful-paint (browser's own)", paints.contentful);
  show('goto → table painted, seen by Playwright', paints.outer);
  console.log(`log line printed by the job → on screen, ${LINES} lines × ${LOG_RUNS} job(s), 300–1200 ms apart:`);
  showLatency('page (dashboard in Chromium)', pageLatency);
  showLatency('CLI (`pollinator logs <id> --follow`)', cliLatency);
  console.log(
    `  ratio page/CLI: p50 ${formatRatio(median(pageLatency), median(cliLatency))}, p95 ${formatRatio(percentile(pageLatency, 95), percentile(cliLatency, 95))}; ` +
      `the same line on the page − in the CLI: median ${median(sameLine).toFixed(0)} ms`,
  );
} finally {
  await browser?.close();
  await sandbox.close();
  rmSync(gateDir, { recursive: true, force: true });
}
