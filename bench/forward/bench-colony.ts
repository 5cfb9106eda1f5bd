// The dev-server in a child process (as `pollinator-dev-server` runs, so its
// CPU is not this process's), and processes of its colony for the forward
// benchmark: submitted by the user, assigned to the dev executor, closed when
// a measurement is done (which deletes their channels).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createColoniesClient, type ColoniesClient, type Process } from '@pollinator/colonies-client';

export interface BenchColony {
  url: string;
  /** The process's submitter. */
  user: ColoniesClient;
  /** The executor it is assigned to. */
  executor: ColoniesClient;
  /** Submits a process declaring `channels` (and `env`), and has the executor take it. */
  startProcess(channels: string[], env?: Record<string, string>): Promise<Process>;
  /** Closes it (the server deletes its channels). */
  endProcess(processId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchColony(): Promise<BenchColony> {
  const require = createRequire(import.meta.url);
  const main = join(require.resolve('@pollinator/dev-server/package.json'), '..', 'src', 'main.ts');
  const dataDir = await mkdtemp(join(tmpdir(), 'pollinator-bench-forward-'));
  const child = spawn(
    process.execPath,
    ['--conditions=@pollinator/source', '--import', 'tsx', main, '--port', '0', '--data-dir', dataDir, '--log', 'silent'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`dev-server exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  });
  const identities = JSON.parse(await readFile(join(dataDir, 'identities.json'), 'utf8')) as {
    colony: { name: string };
    user: { privateKey: string };
    executor: { privateKey: string; type: string };
  };
  const user = createColoniesClient({ url, privateKey: identities.user.privateKey, colonyName: identities.colony.name });
  const executor = createColoniesClient({ url, privateKey: identities.executor.privateKey, colonyName: identities.colony.name });
  const executorType = identities.executor.type;

  return {
    url,
    user,
    executor,
    async startProcess(channels, env = {}) {
      await user.submit({ funcname: 'execute', conditions: { executortype: executorType }, maxexectime: -1, channels, env });
      const assigned = await executor.assign({ timeout: 10 });
      if (!assigned) throw new Error('the dev executor was not assigned the benchmark process');
      return assigned;
    },
    async endProcess(processId) {
      await executor.closeSuccessful(processId);
    },
    async close() {
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The p-th percentile of ascending `sorted` values. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export interface Latencies {
  p50: number;
  p95: number;
  p99: number;
}

export function latencies(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}
