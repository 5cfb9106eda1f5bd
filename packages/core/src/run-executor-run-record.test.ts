/**
 * runExecutor() and the run record (issue #14, executor side), with the fake
 * client and backend and an in-memory CFS: the result snapshot
 * (`POLLINATOR_RESULT_SNAPSHOT`) after the results are uploaded, on success
 * and failure, replaced on a retry, a failing snapshot only a warning; the
 * image and its digest; and snapshot dirs staged exactly (a rerun sees
 * byte-identical inputs) without breaking a job that uses the dir now.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryBlobStore, createMemoryCfsMetadata, materializeSnapshot, syncDirectory, type CfsMetadata } from '@pollinator/cfs-sync';
import type { JobHandle, JobRequest } from './backend';
import type { ExecutorProcess } from './run-executor';
import { RunRecordKey } from './run-record-keys';
import { current, FakeBackend, FakeClient, makeProcess, start, until } from './run-executor.test-helpers';

/** Staging and uploads take a few server-side steps: generous on a loaded machine. */
const WAIT_MS = 30_000;
const waitFor = (check: () => boolean, what: string) => until(check, what, WAIT_MS);

const RESULT = '/pollinator/p/result';
const DATA = '/pollinator/p/data';

function memoryCfs() {
  return { store: createMemoryBlobStore(), metadata: createMemoryCfsMetadata() };
}
type Cfs = ReturnType<typeof memoryCfs>;

/** A job that writes `files` into its result dir (and lists its data dir) when it starts. */
class WritingBackend extends FakeBackend {
  results = new Map<string, Record<string, string>>();
  seenData = new Map<string, string[]>();
  digest: (() => Promise<string | undefined>) | undefined;
  override async start(job: JobRequest): Promise<JobHandle> {
    const result = job.mounts.find((mount) => mount.containerPath === `/cfs${RESULT}`);
    for (const [name, contents] of Object.entries(this.results.get(job.processId) ?? {})) writeFileSync(join(result!.hostPath, name), contents);
    const data = job.mounts.find((mount) => mount.containerPath === `/cfs${DATA}`);
    if (data) this.seenData.set(job.processId, readdirSync(data.hostPath).sort());
    return super.start(job);
  }
  imageDigest(): Promise<string | undefined> {
    return this.digest ? this.digest() : Promise.resolve(undefined);
  }
}

function withResultDir(id: string): ExecutorProcess {
  const process = makeProcess(id);
  process.spec.fs = {
    mount: '/cfs',
    snapshots: [],
    dirs: [{ label: RESULT, dir: RESULT, keepfiles: false, onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: true } } }],
  };
  return process;
}

function withDataSnapshot(id: string, snapshotId: string, maxexectime?: number): ExecutorProcess {
  const process = makeProcess(id, maxexectime === undefined ? {} : { maxexectime });
  process.spec.fs = { mount: '/cfs', snapshots: [{ label: DATA, snapshotid: snapshotId, dir: DATA, keepfiles: true, keepsnapshot: true }], dirs: [] };
  return process;
}

function attribute(client: FakeClient, processId: string, key: string): string | undefined {
  return client.attributes.filter((entry) => entry.processId === processId && entry.key === key).at(-1)?.value;
}

/** The files of a snapshot, name → contents. */
async function snapshotFiles(cfs: Cfs, snapshotId: string): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(current.root!, 'snapshot-'));
  await materializeSnapshot({ metadata: cfs.metadata, store: cfs.store, snapshot: { snapshotId }, dir });
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/** Uploads `files` into `label` and snapshots it; the snapshot's id. */
async function snapshotOf(cfs: Cfs, root: string, label: string, files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(root, 'upload-'));
  for (const [name, contents] of Object.entries(files)) writeFileSync(join(dir, name), contents);
  await syncDirectory({ dir, label, keepLocal: true, metadata: cfs.metadata, store: cfs.store, stateDir: false });
  return (await cfs.metadata.createSnapshot(label, `snapshot-of-${label.replaceAll('/', '-')}`)).snapshotid;
}

async function closed(client: FakeClient, processId: string, count = 1): Promise<void> {
  await waitFor(() => client.closed.filter((close) => close.processId === processId).length >= count, `${processId} closed`);
}

