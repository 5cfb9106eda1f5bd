/**
 * Sync as users run it (issue #20): whole `pollinator` processes (the built
 * `packages/cli/bin/pollinator.js`: run `pnpm build` first), against Ceph S3
 * (POLLINATOR_TEST_S3_* from scripts/services/ceph-rgw-up.sh) and a
 * dev-server in its own process, wall time, CPU and peak RSS from GNU time.
 *
 * There is no `pollinator sync` command; each row of the issue's table is
 * timed with the command that does that sync and as little else as possible:
 *   - first upload:  `pollinator run --detach` in a new project whose cfs/src
 *     (small) or cfs/data (200 MiB) holds the files, against a dev-server with
 *     no executor: the sync is the work; the rest is start-up, two snapshot
 *     RPCs and the submit (the process then just waits in the queue).
 *   - no-op:         `pollinator plan` in that project right after: the walk,
 *     the stat cache and the remote listing, no upload (nothing to upload),
 *     as `colonies fs sync` of an unchanged tree. `run --detach` of the
 *     unchanged project (no-op sync + snapshots + submit) is printed too.
 *   - download:      `pollinator pull --inputs` in a new directory holding only
 *     the project's project.yaml: cfs/src and cfs/data downloaded from CFS.
 *   - `run`:         `pollinator run` (attached: upload, job, logs, result
 *     download) against a second dev-server whose executor is the local one
 *     (plain processes, files in the same S3) in the dev-server's process;
 *     the queue time (the process's start time minus its submission time,
 *     from the server) is subtracted. Jobs: `exit 0` with 1,000 small files
 *     in cfs/src; one writing a 200 MiB cfs/result file.
 * Floors in the same run: `node -e ''`, `pollinator --version`, and in this
 * process (no start-up) 1,000 raw S3 PUTs and GETs of 1 KiB through the AWS
 * SDK (a fresh client, 32 in flight as cfs-sync's transfers), the same through
 * cfs-sync's S3 store alone (its direct SigV4 requests, no planning, no
 * metadata), and 1,000 raw `addfilemsg` through @pollinator/colonies-client
 * (32 in flight).
 *
 * Go anchors: the issue's no-op (0.127 s) and peak memories, and issue #5's
 * measured `colonies fs sync` figures for the rest (1.9 / 1.0 s small upload /
 * download, 1.7 / 0.23 / 0.43 s for 200 MiB); the `run` rows have only the
 * issue's ratios (1.74×, 1.48×): their Go seconds are unknown, so no ratio.
 *
 * Knobs: BENCH_ROUNDS (default 3), BENCH_SMALL_FILES (1000), BENCH_BIG_MIB
 * (200), BENCH_ONLY (comma list of floors,small,big,run).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createColoniesClient } from '@pollinator/colonies-client';
import { cfsMetadataFromClient } from '@pollinator/cfs-sync';
import { startDevServerProcess, type DevServerProcess } from './lib/dev-server-process';
import { formatRatio, median, pollinatorCommand, timeProcess, type ProcessTiming } from './lib/whole-process';
import { s3Environment, s3SettingsFromEnv, type S3Settings } from './lib/s3-settings';
import { rawAddFileFloor, rawS3Floor, removeBenchBucket, storeS3Floor } from './lib/sync-floors';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SMALL_FILES = Number(process.env.BENCH_SMALL_FILES ?? 1000);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 200);
const ONLY = new Set((process.env.BENCH_ONLY ?? 'floors,small,big,run').split(','));
const GO = {
  smallUpload: 1.9,
  smallNoop: 0.127,
  smallDownload: 1.0,
  bigUpload: 1.7,
  bigNoop: 0.23,
  bigDownload: 0.43,
  bigDownloadPeakMiB: 35,
  runResultPeakMiB: 28,
};

const env = process.env;
// A bucket of its own, emptied after every large case and removed at the end (see removeBenchBucket).
const s3Found = s3SettingsFromEnv(`pollinator-bench-sync-${randomBytes(4).toString('hex')}`);
if (s3Found === undefined) {
  console.log('skipped: no POLLINATOR_TEST_S3_ENDPOINT (scripts/services/ceph-rgw-up.sh, then `set -a; source .services.env; set +a`)');
  process.exit(0);
}
const s3: S3Settings = s3Found;

interface Row {
  path: string;
  timings: ProcessTiming[];
  /** Seconds to subtract per timing (queue time), same order. */
  minus?: number[];
  goSeconds?: number;
  goPeakMiB?: number;
}
const rows: Row[] = [];
const printed = new Set<Row>();
const work = await mkdtemp(join(tmpdir(), 'pollinator-bench-sync-'));

