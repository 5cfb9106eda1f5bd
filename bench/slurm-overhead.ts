/**
 * Overhead of the Slurm backend on real Slurm (scripts/services/slurm-up.sh),
 * runtime `none`, one job at a time:
 *
 * - submit: `start()` call → Slurm job id (batch script written, `sbatch --parsable` returned);
 * - end → final: the job's last command → `status()` reports the final state, polled every
 *   second as the executor runtime does (includes Slurm's own job teardown);
 * - log latency: a line written by the job → the same line yielded by `logs()`.
 *
 * Anchors: the original Go HPC executor polls the log directory and `scontrol` once a second
 * and only starts watching once the log file appears, so its log latency is ≥ 1 s and a
 * job's end is seen 1–2 s late; Slurm itself needs ~1 s from submission to a running job
 * with `sched_interval=1`. Goal: submit < 100 ms, end → final ≤ 1.5 s, log latency p50 < 500 ms.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { JobRequest, JobStatus } from '@pollinator/core';
import { createSlurmBackend } from '@pollinator/slurm';

if (process.env.POLLINATOR_TEST_SLURM !== '1') {
  console.log('skipped: no Slurm (run scripts/services/slurm-up.sh and set POLLINATOR_TEST_SLURM=1)');
  process.exit(0);
}

const RUNS = Number(process.env.BENCH_RUNS ?? 8);
const root = mkdtempSync(join(tmpdir(), 'pollinator-bench-slurm-'));
const backend = createSlurmBackend({ runtime: 'none', statusCacheMs: 0 });

function isFinal(status: JobStatus): boolean {
  return status.state === 'succeeded' || status.state === 'failed' || status.state === 'cancelled';
}
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
function summary(label: string, values: number[]): string {
  return `${label.padEnd(22)} p50 ${percentile(values, 50).toFixed(0).padStart(5)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(5)} ms   max ${Math.max(...values).toFixed(0).padStart(5)} ms   (n=${values.length})`;
}

const submit: number[] = [];
const endToFinal: number[] = [];
const logLatency: number[] = [];

for (let run = 0; run < RUNS; run += 1) {
  const processId = randomBytes(32).toString('hex');
  const workDir = join(root, `job-${run}`);
  mkdirSync(workDir);
  // Each line carries the job's clock (ms); the last command records the end.
  const job: JobRequest = {
    processId,
    image: '',
    rebuildImage: false,
    initCommand: '',
    command: 'for i in 1 2 3 4 5; do echo "t=$(date +%s%3N)"; sleep 0.3; done; echo "end=$(date +%s%3N)"',
    env: { COLONIES_PROCESS_ID: processId },
    resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 0, memoryBytes: 0, gpu: { count: 0, name: '' }, walltimeSeconds: 0 },
    mounts: [],
    placement: {},
    workDir,
  };
  const before = performance.now();
  const handle = await backend.start(job);
  submit.push(performance.now() - before);

  let endAt = 0;
  const reading = (async () => {
    for await (const chunk of backend.logs(handle, '')) {
      const seenAt = Date.now();
      for (const match of chunk.text.matchAll(/^(t|end)=(\d+)$/gm)) {
        if (match[1] === 't') logLatency.push(seenAt - Number(match[2]));
        else endAt = Number(match[2]);
      }
    }
  })();
  // Poll like the runtime: once a second.
  let finalAt = 0;
  for (;;) {
    const status = await backend.status(handle);
    if (isFinal(status)) {
      finalAt = Date.now();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await reading;
  endToFinal.push(finalAt - endAt);
}

console.log(`@pollinator/slurm on real Slurm 22.05 (one node, runtime none), ${RUNS} jobs one after another`);
console.log(summary('submit (start→job id)', submit));
console.log(summary('job end → final status', endToFinal));
console.log(summary('log line latency', logLatency));
await backend.close?.();
rmSync(root, { recursive: true, force: true });