describe('runExecutor: the result snapshot', () => {
  it('records, per run, a snapshot (named after the process) holding exactly that run\'s results, on success and on failure', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    const cfs = memoryCfs();
    start(client, backend, { cfs });
    const runs = [
      { id: 'run-1', files: { 'out.txt': 'first\n' }, status: { state: 'succeeded', exitCode: 0 } as const },
      { id: 'run-2', files: { 'out.txt': 'second\n' }, status: { state: 'succeeded', exitCode: 0 } as const },
      { id: 'run-3', files: { 'out.txt': 'third, failing\n' }, status: { state: 'failed', exitCode: 3, reason: 'exit code 3' } as const },
    ];
    for (const run of runs) {
      backend.results.set(run.id, run.files);
      client.queue.push(withResultDir(run.id));
      await waitFor(() => backend.started.some((job) => job.processId === run.id), `${run.id} started`);
      backend.finish(run.id, run.status);
      await closed(client, run.id);
    }
    expect(client.closed.map((close) => close.success)).toEqual([true, true, false]);
    for (const run of runs) {
      const snapshotId = attribute(client, run.id, RunRecordKey.resultSnapshot);
      expect(snapshotId, run.id).toBeDefined();
      expect(client.attributes).toContainEqual({ processId: run.id, key: RunRecordKey.resultSnapshot, value: snapshotId, type: 1 });
      const snapshot = await cfs.metadata.getSnapshot({ snapshotId: snapshotId! });
      expect(snapshot).toMatchObject({ name: run.id, label: RESULT });
      expect(await snapshotFiles(cfs, snapshotId!)).toEqual(run.files);
    }
    // Recorded before the close.
    const order = client.attributes.filter((entry) => entry.processId === 'run-1').map((entry) => entry.key);
    expect(order.indexOf(RunRecordKey.resultSnapshot)).toBeLessThan(order.indexOf('EXITCODE'));
  });

  it('uploads the job\'s results over a revision someone else uploaded to the result label while it ran', async () => {
    // Another executor (or a teammate's run on it) wrote out.txt after this job staged the label:
    // the spec's keeplocal decides, as on the original executors; the stale-copy guard is for people's trees.
    const client = new FakeClient();
    const backend = new WritingBackend();
    const cfs = memoryCfs();
    start(client, backend, { cfs });
    backend.results.set('p1', { 'out.txt': 'mine\n' });
    client.queue.push(withResultDir('p1'));
    await waitFor(() => backend.started.length === 1, 'started');
    await snapshotOf(cfs, current.root!, RESULT, { 'out.txt': 'another run\n' });
    backend.finish('p1', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'p1');
    expect(client.closed).toEqual([{ processId: 'p1', success: true }]);
    expect(await snapshotFiles(cfs, attribute(client, 'p1', RunRecordKey.resultSnapshot)!)).toEqual({ 'out.txt': 'mine\n' });
  });

  it('closes as the job says when the snapshot cannot be made, with a warning in the process log', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    const cfs = memoryCfs();
    const failing: CfsMetadata = Object.assign(Object.create(null) as CfsMetadata, cfs.metadata, {
      createSnapshot: () => Promise.reject(new Error('snapshot service down')),
    });
    const warnings: string[] = [];
    start(client, backend, { cfs: { store: cfs.store, metadata: failing }, onEvent: (event) => event.type === 'warning' && warnings.push(event.message) });
    backend.results.set('p1', { 'out.txt': 'kept\n' });
    client.queue.push(withResultDir('p1'));
    await waitFor(() => backend.started.length === 1, 'started');
    backend.finish('p1', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'p1');
    expect(client.closed).toEqual([{ processId: 'p1', success: true }]);
    expect(attribute(client, 'p1', RunRecordKey.resultSnapshot)).toBeUndefined();
    const log = client.logs.map((entry) => entry.message).join('');
    expect(log).toContain(`Pollinator: warning: could not snapshot the results (label ${RESULT}): snapshot service down`);
    expect(warnings.some((message) => message.includes('snapshot service down'))).toBe(true);
  });

  it('takes no snapshot for a spec without a result dir, and none without CFS', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    client.queue.push(makeProcess('plain'));
    start(client, backend);
    await waitFor(() => backend.started.length === 1, 'started');
    backend.finish('plain', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'plain');
    expect(attribute(client, 'plain', RunRecordKey.resultSnapshot)).toBeUndefined();
  });
});

