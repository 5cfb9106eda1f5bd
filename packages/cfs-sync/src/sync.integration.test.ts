import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createColoniesClient } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { cfsMetadataFromClient } from './client-metadata';
import { createLocalBlobStore } from './local-blob-store';
import { createS3BlobStore } from './s3-blob-store';
import { syncDirectory } from './sync';
import { planSync } from './plan';
import { applySync } from './apply';
import { createSnapshot, materializeSnapshot } from './snapshot';
import type { BlobStore } from './blob-store';
import type { CfsMetadata } from './types';
import { Readable } from 'node:stream';
import { goClientFixture, readTree, sha, tempDir, TEST_TREE, withoutMarkers, writeTree } from './sync.test-helpers';
import { s3TestOptions, S3_SKIP_REASON } from './s3-test-env.test-helpers';

let server: DevServer;
let metadata: CfsMetadata;
beforeAll(async () => {
  server = await startDevServer();
  const client = createColoniesClient({
    url: server.url,
    privateKey: server.identities.user.privateKey,
    colonyName: server.identities.colony.name,
  });
  metadata = cfsMetadataFromClient(client);
});
afterAll(async () => {
  await server?.close();
});

function flow(storeName: string, makeStore: () => BlobStore) {
  describe(`sync through @pollinator/colonies-client and the dev-server, ${storeName} blobs`, () => {
    let store: BlobStore;
    let prefix: string;
    beforeAll(() => {
      store = makeStore();
      prefix = `/pollinator/it-${storeName.replace(/\W+/g, '-')}-${randomBytes(4).toString('hex')}`;
    });
    afterAll(async () => {
      await store?.close?.();
    });

    it('uploads, re-syncs as a no-op, downloads into an empty directory', async () => {
      const label = `${prefix}/src`;
      const stateDir = await tempDir('cfs-state-');
      const dir = await tempDir();
      await writeTree(dir, TEST_TREE);
      const first = await syncDirectory({ dir, label, metadata, store, keepLocal: true, stateDir });
      expect(first.uploaded).toBe(6);
      const noop = await syncDirectory({ dir, label, metadata, store, keepLocal: true, stateDir });
      expect(noop.uploaded + noop.downloaded).toBe(0);
      expect(noop.plan.summary.unchanged.files).toBe(6);
      expect(noop.plan.metadataCalls).toBe(5); // 1 label listing + 4 labels
      const target = await tempDir();
      const down = await syncDirectory({ dir: target, label, metadata, store, keepLocal: false, stateDir });
      expect(down.downloaded).toBe(6);
      expect(withoutMarkers(await readTree(target))).toEqual(TEST_TREE);
    });

    it('syncs a tree whose root has no direct files completely (server quirk), and snapshots it', async () => {
      const label = `${prefix}/noroot`;
      const stateDir = await tempDir('cfs-state-');
      const dir = await tempDir();
      await writeTree(dir, { 'a/x.txt': 'x', 'a/b/y.txt': 'y' });
      await syncDirectory({ dir, label, metadata, store, keepLocal: true, stateDir });
      const target = await tempDir();
      await syncDirectory({ dir: target, label, metadata, store, keepLocal: false, stateDir });
      expect(withoutMarkers(await readTree(target))).toEqual({ 'a/x.txt': 'x', 'a/b/y.txt': 'y' });
      const snapshot = await createSnapshot({ metadata, store, label });
      const staged = await tempDir();
      await materializeSnapshot({ metadata, store, snapshot: { snapshotId: snapshot.snapshotid }, dir: staged });
      expect(await readTree(staged)).toMatchObject({ 'a/x.txt': 'x', 'a/b/y.txt': 'y' });
    });

    it('keeps a local edit as a backup when the remote version wins', async () => {
      const label = `${prefix}/result`;
      const stateDir = await tempDir('cfs-state-');
      const executorSide = await tempDir();
      await writeTree(executorSide, { 'out.txt': 'from the job\n' });
      await syncDirectory({ dir: executorSide, label, metadata, store, keepLocal: true, stateDir });
      const laptop = await tempDir();
      await writeTree(laptop, { 'out.txt': 'my local notes\n' });
      const result = await syncDirectory({ dir: laptop, label, metadata, store, keepLocal: false, stateDir });
      expect(await readFile(join(laptop, 'out.txt'), 'utf8')).toBe('from the job\n');
      expect(await readFile(join(laptop, result.backups[0]!.backup), 'utf8')).toBe('my local notes\n');
    });

    it('two clones: a stale local edit is refused with the server time of the newer revision; forced, it uploads', async () => {
      const label = `${prefix}/teammates`;
      const [a, b, stateA, stateB] = [await tempDir(), await tempDir(), await tempDir('cfs-state-'), await tempDir('cfs-state-')];
      await writeTree(a, { 'model.py': 'v1\n' });
      await syncDirectory({ dir: a, label, metadata, store, keepLocal: true, stateDir: stateA });
      await syncDirectory({ dir: b, label, metadata, store, keepLocal: true, stateDir: stateB });
      await writeFile(join(a, 'model.py'), 'v2 from A\n');
      await syncDirectory({ dir: a, label, metadata, store, keepLocal: true, stateDir: stateA });
      const theirs = await metadata.getLatestFile(label, 'model.py');
      await writeFile(join(b, 'model.py'), 'B edits v1\n');
      const plan = await planSync({ dir: b, label, metadata, keepLocal: true, stateDir: stateB });
      expect(plan.entries.find((entry) => entry.path === 'model.py')).toMatchObject({
        reason: 'remote-changed',
        remote: { checksum: sha('v2 from A\n'), added: theirs.added },
      });
      expect(theirs.added).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      await expect(applySync(plan, { store })).rejects.toMatchObject({ code: 'REMOTE_CHANGED', files: [{ path: 'model.py', remoteAdded: theirs.added }] });
      const forced = await syncDirectory({ dir: b, label, metadata, store, keepLocal: true, force: true, stateDir: stateB });
      expect(forced.uploaded).toBe(1);
      expect((await metadata.getLatestFile(label, 'model.py')).checksum).toBe(sha('B edits v1\n'));
    });

    it('a record whose object is missing from the store is skipped; the other files arrive', async () => {
      const label = `${prefix}/lost`;
      const source = await tempDir();
      await writeTree(source, { 'lost.txt': 'its object will be deleted', 'kept.txt': 'kept', 'empty.txt': '' });
      await syncDirectory({ dir: source, label, metadata, store, keepLocal: true, stateDir: false });
      const lost = (await metadata.getLatestFile(label, 'lost.txt')).ref.s3object.object;
      await store.delete(lost);
      const target = await tempDir();
      const result = await syncDirectory({ dir: target, label, metadata, store, keepLocal: false, direction: 'download', stateDir: false });
      expect(result.skipped).toEqual([{ path: 'lost.txt', reason: expect.stringMatching(/missing from the store/) }]);
      expect(result.partial).toBe(true);
      expect(withoutMarkers(await readTree(target))).toEqual({ 'kept.txt': 'kept', 'empty.txt': '' });
    });

    it('plans from a snapshot: each snapshot of the label yields its own revisions', async () => {
      const label = `${prefix}/snapshots`;
      const dir = await tempDir();
      const stateDir = await tempDir('cfs-state-');
      const snapshots = [];
      for (const version of ['one', 'two']) {
        await writeTree(dir, { 'v.txt': `${version}\n`, [`only-${version}.txt`]: version });
        await syncDirectory({ dir, label, metadata, store, keepLocal: true, stateDir });
        snapshots.push(await createSnapshot({ metadata, store, label }));
      }
      const first = await tempDir();
      await syncDirectory({ dir: first, label, metadata, store, keepLocal: false, source: { snapshotId: snapshots[0]!.snapshotid }, stateDir: false });
      expect(withoutMarkers(await readTree(first))).toEqual({ 'v.txt': 'one\n', 'only-one.txt': 'one' });
      const second = await tempDir();
      await syncDirectory({ dir: second, label, metadata, store, keepLocal: false, source: { snapshotId: snapshots[1]!.snapshotid }, stateDir: false });
      expect(withoutMarkers(await readTree(second))).toEqual({ 'v.txt': 'two\n', 'only-one.txt': 'one', 'only-two.txt': 'two' });
    });
  });
}

