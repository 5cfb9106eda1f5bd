import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySync } from './apply';
import { createSnapshot } from './snapshot';
import { planSync } from './plan';
import { syncDirectory } from './sync';
import { fingerprint, memorySetup, readTree, remoteRecord, sha, tempDir, TEST_LABEL, withoutMarkers, writeTree } from './sync.test-helpers';

describe("direction: 'download'", () => {
  it('never uploads: a local-only file is left alone, listed as local-only, and no metadata is written', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    await metadata.addFile(remoteRecord(TEST_LABEL, 'result.csv', 'a,b\n', store));
    const dir = await tempDir();
    await writeTree(dir, { 'notes.txt': 'mine, not for CFS\n', 'sub/draft.txt': 'also mine\n' });
    const objectsBefore = store.objects.size;

    const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, direction: 'download', stateDir });
    expect(plan.direction).toBe('download');
    expect(plan.keepLocal).toBe(false);
    expect(plan.entries.map((entry) => [entry.path, entry.action])).toEqual([
      ['notes.txt', 'local-only'],
      ['result.csv', 'download'],
      ['sub/draft.txt', 'local-only'],
    ]);
    expect(plan.summary.localOnly).toEqual({ files: 2, bytes: 28 });
    expect(plan.summary.upload.files).toBe(0);
    const result = await applySync(plan, { store });
    expect(result).toMatchObject({ uploaded: 0, downloaded: 1, skipped: [], partial: false });
    expect(metadata.calls.addFile).toBe(1); // the remote record this test registered, nothing since
    expect(metadata.revisions).toHaveLength(1);
    expect(store.objects.size).toBe(objectsBefore);
    expect(withoutMarkers(await readTree(dir))).toEqual({ 'notes.txt': 'mine, not for CFS\n', 'result.csv': 'a,b\n', 'sub/draft.txt': 'also mine\n' });
  });

  it('the remote version wins whatever keepLocal says; a local edit is kept as a backup', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    await metadata.addFile(remoteRecord(TEST_LABEL, 'out.txt', 'remote\n', store));
    const dir = await tempDir();
    await writeTree(dir, { 'out.txt': 'local edit\n' });
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, direction: 'download', stateDir });
    expect(result.uploaded).toBe(0);
    expect(result.backups).toHaveLength(1);
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('remote\n');
    expect(await readFile(join(dir, result.backups[0]!.backup), 'utf8')).toBe('local edit\n');
  });
});