describe('runExecutor: the image of a run', () => {
  it('records the image and the digest the backend resolves (type OUT, before the close)', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    const digest = `sha256:${'ab'.repeat(32)}`;
    backend.digest = () => Promise.resolve(digest);
    client.queue.push(makeProcess('p1'));
    start(client, backend);
    await waitFor(() => backend.started.length === 1, 'started');
    backend.finish('p1', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'p1');
    expect(client.attributes).toContainEqual({ processId: 'p1', key: RunRecordKey.image, value: 'busybox', type: 1 });
    expect(client.attributes).toContainEqual({ processId: 'p1', key: RunRecordKey.imageDigest, value: digest, type: 1 });
  });

  it('records that the image was not used when the backend runs jobs without containers', async () => {
    const client = new FakeClient();
    const backend = Object.assign(new WritingBackend(), { usesImages: false });
    let asked = false;
    backend.digest = () => {
      asked = true;
      return Promise.resolve(`sha256:${'cd'.repeat(32)}`);
    };
    client.queue.push(makeProcess('plain'));
    start(client, backend);
    await waitFor(() => backend.started.length === 1, 'started');
    backend.finish('plain', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'plain');
    expect(client.attributes).toContainEqual({ processId: 'plain', key: RunRecordKey.image, value: 'busybox', type: 1 });
    expect(client.attributes).toContainEqual({ processId: 'plain', key: RunRecordKey.imageUsed, value: 'false', type: 1 });
    expect(attribute(client, 'plain', RunRecordKey.imageDigest)).toBeUndefined();
    expect(asked).toBe(false);
  });

  it('records no image for an empty docker-image, no digest when the backend has none, and only warns when it fails', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    const noImage = makeProcess('no-image');
    noImage.spec.kwargs = { ...noImage.spec.kwargs, 'docker-image': '' };
    client.queue.push(noImage);
    start(client, backend);
    await waitFor(() => backend.started.length === 1, 'started');
    backend.finish('no-image', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'no-image');
    expect(attribute(client, 'no-image', RunRecordKey.image)).toBeUndefined();
    expect(attribute(client, 'no-image', RunRecordKey.imageDigest)).toBeUndefined();

    backend.digest = () => Promise.reject(new Error('inspect failed'));
    client.queue.push(makeProcess('broken-digest'));
    await waitFor(() => backend.started.length === 2, 'second started');
    backend.finish('broken-digest', { state: 'failed', exitCode: 2, reason: 'exit code 2' });
    await closed(client, 'broken-digest');
    expect(client.closed.at(-1)).toMatchObject({ processId: 'broken-digest', success: false });
    expect(attribute(client, 'broken-digest', RunRecordKey.image)).toBe('busybox');
    expect(attribute(client, 'broken-digest', RunRecordKey.imageDigest)).toBeUndefined();
    expect(client.logs.map((entry) => entry.message).join('')).toContain('could not read the digest of image busybox (fake): inspect failed');
    expect(attribute(client, 'broken-digest', 'EXITCODE')).toBe('2');
  });
});