/** The environment of a user of `server`'s colony with the bench's S3, nothing else of this shell. */
function cliEnv(server: DevServerProcess): NodeJS.ProcessEnv {
  // Only what the CLI reads (it warns about other COLONIES_* variables, which would cost a few ms of suggestions).
  const read = ['COLONIES_SERVER_HOST', 'COLONIES_SERVER_PORT', 'COLONIES_TLS', 'COLONIES_COLONY_NAME', 'COLONIES_PRVKEY'];
  const colonies = Object.fromEntries(read.map((key) => [key, server.env[key]]));
  return {
    PATH: env.PATH,
    HOME: join(work, 'home'),
    XDG_CONFIG_HOME: join(work, 'home', '.config'),
    POLLINATOR_CACHE_DIR: join(work, 'cache'),
    POLLINATOR_DATA_DIR: join(work, 'embedded'),
    NO_COLOR: '1',
    ...colonies,
    ...s3Environment(s3),
  };
}

async function pollinator(server: DevServerProcess, cwd: string, args: string[]): Promise<ProcessTiming> {
  const timing = await timeProcess(pollinatorCommand(args, { cwd, env: cliEnv(server) }));
  if (timing.exitCode !== 0) {
    throw new Error(`pollinator ${args.join(' ')} in ${cwd} exited with ${timing.exitCode}:\n${timing.stderr}\n${timing.stdout}`);
  }
  return timing;
}

function projectYaml(name: string, source: string): string {
  return [
    `projectname: ${name}`,
    'conditions: { executorNames: [], nodes: 1, processesPerNode: 1, cpu: 1000m, mem: 1000Mi, walltime: 600, gpu: { count: 0, name: "" } }',
    `environment: { docker: "python:3.12-rc-bookworm", rebuildImage: false, init-cmd: "", cmd: sh, source: ${source} }`,
    '',
  ].join('\n');
}

/** A project with `small` 1 KiB files in cfs/src (ten directories of a hundred) and/or `big` in cfs/data. */
async function makeProject(name: string, content: { small?: number; big?: string; job?: string }): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, 'cfs', 'src'), { recursive: true });
  await mkdir(join(dir, 'cfs', 'data'), { recursive: true });
  await mkdir(join(dir, 'cfs', 'result'), { recursive: true });
  await writeFile(join(dir, 'project.yaml'), projectYaml(name, 'job.sh'));
  await writeFile(join(dir, 'cfs', 'src', 'job.sh'), content.job ?? 'exit 0\n');
  for (let index = 0; index < (content.small ?? 0); index++) {
    const sub = join(dir, 'cfs', 'src', `d${Math.floor(index / 100)}`);
    if (index % 100 === 0) await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f${index}.txt`), randomBytes(1024));
  }
  if (content.big !== undefined) await copyFile(content.big, join(dir, 'cfs', 'data', 'big.bin'));
  // As on a laptop, the files were written a while ago (the stat cache distrusts files modified in the last 100 ms).
  await new Promise((resolve) => setTimeout(resolve, 150));
  return dir;
}

/** A new directory holding only the project's project.yaml (a fresh clone). */
async function emptyClone(name: string, projectName: string): Promise<string> {
  const dir = join(work, `${name}-clone-${randomBytes(3).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'project.yaml'), projectYaml(projectName, 'job.sh'));
  return dir;
}