flow('local', () => createLocalBlobStore({ dir: server.blobDir }));

const s3 = s3TestOptions();
describe.skipIf(!s3)(`S3 (Ceph RGW)${S3_SKIP_REASON}`, () => {
  flow('s3', () => createS3BlobStore(s3!));
});

describe('files written by the Go client, through the dev-server', () => {
  it('downloads the records of fixture 10-go-cli-cfs (Go CLI uploads) into a directory', async () => {
    const { written, contents, downloadedTree } = await goClientFixture();
    const store = createLocalBlobStore({ dir: server.blobDir });
    const root = `/pollinator/go-${randomBytes(4).toString('hex')}/src`;
    for (const file of written) {
      const content = contents[file.name];
      if (content === undefined) continue; // the unicode file's bytes are not in the fixture
      if (content.length > 0) await store.put(file.ref.s3object.object, Readable.from([Buffer.from(content)]), { size: content.length });
      // exactly the Go record (credentials and all), moved under a fresh label
      await metadata.addFile({ ...file, label: file.label.replace('/pollinator/fixture/src', root) });
    }
    const dir = await tempDir();
    const result = await syncDirectory({ dir, label: root, metadata, store, keepLocal: false, stateDir: false });
    expect(result.downloaded).toBe(5);
    expect(withoutMarkers(await readTree(dir))).toEqual(downloadedTree);
  });
});

