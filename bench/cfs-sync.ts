/**
 * cfs-sync: how long a user waits on `pollinator run`'s sync step, measured
 * in-process (library calls, no process start-up), with the metadata going
 * to a dev-server in its own process over HTTP (signed RPCs), and the blobs to
 *   - S3: Ceph RADOS Gateway (POLLINATOR_TEST_S3_* from scripts/services/ceph-rgw-up.sh, or AWS_S3_*),
 *   - local: a local blob directory (the embedded default).
 * Cases: 1,000 files of 1 KiB and one 200 MiB file — first upload, no-op
 * re-sync, download into an empty directory.
 *
 * Anchor (issue 5): the Go `colonies fs sync` on this machine kind took
 * 1.9 s / 0.15 s / 1.0 s (small files) and 1.7 s / 0.23 s / 0.43 s (200 MiB),
 * against another S3 server. Goals: no-op ≥ 5× faster, first syncs no slower.
 * BENCH_SMALL_FILES and BENCH_BIG_MIB shrink the cases for a quick run.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createColoniesClient } from '@pollinator/colonies-client';
import {
  cfsMetadataFromClient,
  createLocalBlobStore,
  createS3BlobStore,
  s3OptionsFromEnv,
  syncDirectory,
  type BlobStore,
  type CfsMetadata,
} from '@pollinator/cfs-sync';

const SMALL_FILES = Number(process.env.BENCH_SMALL_FILES ?? 1000);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 200);
const GO = {
  small: { upload: 1.9, noop: 0.15, download: 1.0 },
  big: { upload: 1.7, noop: 0.23, download: 0.43 },
} as const;

async function startServer(work: string) {
  // The dev-server in its own process, as a real Colonies server would be.
  const program = `
    import { startDevServer } from '@pollinator/dev-server';
    const server = await startDevServer({ dataDir: ${JSON.stringify(join(work, 'dev-server'))} });
    const user = server.identities.user;
    process.stdout.write(JSON.stringify({ url: server.url, blobDir: server.blobDir, privateKey: user.privateKey, colonyName: server.identities.colony.name }) + '\\n');
    process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['--conditions=@pollinator/source', '--import', 'tsx', '--input-type=module', '-e', program], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`dev-server exited with ${code}`)));
  });
  const info = JSON.parse(first) as { url: string; blobDir: string; privateKey: string; colonyName: string };
  return { child, ...info };
}

let lastCpu = 0;
async function time<T>(action: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = await action();
  const used = process.cpuUsage(cpu);
  lastCpu = (used.user + used.system) / 1e6;
  return [(performance.now() - start) / 1000, result];
}

interface Row {
  store: string;
  case: string;
  step: 'upload' | 'noop' | 'download';
  seconds: number;
  /** CPU seconds this process (cfs-sync + client) used in the step. */
  cpu: number;
  go: number;
}

async function runCases(storeName: string, store: BlobStore, metadata: CfsMetadata, work: string, rows: Row[]) {
  const run = randomBytes(4).toString('hex');
  const cases = [
    {
      name: `${SMALL_FILES} × 1 KiB`,
      key: 'small' as const,
      make: async (dir: string) => {
        for (let i = 0; i < SMALL_FILES; i++) {
          const sub = join(dir, `d${Math.floor(i / 100)}`);
          if (i % 100 === 0) await mkdir(sub, { recursive: true });
          await writeFile(join(sub, `f${i}.txt`), randomBytes(1024));
        }
      },
    },
    {
      name: `1 × ${BIG_MIB} MiB`,
      key: 'big' as const,
      make: async (dir: string) => {
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'big.bin'), randomBytes(BIG_MIB * 1024 * 1024));
      },
    },
  ];
  for (const benchCase of cases) {
    const label = `/bench/${storeName}-${run}/${benchCase.key}`;
    const source = join(work, `${storeName}-${benchCase.key}-src`);
    const target = join(work, `${storeName}-${benchCase.key}-dst`);
    const stateDir = join(work, `${storeName}-${benchCase.key}-state`);
    await benchCase.make(source);
    // as on a laptop, the files were written a while ago (the stat cache distrusts files modified in the last 100 ms)
    await new Promise((resolve) => setTimeout(resolve, 150));
    const [upload, first] = await time(() => syncDirectory({ dir: source, label, metadata, store, keepLocal: true, stateDir }));
    const uploadCpu = lastCpu;
    if (first.uploaded === 0) throw new Error('nothing uploaded');
    // A no-op re-sync is cheap and repeatable: best of 5 (a loaded machine adds noise, not speed).
    let noop = Infinity;
    let noopCpu = 0;
    for (let repeat = 0; repeat < 5; repeat++) {
      const [seconds, second] = await time(() => syncDirectory({ dir: source, label, metadata, store, keepLocal: true, stateDir }));
      if (second.uploaded + second.downloaded !== 0) throw new Error('no-op re-sync transferred files');
      if (seconds < noop) [noop, noopCpu] = [seconds, lastCpu];
    }
    const [download, third] = await time(() =>
      syncDirectory({ dir: target, label, metadata, store, keepLocal: false, stateDir: join(stateDir, 'download') }),
    );
    const downloadCpu = lastCpu;
    if (third.downloaded !== first.uploaded) throw new Error(`downloaded ${third.downloaded} of ${first.uploaded}`);
    rows.push(
      { store: storeName, case: benchCase.name, step: 'upload', seconds: upload, cpu: uploadCpu, go: GO[benchCase.key].upload },
      { store: storeName, case: benchCase.name, step: 'noop', seconds: noop, cpu: noopCpu, go: GO[benchCase.key].noop },
      { store: storeName, case: benchCase.name, step: 'download', seconds: download, cpu: downloadCpu, go: GO[benchCase.key].download },
    );
    await rm(source, { recursive: true, force: true });
    await rm(target, { recursive: true, force: true });
  }
}

