/**
 * Start-up of the `pollinator` command as users run it (issue #20): whole
 * processes of the built CLI (`packages/cli/bin/pollinator.js`, i.e. `dist`:
 * run `pnpm -s --filter @pollinator/cli... build` first) against a
 * dev-server in its own process on this machine, with wall time, peak RSS
 * and CPU from `bench/lib/whole-process.ts`.
 *
 * Commands: `--help`, `version`, and the one-RPC commands `status <id>`,
 * `ps`, `logs <id>` (no follow) and `cancel <id>` (a fresh waiting process
 * each run, submitted outside the timed part). All are run interleaved,
 * round by round, so every one sees the same machine load.
 *
 * Floors on this machine, in the same rounds: `node -e ''` (Node's own
 * start-up) and a script importing only the built colonies-client and making
 * the one signed RPC `status` makes (`getprocessmsg`).
 *
 * Anchors (the issue): the Go `colonies`/Pollinator CLI did `--help` in
 * 0.033 s and `status <id>` in 0.053 s. Goals on Node 20: one-RPC commands
 * under 150 ms, `--help` under 80 ms.
 *
 * `BENCH_ROUNDS` (default 15) sets the number of rounds. `BENCH_BEFORE_BIN`,
 * the `bin/pollinator.js` of another build (e.g. an older commit's, built
 * in a copy of the repository), adds its `--help`, `status` and `ps` to the
 * same rounds: a before/after comparison that holds on a loaded machine.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createColoniesClient } from '@pollinator/colonies-client';
import {
  formatRatio,
  interleavedRounds,
  median,
  percentile,
  pollinatorBin,
  pollinatorCommand,
  timeProcess,
  type ProcessTiming,
} from './lib/whole-process';

const ANCHOR_SECONDS = { help: 0.033, status: 0.053 };
const GOAL_SECONDS = { help: 0.08, oneRpc: 0.15 };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

const clientDist = fileURLToPath(new URL('../packages/colonies-client/dist/index.js', import.meta.url));
for (const built of [join(pollinatorBin(), '..', '..', 'dist', 'main.js'), clientDist]) {
  if (!existsSync(built)) {
    console.error(`${built} is missing: build first (pnpm -s --filter @pollinator/cli... build)`);
    process.exit(1);
  }
}

// The dev-server, in its own process (its CPU is not the commands').
const require = createRequire(import.meta.url);
const serverMain = join(require.resolve('@pollinator/dev-server/package.json'), '..', 'src', 'main.ts');
const work = await mkdtemp(join(tmpdir(), 'pollinator-bench-startup-'));
const server = spawn(
  process.execPath,
  ['--conditions=@pollinator/source', '--import', 'tsx', serverMain, '--port', '0', '--data-dir', join(work, 'data'), '--log', 'silent'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const serverExited = new Promise((resolve) => server.once('exit', resolve));
const url = await new Promise<string>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`dev-server exited with ${code}`)));
  createInterface({ input: server.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
});

try {
  await measure(url);
} finally {
  server.kill('SIGTERM');
  await serverExited;
  await rm(work, { recursive: true, force: true });
}

async function measure(serverUrl: string): Promise<void> {
  const identities = JSON.parse(await readFile(join(work, 'data', 'identities.json'), 'utf8')) as {
    colony: { name: string };
    user: { privateKey: string };
    executor: { privateKey: string; type: string };
  };
  const { hostname, port } = new URL(serverUrl);
  // A clean environment: no profile, no embedded default, only the colony's variables (as the Go CLI's users set them).
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: join(work, 'home'),
    XDG_CONFIG_HOME: join(work, 'home', '.config'),
    COLONIES_SERVER_HOST: hostname,
    COLONIES_SERVER_PORT: port,
    COLONIES_TLS: 'false',
    COLONIES_COLONY_NAME: identities.colony.name,
    COLONIES_PRVKEY: identities.user.privateKey,
  };
  const user = createColoniesClient({ url: serverUrl, privateKey: identities.user.privateKey, colonyName: identities.colony.name });
  const executor = user.as(identities.executor.privateKey);
  const spec = { funcname: 'execute', conditions: { executortype: identities.executor.type }, maxexectime: -1 } as const;

  // One finished process with a few log lines, for status and logs.
  await user.submit(spec);
  const done = await executor.assign({ timeout: 10 });
  if (!done) throw new Error('the dev executor was not assigned the benchmark process');
  for (let line = 1; line <= 5; line++) await executor.addLog(done.processid, `line ${line} of the benchmark\n`);
  await executor.closeSuccessful(done.processid);
  const processId = done.processid;

  const floorScript = join(work, 'client-floor.mjs');
  await writeFile(
    floorScript,
    `import { createColoniesClient, loadColoniesConfig } from ${JSON.stringify(pathToFileURL(clientDist).href)};\n` +
      'const config = loadColoniesConfig(process.env);\n' +
      'const client = createColoniesClient({ url: config.url, privateKey: config.privateKey, colonyName: config.colonyName });\n' +
      `const process_ = await client.getProcess(${JSON.stringify(processId)});\n` +
      'console.log(process_.processid);\n',
  );

  const run = (args: string[]) => () => timeProcess(pollinatorCommand(args, { env, cwd: work }));
  const measurements: Record<string, () => Promise<ProcessTiming>> = {
    "node -e ''": () => timeProcess({ command: process.execPath, args: ['-e', ''], env, cwd: work }),
    'client only + 1 RPC': () => timeProcess({ command: process.execPath, args: [floorScript], env, cwd: work }),
    '--help': run(['--help']),
    version: run(['version']),
    'status <id>': run(['status', processId]),
    ps: run(['ps']),
    'logs <id>': run(['logs', processId]),
    'cancel <id>': async () => {
      const waiting = await user.submit(spec); // not timed: a fresh process to cancel
      return timeProcess(pollinatorCommand(['cancel', waiting.processid], { env, cwd: work }));
    },
  };
  const beforeBin = process.env.BENCH_BEFORE_BIN;
  if (beforeBin !== undefined && beforeBin !== '') {
    const before = (args: string[]) => () => timeProcess({ command: process.execPath, args: [beforeBin, ...args], env, cwd: work });
    measurements['--help (before)'] = before(['--help']);
    measurements['status <id> (before)'] = before(['status', processId]);
    measurements['ps (before)'] = before(['ps']);
  }

  // Warm-up (page cache, the server's signer cache) and a check that each command works.
  for (const [name, measurement] of Object.entries(measurements)) {
    const timing = await measurement();
    if (timing.exitCode !== 0) throw new Error(`${name} exited with ${timing.exitCode}: ${timing.stderr}${timing.stdout}`);
  }

  const results = await interleavedRounds(ROUNDS, measurements);
  for (const [name, timings] of Object.entries(results)) {
    const failed = timings.find((timing) => timing.exitCode !== 0);
    if (failed) throw new Error(`${name} exited with ${failed.exitCode}: ${failed.stderr}`);
  }
  report(results);
}

function report(results: Record<string, ProcessTiming[]>): void {
  console.log(`Whole processes on Node ${process.versions.node}, ${ROUNDS} interleaved rounds (wall ms; peak RSS MiB; CPU user+sys ms):`);
  console.log(`(+node: the median above \`node -e ''\`'s, i.e. what is ours when the machine is loaded and Node itself starts slowly)`);
  console.log(`${'command'.padEnd(22)} ${'median'.padStart(7)} ${'p95'.padStart(7)} ${'+node'.padStart(6)} ${'RSS'.padStart(6)} ${'CPU'.padStart(6)}   vs Go     vs goal`);
  const nodeFloor = median((Object.values(results)[0] ?? []).map((timing) => timing.seconds));
  for (const [name, timings] of Object.entries(results)) {
    const seconds = timings.map((timing) => timing.seconds);
    const mid = median(seconds);
    const rss = median(timings.map((timing) => timing.peakRssKiB)) / 1024;
    const cpu = median(timings.map((timing) => timing.userSeconds + timing.systemSeconds)) * 1000;
    const isHelp = name.startsWith('--help');
    const isFloor = name.startsWith('node') || name.startsWith('client');
    const versusGo = isFloor ? '' : isHelp ? formatRatio(mid, ANCHOR_SECONDS.help) : formatRatio(mid, ANCHOR_SECONDS.status);
    const versusGoal = isFloor ? '(floor)' : isHelp || name === 'version' ? formatRatio(mid, GOAL_SECONDS.help) : formatRatio(mid, GOAL_SECONDS.oneRpc);
    console.log(
      `${name.padEnd(22)} ${(mid * 1000).toFixed(0).padStart(7)} ${(percentile(seconds, 95) * 1000).toFixed(0).padStart(7)} ` +
        `${((mid - nodeFloor) * 1000).toFixed(0).padStart(6)} ` +
        `${rss.toFixed(0).padStart(6)} ${cpu.toFixed(0).padStart(6)}   ${versusGo.padEnd(8)} ${versusGoal}`,
    );
  }
  console.log(
    `Anchors (Go, the issue): --help ${ANCHOR_SECONDS.help * 1000} ms, status ${ANCHOR_SECONDS.status * 1000} ms (one-RPC commands compared to it). ` +
      `Goals: --help and version < ${GOAL_SECONDS.help * 1000} ms, one-RPC commands < ${GOAL_SECONDS.oneRpc * 1000} ms (ratio < 1 is met).`,
  );
}