/** One round of a case: first upload, no-op (plan, and run --detach), download into an empty clone. */
async function syncCase(server: DevServerProcess, key: 'small' | 'big', round: number, big: string | undefined, into: Record<string, ProcessTiming[]>) {
  const name = `bench-${key}-${round}-${randomBytes(3).toString('hex')}`;
  const dir = await makeProject(name, key === 'small' ? { small: SMALL_FILES } : { big: big! });
  const push = (step: string, timing: ProcessTiming) => (into[step] ??= []).push(timing);
  push('upload', await pollinator(server, dir, ['run', '--detach']));
  push('noop', await pollinator(server, dir, ['plan']));
  push('noop-run', await pollinator(server, dir, ['run', '--detach']));
  const clone = await emptyClone(name, name);
  push('download', await pollinator(server, clone, ['pull', '--inputs']));
  await rm(dir, { recursive: true, force: true });
  await rm(clone, { recursive: true, force: true });
}

async function syncRows(): Promise<void> {
  const server = await startDevServerProcess({ dataDir: join(work, 'server') });
  try {
    if (ONLY.has('small')) {
      const steps: Record<string, ProcessTiming[]> = {};
      for (let round = 0; round < ROUNDS; round++) await syncCase(server, 'small', round, undefined, steps);
      const label = `${SMALL_FILES} × 1 KiB`;
      rows.push(
        { path: `sync ${label}, first upload (run --detach)`, timings: steps.upload!, goSeconds: GO.smallUpload },
        { path: `sync ${label}, no-op (plan)`, timings: steps.noop!, goSeconds: GO.smallNoop },
        { path: `sync ${label}, no-op (run --detach)`, timings: steps['noop-run']!, goSeconds: GO.smallNoop },
        { path: `sync ${label}, download (pull --inputs)`, timings: steps.download!, goSeconds: GO.smallDownload },
      );
      printRows();
    }
    if (ONLY.has('big')) {
      const big = join(work, 'big.bin');
      await writeFile(big, randomBytes(BIG_MIB * 1024 * 1024));
      const steps: Record<string, ProcessTiming[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        await syncCase(server, 'big', round, big, steps);
        await removeBenchBucket(s3, { keepBucket: true });
      }
      await rm(big);
      const label = `${BIG_MIB} MiB`;
      rows.push(
        { path: `sync ${label}, first upload (run --detach)`, timings: steps.upload!, goSeconds: GO.bigUpload },
        { path: `sync ${label}, no-op (plan)`, timings: steps.noop!, goSeconds: GO.bigNoop },
        { path: `sync ${label}, no-op (run --detach)`, timings: steps['noop-run']!, goSeconds: GO.bigNoop },
        { path: `sync ${label}, download (pull --inputs)`, timings: steps.download!, goSeconds: GO.bigDownload, goPeakMiB: GO.bigDownloadPeakMiB },
      );
    }
  } finally {
    await server.stop();
  }
}

/** `pollinator run --json` attached, and the queue time of its process from the server's record. */
async function timedRun(server: DevServerProcess, dir: string): Promise<{ timing: ProcessTiming; queueSeconds: number }> {
  const timing = await pollinator(server, dir, ['run', '--json']);
  const submitted = timing.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; processId?: string })
    .find((event) => event.type === 'process.submitted');
  if (submitted?.processId === undefined) throw new Error(`no process.submitted event in:\n${timing.stdout}`);
  const client = createColoniesClient({ url: server.url, privateKey: server.privateKey, colonyName: server.colonyName });
  const record = await client.getProcess(submitted.processId);
  const queueSeconds = (Date.parse(record.starttime) - Date.parse(record.submissiontime)) / 1000;
  return { timing, queueSeconds: Number.isFinite(queueSeconds) && queueSeconds > 0 ? queueSeconds : 0 };
}

