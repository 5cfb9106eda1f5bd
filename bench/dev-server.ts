/**
 * @pollinator/dev-server throughput and latency, with the server in its own
 * process (as `pollinator-dev-server` runs) and clients from
 * @pollinator/colonies-client in this one, both on this machine:
 *
 * - sequential submits per second (one user, one request at a time);
 * - full process cycles per second — submit → assign → add log → close —
 *   with 1 and with 4 executors (each executor drives its own cycle loop);
 * - submit→assign wake-up latency of a waiting long-poll: from sending the
 *   submit to receiving the assigned process on an executor that was already
 *   waiting (p50 / p95 / p99).
 *
 * Durability is the default (`process`: WAL, every write committed before
 * it is acknowledged; see the package README).
 *
 * Anchor: the real Go server (Colonies v1.9.12, PostgreSQL 15 with fsync off)
 * driven by a Node client on this machine kind: ~225 sequential submits/s,
 * 68 cycles/s with one executor, 121/s with four, wake-up 9 ms p50 / 12 ms p95.
 * Goal: at least twice the cycle rate, durably, and a wake-up under 5 ms p50.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { generatePrivateKey, idOf } from '@pollinator/crypto';

const ANCHOR = { submitsPerSecond: 225, cycles1: 68, cycles4: 121, wakeP50: 9, wakeP95: 12 };

const require = createRequire(import.meta.url);
const main = join(require.resolve('@pollinator/dev-server/package.json'), '..', 'src', 'main.ts');
const dataDir = await mkdtemp(join(tmpdir(), 'pollinator-bench-dev-server-'));
const child = spawn(
  process.execPath,
  ['--conditions=@pollinator/source', '--import', 'tsx', main, '--port', '0', '--data-dir', dataDir, '--log', 'silent'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise<string>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`dev-server exited with ${code}`)));
  createInterface({ input: child.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
});
const identities = JSON.parse(await readFile(join(dataDir, 'identities.json'), 'utf8')) as {
  colony: { name: string; privateKey: string };
  user: { privateKey: string };
  executor: { privateKey: string; type: string };
};

const user = createColoniesClient({
  url,
  privateKey: identities.user.privateKey,
  colonyName: identities.colony.name,
  colonyPrivateKey: identities.colony.privateKey,
});
const executorType = identities.executor.type;
const spec = { funcname: 'execute', conditions: { executortype: executorType }, maxexectime: -1 } as const;

async function addExecutor(name: string): Promise<ColoniesClient> {
  const key = generatePrivateKey();
  await user.asColonyOwner().addExecutor({ executorid: idOf(key), executorname: name, executortype: executorType });
  await user.asColonyOwner().approveExecutor(name);
  return createColoniesClient({ url, privateKey: key, colonyName: identities.colony.name });
}

const executors = [user.as(identities.executor.privateKey)];
for (let i = 1; i < 4; i++) executors.push(await addExecutor(`bench-${i}`));
// Each cycle loop has its own user client too (its own connections), as separate programs would.
const users = Array.from({ length: 4 }, () =>
  createColoniesClient({ url, privateKey: identities.user.privateKey, colonyName: identities.colony.name }),
);

async function cycle(submitter: ColoniesClient, executor: ColoniesClient): Promise<void> {
  await submitter.submit(spec);
  const process = await executor.assign({ timeout: 10 });
  if (!process) throw new Error('no process assigned');
  await executor.addLog(process.processid, 'hello from the benchmark\n');
  await executor.closeSuccessful(process.processid);
}

/** CPU seconds used so far by the server process (Linux /proc) and by this one. */
async function cpuSeconds(): Promise<{ server: number; client: number }> {
  let server = Number.NaN;
  try {
    const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    server = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s)
  } catch {
    // not Linux: leave NaN
  }
  const usage = process.cpuUsage();
  return { server, client: (usage.user + usage.system) / 1e6 };
}

const cpuNotes: string[] = [];