const work = await mkdtemp(join(tmpdir(), 'pollinator-bench-cfs-'));
const server = await startServer(work);
try {
  const client = createColoniesClient({ url: server.url, privateKey: server.privateKey, colonyName: server.colonyName });
  const metadata = cfsMetadataFromClient(client);
  const rows: Row[] = [];
  const env = process.env;
  // The floor set by the metadata server: the addfilemsg RPCs a first upload of the small tree needs, alone.
  {
    const record = (index: number) => ({
      fileid: '', colonyname: server.colonyName, label: '/bench/floor', name: `f${index}`, size: 1, sequencenr: 0,
      checksum: '0'.repeat(64), checksumalg: 'SHA256', added: '0001-01-01T00:00:00Z',
      ref: { protocol: 's3', s3object: { server: '', port: -1, tls: false, accesskey: '', secretkey: '', region: '', encryptionkey: '', encryptionalg: '', object: randomBytes(32).toString('hex'), bucket: '' } },
    });
    const [seconds] = await time(async () => {
      let next = 0;
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (next < SMALL_FILES) await metadata.addFile(record(next++));
      }));
    });
    console.log(`metadata floor: ${SMALL_FILES} addfilemsg RPCs alone (32 in flight) take ${seconds.toFixed(3)} s against the dev-server`);
  }
  const s3 = env.POLLINATOR_TEST_S3_ENDPOINT
    ? {
        endpoint: env.POLLINATOR_TEST_S3_ENDPOINT,
        accessKey: env.POLLINATOR_TEST_S3_ACCESS_KEY ?? '',
        secretKey: env.POLLINATOR_TEST_S3_SECRET_KEY ?? '',
        bucket: env.POLLINATOR_TEST_S3_BUCKET ?? 'pollinator-test',
      }
    : s3OptionsFromEnv(env);
  if (s3) {
    const store = createS3BlobStore(s3);
    // The floor set by the S3 server: the PUTs and GETs of the small tree's objects alone.
    {
      const keys = Array.from({ length: SMALL_FILES }, () => randomBytes(32).toString('hex'));
      const data = randomBytes(1024);
      const pool = async (action: (key: string) => Promise<unknown>) => {
        let next = 0;
        await Promise.all(Array.from({ length: 32 }, async () => {
          while (next < keys.length) await action(keys[next++]!);
        }));
      };
      const [put] = await time(() => pool((key) => store.put(key, Readable.from([data]), { size: data.length })));
      const [get] = await time(() => pool(async (key) => { for await (const chunk of await store.get(key, { size: 1024 })) void chunk; }));
      console.log(`S3 floor: ${SMALL_FILES} PUTs of 1 KiB alone take ${put.toFixed(3)} s, ${SMALL_FILES} GETs ${get.toFixed(3)} s (32 in flight)`);
    }
    await runCases('s3', store, metadata, work, rows);
    await store.close?.();
  } else {
    console.log('S3: skipped (no POLLINATOR_TEST_S3_ENDPOINT / AWS_S3_ENDPOINT; run scripts/services/ceph-rgw-up.sh)');
  }
  await runCases('local', createLocalBlobStore({ dir: server.blobDir }), metadata, work, rows);

  console.log(
    `cfs-sync, in-process, metadata via a dev-server child process (${process.version}, ${new Date().toISOString()}, load average ${loadavg().map((load) => load.toFixed(1)).join(' ')})`,
  );
  console.log('store | case             | step     |  seconds | our CPU s | Go CLI (s) | Go / ours');
  for (const row of rows) {
    console.log(
      `${row.store.padEnd(5)} | ${row.case.padEnd(16)} | ${row.step.padEnd(8)} | ${row.seconds.toFixed(3).padStart(8)} | ${row.cpu.toFixed(3).padStart(9)} | ${row.go.toFixed(2).padStart(10)} | ${(row.go / row.seconds).toFixed(1).padStart(8)}×`,
    );
  }
  const noops = rows.filter((row) => row.step === 'noop');
  const firsts = rows.filter((row) => row.step !== 'noop');
  const noopOk = noops.every((row) => row.go / row.seconds >= 5);
  const firstOk = firsts.every((row) => row.seconds <= row.go);
  console.log(`goal no-op ≥ 5× faster than Go: ${noopOk ? 'met' : 'NOT met'}; first syncs no slower than Go: ${firstOk ? 'met' : 'NOT met'}`);
} finally {
  server.child.kill('SIGTERM');
  await rm(work, { recursive: true, force: true });
}