async function runRows(): Promise<void> {
  const server = await startDevServerProcess({
    dataDir: join(work, 'server-run'),
    executor: { fsDir: join(work, 'executor-fs'), stateDir: join(work, 'executor-state'), s3 },
  });
  try {
    const small: Row = { path: `run, ${SMALL_FILES} small files, first (minus queue)`, timings: [], minus: [] };
    const result: Row = { path: `run, ${BIG_MIB} MiB result download (minus queue)`, timings: [], minus: [], goPeakMiB: GO.runResultPeakMiB };
    const job = `head -c ${BIG_MIB * 1024 * 1024} /dev/zero > "$PROJECT_DIR/result/big.bin"\n`;
    for (let round = 0; round < ROUNDS; round++) {
      const smallDir = await makeProject(`bench-run-small-${round}-${randomBytes(3).toString('hex')}`, { small: SMALL_FILES });
      const first = await timedRun(server, smallDir);
      small.timings.push(first.timing);
      small.minus!.push(first.queueSeconds);
      const resultDir = await makeProject(`bench-run-result-${round}-${randomBytes(3).toString('hex')}`, { job });
      const second = await timedRun(server, resultDir);
      result.timings.push(second.timing);
      result.minus!.push(second.queueSeconds);
      await removeBenchBucket(s3, { keepBucket: true });
      await rm(smallDir, { recursive: true, force: true });
      await rm(resultDir, { recursive: true, force: true });
    }
    rows.push(small, result);
  } finally {
    await server.stop();
  }
}

async function floorRows(): Promise<void> {
  const node: ProcessTiming[] = [];
  const version: ProcessTiming[] = [];
  for (let round = 0; round < Math.max(ROUNDS, 5); round++) {
    node.push(await timeProcess({ command: process.execPath, args: ['-e', ''] }));
    version.push(await timeProcess(pollinatorCommand(['--version'])));
  }
  rows.push({ path: "floor: node -e ''", timings: node }, { path: 'floor: pollinator --version', timings: version });
  const server = await startDevServerProcess({ dataDir: join(work, 'server-floor') });
  try {
    const metadata = cfsMetadataFromClient(createColoniesClient({ url: server.url, privateKey: server.privateKey, colonyName: server.colonyName }));
    const put: number[] = [];
    const get: number[] = [];
    const storePut: number[] = [];
    const storeGet: number[] = [];
    const add: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const floor = await rawS3Floor(s3, SMALL_FILES, 32);
      put.push(floor.putSeconds);
      get.push(floor.getSeconds);
      const ours = await storeS3Floor(s3, SMALL_FILES, 32);
      storePut.push(ours.putSeconds);
      storeGet.push(ours.getSeconds);
      add.push(await rawAddFileFloor(metadata, server.colonyName, SMALL_FILES, 32));
    }
    const asTimings = (values: number[]) => values.map((seconds) => ({ seconds, peakRssKiB: Number.NaN, userSeconds: Number.NaN, systemSeconds: Number.NaN, exitCode: 0, stdout: '', stderr: '' }));
    rows.push(
      { path: `floor: ${SMALL_FILES} raw S3 PUTs of 1 KiB (SDK, 32 in flight, in-process)`, timings: asTimings(put) },
      { path: `floor: ${SMALL_FILES} raw S3 GETs of 1 KiB (SDK, 32 in flight, in-process)`, timings: asTimings(get) },
      { path: `floor: ${SMALL_FILES} S3 PUTs of 1 KiB via cfs-sync's store (direct SigV4, 32 in flight, in-process)`, timings: asTimings(storePut) },
      { path: `floor: ${SMALL_FILES} S3 GETs of 1 KiB via cfs-sync's store (direct SigV4, 32 in flight, in-process)`, timings: asTimings(storeGet) },
      { path: `floor: ${SMALL_FILES} raw addfilemsg (colonies-client, 32 in flight, in-process)`, timings: asTimings(add) },
    );
  } finally {
    await server.stop();
  }
}

