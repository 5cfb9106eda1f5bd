/**
 * Overhead of the Slurm executor on real Slurm (scripts/services/slurm-up.sh),
 * runtime `none`, one job at a time.
 *
 * Part 1, the backend alone:
 * - submit: `start()` call → Slurm job id (batch script written, `sbatch --parsable` returned);
 * - end → final: the job's last command → `status()` reports the final state, polled every
 *   second (includes Slurm's own job teardown);
 * - log latency: a line written by the job → the same line yielded by `logs()`.
 *
 * Part 2, the whole executor (`runExecutor` + this backend, `@pollinator/dev-server`, the
 * sample project submitted with `runProject`):
 * - assign → sbatch: the executor's `assigned` event → the backend's `start()` has the job id
 *   (validation, CFS staging of src/data, batch script, sbatch);
 * - job end → close: the job's last command → the executor's `process.closed` event (final
 *   status seen, last log lines flushed, result upload, EXITCODE, close);
 * - log latency: a line written by the job → the server stored it (server timestamp).
 *
 * Anchors: the original Go HPC executor polls the log directory and `scontrol` once a second
 * and only starts watching once the log file appears, so its log latency is ≥ 1 s and a
 * job's end is seen 1–2 s late; Slurm itself needs ~1 s from submission to a running job
 * with `sched_interval=1`. Goal: submit < 100 ms, end → final ≤ 1.5 s, log latency p50 < 500 ms.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, runProject, type Backend, type JobRequest, type JobStatus } from '@pollinator/core';
import { startDevServer } from '@pollinator/dev-server';
import { createSlurmBackend } from '@pollinator/slurm';
import { scaffoldProject } from '@pollinator/spec-builder';

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
    protectedPaths: [],
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
console.log('backend alone:');
console.log(summary('submit (start→job id)', submit));
console.log(summary('job end → final status', endToFinal));
console.log(summary('log line latency', logLatency));
await backend.close?.();

// ---- Part 2: runExecutor + dev-server + runProject.
const server = await startDevServer({});
const colonyName = server.identities.colony.name;
const store = createLocalBlobStore({ dir: server.blobDir });
const user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName });
const marks = new Map<string, { assigned?: number; submitted?: number; closed?: number }>();
const mark = (processId: string) => marks.get(processId) ?? (marks.set(processId, {}), marks.get(processId)!);
const inner = createSlurmBackend({ runtime: 'none' });
const timedBackend: Backend = {
  name: inner.name,
  start: async (job: JobRequest) => {
    const handle = await inner.start(job);
    mark(job.processId).submitted = Date.now();
    return handle;
  },
  status: (handle) => inner.status(handle),
  logs: (handle, from, signal) => inner.logs(handle, from, signal),
  cancel: (handle) => inner.cancel(handle),
  reattach: (saved) => inner.reattach!(saved),
  attributes: (handle) => inner.attributes!(handle),
  cleanup: (handle) => inner.cleanup!(handle),
  close: () => inner.close!(),
};
const executor = runExecutor({
  client: createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName }),
  backend: timedBackend,
  cfs: { store },
  fsDir: join(root, 'fs'),
  stateDir: join(root, 'executor'),
  onEvent: (event) => {
    if (event.type === 'assigned') mark(event.processId).assigned = Date.now();
    if (event.type === 'process.closed') mark(event.processId).closed = Date.now();
  },
});
await executor.ready;
const assignToSbatch: number[] = [];
const endToClose: number[] = [];
const serverLogLatency: number[] = [];
const projectDir = join(root, 'project');
await scaffoldProject(projectDir, { projectName: 'bench-slurm' });
writeFileSync(join(projectDir, 'project.yaml'), readFileSync(join(projectDir, 'project.yaml'), 'utf8').replace(/init-cmd: .*/, 'init-cmd: ""'));
writeFileSync(
  join(projectDir, 'cfs', 'src', 'main.py'),
  'import time\nfor i in range(5):\n    print(f"t={int(time.time()*1000)}", flush=True)\n    time.sleep(0.3)\nprint(f"end={int(time.time()*1000)}", flush=True)\n',
);
for (let run = 0; run < RUNS; run += 1) {
  const running = runProject({ dir: projectDir, client: user, blobStore: store, stateDir: join(root, 'cfs-state'), pollIntervalMs: 100 });
  let endAt = 0;
  for await (const event of running) {
    if (event.type !== 'log') continue;
    const storedAt = Number(BigInt(event.timestamp) / 1_000_000n);
    for (const match of event.message.matchAll(/^(t|end)=(\d+)$/gm)) {
      if (match[1] === 't') serverLogLatency.push(storedAt - Number(match[2]));
      else endAt = Number(match[2]);
    }
  }
  const result = await running.result;
  if (result.exitCode !== 0) throw new Error(`run ${run} failed: ${JSON.stringify(result)}`);
  const times = mark(result.processId!);
  assignToSbatch.push(times.submitted! - times.assigned!);
  endToClose.push(times.closed! - endAt);
}
await executor.stop();
await server.close();
console.log('whole executor (runExecutor + dev-server, sample project):');
console.log(summary('assign → sbatch', assignToSbatch));
console.log(summary('job end → close', endToClose));
console.log(summary('log line → server', serverLogLatency));
rmSync(root, { recursive: true, force: true });
