import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBlobStore, createMemoryCfsMetadata, syncDirectory } from '@pollinator/cfs-sync';
import { materializeExactly } from './executor-snapshot-materialize';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function setup(files: Record<string, string>) {
  root = mkdtempSync(join(tmpdir(), 'pollinator-exact-'));
  const store = createMemoryBlobStore();
  const metadata = createMemoryCfsMetadata();
  const upload = join(root, 'upload');
  for (const [name, contents] of Object.entries(files)) {
    mkdirSync(join(upload, name, '..'), { recursive: true });
    writeFileSync(join(upload, name), contents);
  }
  await syncDirectory({ dir: upload, label: '/pollinator/p/data', keepLocal: true, metadata, store, stateDir: false });
  const snapshot = await metadata.createSnapshot('/pollinator/p/data', 'snap');
  const fsDir = join(root, 'fs');
  const dir = join(fsDir, 'pollinator', 'p', 'data');
  mkdirSync(dir, { recursive: true });
  return { store, metadata, fsDir, dir, snapshotId: snapshot.snapshotid };
}

describe('materializeExactly', () => {
  it('leaves exactly the snapshot: removes other files, dirs and links (never following a link), keeps sub-dirs on the way to its files', async () => {
    const { store, metadata, fsDir, dir, snapshotId } = await setup({ a: 'a\n', 'sub/b': 'b\n' });
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'not the job\'s\n');
    writeFileSync(join(dir, 'stale'), 'from an earlier run\n');
    mkdirSync(join(dir, 'sub', 'cache'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'cache', 'x'), 'x\n');
    symlinkSync(outside, join(dir, 'link'));
    const result = await materializeExactly({ fsDir, metadata, store, snapshotId, dir, keep: [] });
    expect(result.removed.sort()).toEqual(['link', 'stale', 'sub/cache']);
    expect(readdirSync(dir).sort()).toEqual(['a', 'sub']);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['b']);
    expect(readFileSync(join(outside, 'precious'), 'utf8')).toBe('not the job\'s\n');
  });

  it('never touches another staged dir inside (nor the dirs on the way to it), and removes nothing when adding only', async () => {
    const { store, metadata, fsDir, dir, snapshotId } = await setup({ a: 'a\n' });
    const other = join(dir, 'nested', 'result');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'r'), 'r\n');
    writeFileSync(join(dir, 'nested', 'loose'), 'loose\n');
    writeFileSync(join(dir, 'stale'), 'stale\n');
    const added = await materializeExactly({ fsDir, metadata, store, snapshotId, dir, keep: [other], addOnly: true });
    expect(added.removed).toEqual([]);
    expect(existsSync(join(dir, 'stale'))).toBe(true);
    const exact = await materializeExactly({ fsDir, metadata, store, snapshotId, dir, keep: [other] });
    expect(exact.removed.sort()).toEqual(['nested/loose', 'stale']);
    expect(readFileSync(join(other, 'r'), 'utf8')).toBe('r\n');
    expect(readFileSync(join(dir, 'a'), 'utf8')).toBe('a\n');
  });
});