describe('kill -9 during a download', () => {
  it('leaves no half-written file under a real name, and the next sync completes it', async () => {
    const store = createLocalBlobStore({ dir: server.blobDir });
    const label = `/pollinator/kill-${randomBytes(4).toString('hex')}/data`;
    const stateDir = await tempDir('cfs-state-');
    const source = await tempDir();
    const big = randomBytes(24 * 1024 * 1024);
    await writeFile(join(source, 'big.bin'), big);
    await writeFile(join(source, 'small.txt'), 'small');
    await syncDirectory({ dir: source, label, metadata, store, keepLocal: true, stateDir });

    const target = join(await tempDir(), 'target');
    const childState = await tempDir('cfs-state-');
    const script = fileURLToPath(new URL('./__fixtures__/kill-download-child.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--conditions=@pollinator/source',
        '--import',
        'tsx',
        script,
        server.url,
        server.identities.user.privateKey,
        server.identities.colony.name,
        server.blobDir,
        target,
        label,
        childState,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('..', import.meta.url)) },
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    let killedAt = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const event = JSON.parse(line) as { bytesDone?: number; done?: boolean };
      expect(event.done).toBeUndefined(); // it must not finish before we kill it
      if ((event.bytesDone ?? 0) >= 4 * 1024 * 1024) {
        killedAt = event.bytesDone!;
        child.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThan(0);
    const names = await readdir(target);
    expect(names).not.toContain('big.bin');
    const temps = names.filter((name) => name.startsWith('.pollinator-tmp-'));
    expect(temps.length).toBeGreaterThan(0); // the partial download is under a temporary name only
    for (const temp of temps) expect((await stat(join(target, temp))).size).toBeLessThan(big.length);

    const again = await syncDirectory({ dir: target, label, metadata, store, keepLocal: false, stateDir: childState });
    expect(again.downloaded).toBeGreaterThanOrEqual(1);
    expect(sha(await readFile(join(target, 'big.bin')))).toBe(sha(big));
    expect((await readdir(target)).filter((name) => name.startsWith('.pollinator-tmp-'))).toEqual([]);
    const plan = await planSync({ dir: target, label, metadata, keepLocal: false, stateDir: childState });
    expect(plan.summary.unchanged.files).toBe(2);
  }, 60_000);
});
