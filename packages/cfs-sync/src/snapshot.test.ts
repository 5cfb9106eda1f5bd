import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncDirectory } from './sync';
import { createSnapshot, materializeSnapshot, ROOT_KEEP_FILE } from './snapshot';
import { UnsafePathError } from './errors';
import { EMPTY_SHA256 } from './hash';
import { memorySetup, readTree, remoteRecord, tempDir, TEST_LABEL, TEST_TREE, writeTree } from './sync.test-helpers';

describe('snapshots', () => {
  it('creates a snapshot and materialises it into a directory, sub-labels included', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, TEST_TREE);
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    const snapshot = await createSnapshot({ metadata, store, label: TEST_LABEL, name: 'snap-1' });
    expect(snapshot.fileids).toHaveLength(6);
    const target = await tempDir();
    const result = await materializeSnapshot({ metadata, store, snapshot: { snapshotId: snapshot.snapshotid }, dir: target });
    expect(result.downloaded).toBe(6);
    expect(await readTree(target)).toEqual(TEST_TREE);
    // later revisions do not change the snapshot
    await writeFile(join(dir, 'main.py'), 'changed');
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    const again = await materializeSnapshot({ metadata, store, snapshot: { name: 'snap-1' }, dir: target });
    expect(again).toMatchObject({ downloaded: 0, skipped: 6 });
    expect((await readTree(target))['main.py']).toBe(TEST_TREE['main.py']);
  });

  it('snapshots a tree whose root label has no direct files (registers an empty .pollinator-keep)', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const dir = await tempDir();
    await writeTree(dir, { 'pkg/mod.py': 'm', 'pkg/sub/x.py': 'x' });
    await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    const snapshot = await createSnapshot({ metadata, store, label: TEST_LABEL });
    expect(snapshot.fileids).toHaveLength(3);
    const target = await tempDir();
    await materializeSnapshot({ metadata, store, snapshot: { snapshotId: snapshot.snapshotid }, dir: target });
    expect(await readTree(target)).toEqual({ [ROOT_KEEP_FILE]: '', 'pkg/mod.py': 'm', 'pkg/sub/x.py': 'x' });
    expect(metadata.revisions.find((file) => file.name === ROOT_KEEP_FILE)).toMatchObject({ size: 0, checksum: EMPTY_SHA256 });
    // a later sync does not bring the marker into the user's directory
    const next = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir });
    expect(next.plan.entries.find((entry) => entry.name === ROOT_KEEP_FILE)).toMatchObject({ action: 'ignored' });
    expect(Object.keys(await readTree(dir))).not.toContain(ROOT_KEEP_FILE);
  });

  it('refuses a snapshot whose files would escape the target directory', async () => {
    const { metadata, store } = await memorySetup();
    await metadata.addFile(remoteRecord(TEST_LABEL, 'ok.txt', 'ok', store));
    await metadata.addFile(remoteRecord(TEST_LABEL, '../../evil', 'evil', store));
    const snapshot = await metadata.createSnapshot(TEST_LABEL, 'bad');
    const target = join(await tempDir(), 'out');
    await expect(materializeSnapshot({ metadata, store, snapshot: { snapshotId: snapshot.snapshotid }, dir: target })).rejects.toBeInstanceOf(
      UnsafePathError,
    );
    await expect(stat(target)).rejects.toThrow();
  });
});
