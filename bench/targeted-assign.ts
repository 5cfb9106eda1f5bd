/**
 * Targeted-job latency (issue #17): two executors with different names wait
 * in their assign long-polls; a job whose spec names one of them
 * (`conditions.executornames`) is submitted; the time from submit to that
 * executor's `assigned` event is measured, p50/p95 over BENCH_JOBS jobs.
 *
 * The real v1.9.12 server wakes ONE waiting executor per submit, round-robin,
 * whatever `executornames` says; a job targeted at B then waits for B's own
 * long-poll to end. The dev-server reproduces that with
 * `assignWakeUp: 'one-per-submit'` (by default it hands a job straight to a
 * waiter it matches). Each submit comes at a random moment of the long-poll
 * (a seeded uniform delay), as submissions from users do: right after B took
 * its previous job, B's new poll would always be at its start (worst case).
 *
 * Scenarios: the dev-server's default wake-up; the real server's wake-up with
 * the executor's former 10 s long-poll; and with the current default.
 * `BENCH_JOBS` (default 20) jobs per scenario.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type FunctionSpecInput } from '@pollinator/colonies-client';
import { DEFAULT_ASSIGN_TIMEOUT_SECONDS, runExecutor, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type AssignWakeUp } from '@pollinator/dev-server';
import { createLocalBackend } from '@pollinator/local';

const JOBS = Number(process.env.BENCH_JOBS ?? 20);

interface Scenario {
  label: string;
  wakeUp: AssignWakeUp;
  assignTimeoutSeconds: number;
}

const SCENARIOS: Scenario[] = [
  { label: `dev-server wake-up (matching), ${DEFAULT_ASSIGN_TIMEOUT_SECONDS} s long-poll`, wakeUp: 'matching', assignTimeoutSeconds: DEFAULT_ASSIGN_TIMEOUT_SECONDS },
  { label: 'real-server wake-up (one per submit), 10 s long-poll (the former default)', wakeUp: 'one-per-submit', assignTimeoutSeconds: 10 },
  {
    label: `real-server wake-up (one per submit), ${DEFAULT_ASSIGN_TIMEOUT_SECONDS} s long-poll (the default)`,
    wakeUp: 'one-per-submit',
    assignTimeoutSeconds: DEFAULT_ASSIGN_TIMEOUT_SECONDS,
  },
];

/** mulberry32: the same submit moments on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** One value per process id, whether it is fired before or after someone waits for it. */
class Signals<Value> {
  readonly #fired = new Map<string, Value>();
  readonly #waiting = new Map<string, (value: Value) => void>();

  fire(id: string, value: Value): void {
    const waiter = this.#waiting.get(id);
    if (waiter) waiter(value);
    else this.#fired.set(id, value);
  }

  next(id: string): Promise<Value> {
    if (this.#fired.has(id)) return Promise.resolve(this.#fired.get(id)!);
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function targetedSpec(colonyName: string, executorName: string): FunctionSpecInput {
  return {
    funcname: 'execute',
    kwargs: { cmd: 'true', args: [], 'docker-image': 'busybox' },
    maxexectime: 60,
    maxretries: 3,
    maxwaittime: -1,
    conditions: { colonyname: colonyName, executortype: 'container-executor', executornames: [executorName], nodes: 1, processespernode: 1, cpu: '100m', mem: '64Mi', walltime: 60 },
    fs: { mount: '', snapshots: [], dirs: [] },
    env: {},
  };
}

async function measure(scenario: Scenario, random: () => number): Promise<number[]> {
  const root = mkdtempSync(join(tmpdir(), 'pollinator-bench-targeted-'));
  const server = await startDevServer({ dataDir: join(root, 'server'), assignWakeUp: scenario.wakeUp });
  const { colony, user } = server.identities;
  const store = createLocalBlobStore({ dir: server.blobDir });
  // An executor's event may come before the submitter has its reply: keep both sides.
  const assigned = new Signals<number>();
  const closed = new Signals<void>();
  const executors: RunningExecutor[] = [];
  for (const name of ['bench-a', 'bench-b']) {
    const executor = runExecutor({
      client: createColoniesClient({ url: server.url, privateKey: colony.privateKey, colonyName: colony.name }),
      backend: createLocalBackend({ mode: 'process', isolation: 'rewrite', onWarning: () => undefined }),
      cfs: { store },
      fsDir: join(root, name, 'fs'),
      stateDir: join(root, name, 'state'),
      register: { colonyPrivateKey: colony.privateKey, name },
      assignTimeoutSeconds: scenario.assignTimeoutSeconds,
      onEvent: (event) => {
        if (event.type === 'assigned') assigned.fire(event.processId, performance.now());
        if (event.type === 'process.closed') closed.fire(event.processId, undefined);
      },
    });
    executors.push(executor);
    await executor.ready;
  }
  const submitter = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
  const latencies: number[] = [];
  try {
    for (let job = 0; job < JOBS; job += 1) {
      // A submit at a random moment of B's long-poll.
      await sleep(random() * scenario.assignTimeoutSeconds * 1000);
      const submitted = performance.now();
      const process = await submitter.submit(targetedSpec(colony.name, 'bench-b'));
      latencies.push((await assigned.next(process.processid)) - submitted);
      await closed.next(process.processid);
    }
  } finally {
    for (const executor of executors) await executor.stop('cancel');
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
  return latencies;
}

console.log(`targeted job: submit → assigned to executor bench-b while bench-a also waits, ${JOBS} jobs per scenario (submits at seeded random moments)`);
const p95s: number[] = [];
for (const scenario of SCENARIOS) {
  const latencies = await measure(scenario, seededRandom(17));
  p95s.push(percentile(latencies, 95));
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const immediate = latencies.filter((ms) => ms < 500).length;
  console.log(`  ${scenario.label}`);
  console.log(
    `    p50 ${seconds(percentile(latencies, 50))}  p95 ${seconds(percentile(latencies, 95))}  max ${seconds(Math.max(...latencies))}  ` +
      `started within 0.5 s: ${immediate}/${latencies.length}; idle assigns per executor: ${(60 / scenario.assignTimeoutSeconds).toFixed(0)}/min`,
  );
}
console.log(`  p95, former 10 s long-poll / current default: ${(p95s[1]! / p95s[2]!).toFixed(1)}×`);
console.log('  anchor (issue #17): on a real v1.9.12 server with 100 s long-polls, targeted jobs waited 79–89 s while another executor waited');
