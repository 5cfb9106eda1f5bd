/**
 * Latency of the embedded default: runProject() against an in-process
 * dev-server, with runExecutor() and the local backend (plain process) in the
 * same process, as `pollinator run` does with no colony configured. Prints, for
 * the sample project (`pollinator new`, without its pip install), the time from
 * calling runProject() to the first log line and to the end (results
 * downloaded), over several runs, with the default settings.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, runProject } from '@pollinator/core';
import { startDevServer } from '@pollinator/dev-server';
import { createLocalBackend } from '@pollinator/local';
import { scaffoldProject } from '@pollinator/spec-builder';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
let runStarted = 0;
const marks = new Map<string, number[]>();
function mark(name: string): void {
  const list = marks.get(name) ?? [];
  list.push(performance.now() - runStarted);
  marks.set(name, list);
}

const root = mkdtempSync(join(tmpdir(), 'pollinator-bench-local-'));
const server = await startDevServer({ dataDir: join(root, 'server') });
const store = createLocalBlobStore({ dir: server.blobDir });
const { colony, user, executor: executorIdentity } = server.identities;
const userClient = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
const executorClient = createColoniesClient({ url: server.url, privateKey: executorIdentity.privateKey, colonyName: colony.name });
const backend = createLocalBackend({ mode: 'process' });
const executor = runExecutor({
  client: executorClient,
  backend,
  cfs: { store },
  fsDir: join(root, 'fs'),
  stateDir: join(root, 'state'),
  executorName: executorIdentity.name,
  onEvent: (event) => mark(`executor ${event.type}`),
});
await executor.ready;

const project = join(root, 'project');
await scaffoldProject(project, { projectName: 'bench-sample' });
writeFileSync(
  join(project, 'project.yaml'),
  readFileSync(join(project, 'project.yaml'), 'utf8').replace('init-cmd: pip3 install numpy', 'init-cmd: ""'),
);

const firstLog: number[] = [];
const total: number[] = [];
for (let run = 0; run < RUNS; run += 1) {
  const started = performance.now();
  runStarted = started;
  let first: number | undefined;
  const execution = runProject({ dir: project, client: userClient, blobStore: store });
  for await (const event of execution) {
    if (event.type === 'process.submitted') mark('run process.submitted');
    if (event.type === 'log' && first === undefined) first = performance.now() - started;
  }
  const result = await execution.result;
  const elapsed = performance.now() - started;
  if (result.exitCode !== 0) throw new Error(`run ${run} failed: ${JSON.stringify(result)}`);
  firstLog.push(first ?? Number.NaN);
  total.push(elapsed);
}

await executor.stop();
await server.close();
rmSync(root, { recursive: true, force: true });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const format = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
console.log(`sample project on the embedded default (local backend: ${backend.mode}, plain process), ${RUNS} runs`);
console.log(`  runProject start → first log line: median ${median(firstLog).toFixed(0)} ms  (runs: ${format(firstLog)})`);
console.log(`  runProject start → done (results downloaded): median ${median(total).toFixed(0)} ms  (runs: ${format(total)})`);
console.log('  where the time goes (median ms after runProject start):');
for (const name of ['run process.submitted', 'executor assigned', 'executor job.started', 'executor job.finished', 'executor process.closed']) {
  const values = marks.get(name);
  if (values) console.log(`    ${name.padEnd(26)} ${median(values).toFixed(0)}`);
}
const python = Date.now();
await import('node:child_process').then(({ execFileSync }) => execFileSync('python3', ['-c', 'pass']));
console.log(`  (python3 start-up alone on this machine: ${Date.now() - python} ms; the job is one python3 run)`);