function printHeader(): void {
  console.log(
    `whole processes, median of ${ROUNDS} (${process.version}, ${new Date().toISOString()}, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')})`,
  );
  console.log('path | seconds (runs) | CPU s | peak RSS MiB | Go s | ours/Go | Go peak MiB');
  console.log('--- | ---: | ---: | ---: | ---: | ---: | ---:');
}

/** Prints the rows not printed yet (as each group ends, so an interrupted run still shows what it measured). */
function printRows(): void {
  for (const row of rows) {
    if (printed.has(row)) continue;
    printed.add(row);
    const seconds = row.timings.map((timing, index) => timing.seconds - (row.minus?.[index] ?? 0));
    const cpu = median(row.timings.map((timing) => timing.userSeconds + timing.systemSeconds));
    const peak = median(row.timings.map((timing) => timing.peakRssKiB / 1024));
    const ours = median(seconds);
    const runs = seconds.map((value) => value.toFixed(3)).join(', ');
    console.log(
      [
        row.path,
        `${ours.toFixed(3)} (${runs})`,
        Number.isFinite(cpu) ? cpu.toFixed(2) : '',
        Number.isFinite(peak) ? peak.toFixed(0) : '',
        row.goSeconds?.toFixed(3) ?? '',
        row.goSeconds === undefined ? '' : formatRatio(ours, row.goSeconds),
        row.goPeakMiB === undefined ? '' : `${row.goPeakMiB} (ours ${formatRatio(peak, row.goPeakMiB)})`,
      ].join(' | '),
    );
    if (row.minus !== undefined) console.log(`  (queue time subtracted: ${row.minus.map((value) => value.toFixed(3)).join(', ')} s)`);
  }
}

/** Our whole processes against the same run's floors: how much is ours beyond what the servers take. */
function printFloorRatios(): void {
  const find = (prefix: string) => rows.find((row) => row.path.startsWith(prefix));
  const seconds = (row: Row | undefined) => (row === undefined ? Number.NaN : median(row.timings.map((timing, index) => timing.seconds - (row.minus?.[index] ?? 0))));
  const put = seconds(find(`floor: ${SMALL_FILES} S3 PUTs of 1 KiB via cfs-sync`));
  const get = seconds(find(`floor: ${SMALL_FILES} S3 GETs of 1 KiB via cfs-sync`));
  const add = seconds(find(`floor: ${SMALL_FILES} raw addfilemsg`));
  const start = seconds(find('floor: pollinator --version'));
  const upload = seconds(find(`sync ${SMALL_FILES} × 1 KiB, first upload`));
  const download = seconds(find(`sync ${SMALL_FILES} × 1 KiB, download`));
  const noop = seconds(find(`sync ${SMALL_FILES} × 1 KiB, no-op (plan)`));
  if (Number.isNaN(upload + download + noop + put + get + add + start)) return;
  console.log('against the floors of this run (medians):');
  console.log(`  first upload ${upload.toFixed(3)} s vs start-up + PUT floor + addfilemsg floor ${(start + put + add).toFixed(3)} s: ${formatRatio(upload, start + put + add)}`);
  console.log(`  download ${download.toFixed(3)} s vs start-up + GET floor ${(start + get).toFixed(3)} s: ${formatRatio(download, start + get)}`);
  console.log(`  no-op ${noop.toFixed(3)} s vs pollinator --version ${start.toFixed(3)} s: ${formatRatio(noop, start)}`);
}

try {
  printHeader();
  if (ONLY.has('floors')) await floorRows();
  printRows();
  if (ONLY.has('small') || ONLY.has('big')) await syncRows();
  printRows();
  if (ONLY.has('run')) await runRows();
  printRows();
  printFloorRatios();
} finally {
  await rm(work, { recursive: true, force: true });
  await removeBenchBucket(s3);
}