async function cyclesPerSecond(executorCount: number, cyclesPerExecutor: number): Promise<number> {
  // Warm-up: JIT, connections, the server's signer cache.
  await Promise.all(executors.slice(0, executorCount).map(async (executor, i) => {
    for (let n = 0; n < 20; n++) await cycle(users[i]!, executor);
  }));
  const cpuBefore = await cpuSeconds();
  const start = performance.now();
  await Promise.all(
    executors.slice(0, executorCount).map(async (executor, i) => {
      for (let n = 0; n < cyclesPerExecutor; n++) await cycle(users[i]!, executor);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpuAfter = await cpuSeconds();
  const cycles = executorCount * cyclesPerExecutor;
  cpuNotes.push(
    `  CPU per cycle with ${executorCount} executor(s): server ${(((cpuAfter.server - cpuBefore.server) / cycles) * 1000).toFixed(2)} ms, ` +
      `clients ${(((cpuAfter.client - cpuBefore.client) / cycles) * 1000).toFixed(2)} ms (4 signed RPCs each way)`,
  );
  return cycles / seconds;
}

async function submitsPerSecond(count: number): Promise<number> {
  for (let n = 0; n < 20; n++) await user.submit(spec);
  const start = performance.now();
  for (let n = 0; n < count; n++) await user.submit(spec);
  const rate = count / ((performance.now() - start) / 1000);
  // Drain what we queued so the cycle measurements start from an empty queue.
  const drainer = executors[0]!;
  for (;;) {
    const process = await drainer.assign({ timeout: -1 });
    if (!process) break;
    await drainer.closeSuccessful(process.processid);
  }
  return rate;
}

async function wakeUpLatencies(samples: number): Promise<number[]> {
  const executor = executors[1]!;
  const latencies: number[] = [];
  for (let n = 0; n < samples + 10; n++) {
    const waiting = executor.assign({ timeout: 10 });
    await new Promise((resolve) => setTimeout(resolve, 15)); // the long-poll is now parked on the server
    const sent = performance.now();
    const submitted = user.submit(spec);
    const process = await waiting;
    const latency = performance.now() - sent;
    await submitted;
    if (!process) throw new Error('long-poll ended without a process');
    await executor.closeSuccessful(process.processid);
    if (n >= 10) latencies.push(latency);
  }
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ratio = (value: number, anchor: number): string => `${(value / anchor).toFixed(2)}×`;

try {
  const load = (await readFile('/proc/loadavg', 'utf8').catch(() => '?')).split(' ')[0];
  console.log(`machine: ${(await import('node:os')).cpus().length} CPUs, load average ${load} at start (other work on the machine slows every figure)`);
  console.log(`dev-server in a child process (${url}), durability "process" (WAL, committed before each reply)`);
  const submits = await submitsPerSecond(500);
  console.log(`sequential submits:        ${submits.toFixed(0).padStart(5)}/s   (anchor ${ANCHOR.submitsPerSecond}/s: ${ratio(submits, ANCHOR.submitsPerSecond)})`);
  const one = await cyclesPerSecond(1, 300);
  console.log(`full cycles, 1 executor:   ${one.toFixed(0).padStart(5)}/s   (anchor ${ANCHOR.cycles1}/s: ${ratio(one, ANCHOR.cycles1)}; goal ≥ 2×: ${one >= 2 * ANCHOR.cycles1 ? 'met' : 'NOT met'})`);
  const four = await cyclesPerSecond(4, 150);
  console.log(`full cycles, 4 executors:  ${four.toFixed(0).padStart(5)}/s   (anchor ${ANCHOR.cycles4}/s: ${ratio(four, ANCHOR.cycles4)}; goal ≥ 2×: ${four >= 2 * ANCHOR.cycles4 ? 'met' : 'NOT met'})`);
  for (const note of cpuNotes) console.log(note);
  const latencies = await wakeUpLatencies(200);
  const [p50, p95, p99] = [percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)];
  console.log(
    `wake-up submit→assign:     p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms ` +
      `(anchor p50 ${ANCHOR.wakeP50} ms / p95 ${ANCHOR.wakeP95} ms: ${ratio(ANCHOR.wakeP50, p50)} faster at p50; goal p50 < 5 ms: ${p50 < 5 ? 'met' : 'NOT met'})`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });
}