describe('runExecutor: snapshot dirs staged exactly', () => {
  it('a rerun sees byte-identical inputs: run 1 with data {a, b}, run 2 with data {a} sees no b (nor what run 1 wrote)', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    const cfs = memoryCfs();
    start(client, backend, { cfs });
    const both = await snapshotOf(cfs, current.root!, '/pollinator/p/data-v1', { a: 'a\n', b: 'b\n' });
    const onlyA = await snapshotOf(cfs, current.root!, '/pollinator/p/data-v2', { a: 'a, changed\n' });
    client.queue.push(withDataSnapshot('run-1', both));
    await waitFor(() => backend.started.length === 1, 'run 1 started');
    const dataDir = backend.started[0]!.mounts[0]!.hostPath;
    writeFileSync(join(dataDir, 'scratch'), 'written by run 1\n');
    mkdirSync(join(dataDir, 'cache'));
    writeFileSync(join(dataDir, 'cache', 'x'), 'x\n');
    backend.finish('run-1', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'run-1');
    expect(backend.seenData.get('run-1')).toEqual(['a', 'b']);

    client.queue.push(withDataSnapshot('run-2', onlyA));
    await waitFor(() => backend.started.length === 2, 'run 2 started');
    expect(backend.seenData.get('run-2')).toEqual(['a']);
    expect(readFileSync(join(dataDir, 'a'), 'utf8')).toBe('a, changed\n');
    backend.finish('run-2', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'run-2');
    expect(client.logs.map((entry) => entry.message).join('')).toContain(`Pollinator: staged ${DATA} exactly as snapshot ${onlyA}: removed 3 path(s)`);

    // A rerun of run 1: its inputs again, exactly.
    client.queue.push(withDataSnapshot('rerun-1', both));
    await waitFor(() => backend.started.length === 3, 'rerun started');
    expect(backend.seenData.get('rerun-1')).toEqual(['a', 'b']);
    expect(readFileSync(join(dataDir, 'a'), 'utf8')).toBe('a\n');
  });

  it('does not change a dir a running job uses: a job with the same snapshot shares it, one with another waits for it', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    const cfs = memoryCfs();
    start(client, backend, { cfs, maxConcurrency: 4 });
    const both = await snapshotOf(cfs, current.root!, '/pollinator/p/data-v1', { a: 'a\n', b: 'b\n' });
    const onlyA = await snapshotOf(cfs, current.root!, '/pollinator/p/data-v2', { a: 'a, changed\n' });
    client.queue.push(withDataSnapshot('first', both));
    await waitFor(() => backend.started.length === 1, 'first started');
    const dataDir = backend.started[0]!.mounts[0]!.hostPath;
    writeFileSync(join(dataDir, 'scratch'), 'in use\n');

    client.queue.push(withDataSnapshot('same-data', both), withDataSnapshot('other-data', onlyA));
    await waitFor(() => backend.started.length === 2, 'the job with the same data started');
    expect(backend.started[1]!.processId).toBe('same-data');
    expect(backend.seenData.get('same-data')).toEqual(['a', 'b', 'scratch']);
    await waitFor(() => client.logs.some((entry) => entry.processId === 'other-data' && entry.message.startsWith(`Pollinator: waiting for ${DATA}`)), 'other-data waits');
    // While they run, their inputs stay as they are.
    expect(readdirSync(dataDir).sort()).toEqual(['a', 'b', 'scratch']);
    expect(readFileSync(join(dataDir, 'a'), 'utf8')).toBe('a\n');

    backend.finish('first', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'first');
    expect(backend.started).toHaveLength(2);
    expect(existsSync(join(dataDir, 'b'))).toBe(true);
    backend.finish('same-data', { state: 'succeeded', exitCode: 0 });
    await waitFor(() => backend.started.length === 3, 'the job with other data started');
    expect(backend.seenData.get('other-data')).toEqual(['a']);
    backend.finish('other-data', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'other-data');
    expect(client.closed.every((close) => close.success)).toBe(true);
  });

  it('runs two jobs side by side whose data snapshots differ in id but hold the same files (two runs of one project)', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    const cfs = memoryCfs();
    start(client, backend, { cfs, maxConcurrency: 2 });
    const first = await snapshotOf(cfs, current.root!, DATA, { a: 'a\n' });
    // Every run snapshots its data label: an unchanged label gives a new snapshot of the same revisions.
    const second = (await cfs.metadata.createSnapshot(DATA, 'second-run')).snapshotid;
    expect(second).not.toBe(first);
    client.queue.push(withDataSnapshot('run-1', first), withDataSnapshot('run-2', second));
    await waitFor(() => backend.started.length === 2, 'both started');
    expect(client.logs.some((entry) => entry.message.startsWith('Pollinator: waiting for'))).toBe(false);
    expect(backend.seenData.get('run-2')).toEqual(['a']);
    backend.finish('run-1', { state: 'succeeded', exitCode: 0 });
    backend.finish('run-2', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'run-2');
  });

  it('closes a job that waited past its maxexectime (exit code 124) instead of starting it too late', async () => {
    const client = new FakeClient();
    const backend = new WritingBackend();
    const cfs = memoryCfs();
    start(client, backend, { cfs, maxConcurrency: 4 });
    const both = await snapshotOf(cfs, current.root!, '/pollinator/p/data-v1', { a: 'a\n', b: 'b\n' });
    const onlyA = await snapshotOf(cfs, current.root!, '/pollinator/p/data-v2', { a: 'a, changed\n' });
    client.queue.push(withDataSnapshot('long', both));
    await waitFor(() => backend.started.length === 1, 'the long job started');
    client.queue.push(withDataSnapshot('impatient', onlyA, 2));
    await closed(client, 'impatient');
    expect(backend.started.map((job) => job.processId)).toEqual(['long']);
    expect(client.closed.find((close) => close.processId === 'impatient')).toEqual({
      processId: 'impatient',
      success: false,
      errors: [`ContainerExecutor: stopped waiting for ${DATA}: maxexectime of 2 s exceeded while the job waited to be staged: Failed to resolve snapshotID`],
    });
    expect(attribute(client, 'impatient', 'EXITCODE')).toBe('124');
    // The running job's inputs were never touched.
    expect(backend.seenData.get('long')).toEqual(['a', 'b']);
    expect(readdirSync(backend.started[0]!.mounts[0]!.hostPath).sort()).toEqual(['a', 'b']);
    backend.finish('long', { state: 'succeeded', exitCode: 0 });
    await closed(client, 'long');
  });
});