describe('a snapshot as the source', () => {
  /** Three snapshots of one label, the contents changing between them. */
  async function threeSnapshots() {
    const setup = await memorySetup();
    const { metadata, store } = setup;
    const contents = [
      { 'a.txt': 'a1\n', 'sub/b.txt': 'b1\n' },
      { 'a.txt': 'a2\n', 'sub/b.txt': 'b1\n', 'c.txt': 'c2\n' },
      { 'a.txt': 'a3\n', 'sub/b.txt': 'b3\n', 'c.txt': 'c2\n' },
    ];
    const snapshots = [];
    for (const [index, files] of contents.entries()) {
      for (const [path, content] of Object.entries(files)) {
        const slash = path.lastIndexOf('/');
        const label = slash < 0 ? TEST_LABEL : `${TEST_LABEL}/${path.slice(0, slash)}`;
        const current = metadata.revisions.filter((file) => file.label === label && file.name === path.slice(slash + 1)).at(-1);
        if (current?.checksum !== sha(content)) await metadata.addFile(remoteRecord(label, path.slice(slash + 1), content, store));
      }
      snapshots.push(await createSnapshot({ metadata, store, label: TEST_LABEL, name: `run-${index}` }));
    }
    return { ...setup, contents, snapshots };
  }

  it('each of three snapshots of a label yields exactly its own files', async () => {
    const { metadata, store, stateDir, contents, snapshots } = await threeSnapshots();
    for (const [index, snapshot] of snapshots.entries()) {
      const dir = await tempDir();
      const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: false, source: { snapshotId: snapshot.snapshotid }, stateDir });
      expect(plan.source).toEqual({ snapshotId: snapshot.snapshotid, snapshotName: `run-${index}`, snapshotLabel: TEST_LABEL });
      expect(plan.direction).toBe('download');
      const result = await applySync(plan, { store });
      expect(result.downloaded).toBe(Object.keys(contents[index]!).length);
      expect(withoutMarkers(await readTree(dir))).toEqual(contents[index]);
    }
  });

  it('switching one directory between snapshots: remote wins, local edits are backed up, local-only files stay', async () => {
    const { metadata, store, stateDir, snapshots } = await threeSnapshots();
    const dir = await tempDir();
    const from = (index: number) => syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, source: { snapshotId: snapshots[index]!.snapshotid }, stateDir });
    await from(2);
    await writeFile(join(dir, 'a.txt'), 'my edit\n');
    await writeFile(join(dir, 'mine.txt'), 'mine\n');
    const back = await from(0);
    expect(back.uploaded).toBe(0);
    expect(back.plan.entries.find((entry) => entry.path === 'mine.txt')).toMatchObject({ action: 'local-only' });
    expect(back.plan.entries.find((entry) => entry.path === 'c.txt')).toMatchObject({ action: 'local-only' }); // not in snapshot 0
    expect(back.backups.map((backup) => backup.path)).toEqual(['a.txt']);
    const tree = withoutMarkers(await readTree(dir));
    expect(tree['a.txt']).toBe('a1\n');
    expect(tree['sub/b.txt']).toBe('b1\n');
    expect(tree['mine.txt']).toBe('mine\n');
    expect(tree[back.backups[0]!.backup]).toBe('my edit\n');
    // Unchanged since: a second plan of the same snapshot has nothing to do.
    const again = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: false, source: { snapshotId: snapshots[0]!.snapshotid }, stateDir });
    expect(again.summary.download.files + again.summary.conflict.files).toBe(0);
  });

  it('lists the snapshot (getsnapshot, one getfilemsg per file), not the label, and writes nothing while planning', async () => {
    const { metadata, stateDir, snapshots } = await threeSnapshots();
    const dir = await tempDir();
    const before = await fingerprint(dir);
    const calls = { ...metadata.calls };
    const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: false, source: { snapshotId: snapshots[1]!.snapshotid }, stateDir });
    expect(metadata.calls.getSnapshot! - (calls.getSnapshot ?? 0)).toBe(1);
    expect(metadata.calls.getFileById! - (calls.getFileById ?? 0)).toBe(3);
    expect(metadata.calls.getFiles).toBe(calls.getFiles);
    expect(plan.metadataCalls).toBe(4);
    expect(plan.entries.find((entry) => entry.path === 'a.txt')!.remote!.added).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await fingerprint(dir)).toBe(before);
  });

  it('is download-only: an explicit two-way direction is refused', async () => {
    const { metadata, stateDir, snapshots } = await threeSnapshots();
    const dir = await tempDir();
    await expect(
      planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, direction: 'both', source: { snapshotId: snapshots[0]!.snapshotid }, stateDir }),
    ).rejects.toThrow(/snapshot source is download-only/);
  });
});

describe('bad remote records during a download', () => {
  it('a missing object, a bad checksum and an invalid name are skipped and named; the other files arrive', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const missing = remoteRecord(TEST_LABEL, 'missing.bin', 'gone from the store', store);
    store.objects.delete(missing.ref.s3object.object);
    await metadata.addFile(missing);
    const wrongSum = remoteRecord(TEST_LABEL, 'wrong-sum.txt', 'content', store);
    await metadata.addFile({ ...wrongSum, checksum: sha('other content') });
    await metadata.addFile({ ...remoteRecord(TEST_LABEL, 'garbled.txt', 'x', store), checksum: 'not a checksum' });
    await metadata.addFile(remoteRecord(TEST_LABEL, '..', 'escape', store));
    await metadata.addFile(remoteRecord(TEST_LABEL, 'good.txt', 'good\n', store));
    await metadata.addFile(remoteRecord(`${TEST_LABEL}/sub`, 'also-good.txt', 'fine\n', store));
    const dir = await tempDir();
    const events: string[] = [];

    const result = await syncDirectory({
      dir,
      label: TEST_LABEL,
      metadata,
      store,
      keepLocal: false,
      direction: 'download',
      stateDir,
      onEvent: (event) => {
        if (event.type === 'file-skipped') events.push(event.path);
      },
    });
    expect(result.downloaded).toBe(2);
    expect(result.partial).toBe(true);
    const skipped = Object.fromEntries(result.skipped.map((entry) => [entry.path, entry.reason]));
    expect(Object.keys(skipped).sort()).toEqual(['..', 'garbled.txt', 'missing.bin', 'wrong-sum.txt']);
    expect(skipped['missing.bin']).toMatch(/missing from the store/);
    expect(skipped['wrong-sum.txt']).toMatch(/does not match its CFS record/);
    expect(skipped['garbled.txt']).toMatch(/checksum "not a checksum" is not a SHA-256/);
    expect(skipped['..']).toMatch(/unsafe name/);
    expect(events.sort()).toEqual(['missing.bin', 'wrong-sum.txt']); // the plan-time ones are in the plan already
    expect(result.plan.summary.invalidRemote.files).toBe(2);
    expect(withoutMarkers(await readTree(dir))).toEqual({ 'good.txt': 'good\n', 'sub/also-good.txt': 'fine\n' });
  });
});
