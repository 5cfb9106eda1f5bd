import { lstat, readlink, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryBlobStore } from './memory-blob-store';
import { createMemoryCfsMetadata } from './memory-metadata';
import { removeStaleTempFiles } from './stale-temp-files';
import { syncDirectory } from './sync';
import { readTree, tempDir, writeTree } from './sync.test-helpers';

describe('removeStaleTempFiles', () => {
  it('removes temporary files at any depth, counting files and bytes, and keeps everything else', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      '.pollinator-tmp-0001': '12345',
      'a/b/.pollinator-tmp-0002': '123',
      'a/keep.txt': 'keep',
      'a/.pollinator-conflict-x': 'backup',
    });
    expect(await removeStaleTempFiles(dir)).toEqual({ files: 2, bytes: 8 });
    expect(await readTree(dir)).toEqual({ 'a/keep.txt': 'keep', 'a/.pollinator-conflict-x': 'backup' });
  });

  it('never follows a symlink: not into a linked directory, not the root, and a link with a temporary name goes as a link', async () => {
    const outside = await tempDir('cfs-outside-');
    await writeTree(outside, { '.pollinator-tmp-outside': 'not ours to remove', 'target.txt': 'stays' });
    const dir = await tempDir();
    await symlink(outside, join(dir, 'linked-dir'));
    await symlink(join(outside, 'target.txt'), join(dir, '.pollinator-tmp-link'));
    expect(await removeStaleTempFiles(dir)).toEqual({ files: 1, bytes: 0 });
    await expect(lstat(join(dir, '.pollinator-tmp-link'))).rejects.toThrow();
    expect(await readlink(join(dir, 'linked-dir'))).toBe(outside);
    expect(await readTree(outside)).toEqual({ '.pollinator-tmp-outside': 'not ours to remove', 'target.txt': 'stays' });

    const linkedRoot = join(await tempDir(), 'root-link');
    await symlink(outside, linkedRoot);
    expect(await removeStaleTempFiles(linkedRoot)).toEqual({ files: 0, bytes: 0 });
    expect(Object.keys(await readTree(outside))).toContain('.pollinator-tmp-outside');
  });

  it('a sync removes temporary files of a crashed download and leaves a directory with such a name alone', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'sub/.pollinator-tmp-abc': 'half', '.pollinator-tmp-dir/x': 'x', 'a.txt': 'a' });
    const result = await syncDirectory({ dir, label: '/p/src', metadata: createMemoryCfsMetadata('dev'), store: createMemoryBlobStore(), keepLocal: true, stateDir: false });
    expect(result.uploaded).toBe(1);
    expect(Object.keys(await readTree(dir)).sort()).toEqual(['.cfs', '.pollinator-tmp-dir/x', 'a.txt', 'sub/.cfs']);
  });

  it('olderThanMs keeps recent files (a download in progress); a missing directory removes nothing', async () => {
    const dir = await tempDir();
    await writeTree(dir, { '.pollinator-tmp-old': 'old', '.pollinator-tmp-new': 'new' });
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(join(dir, '.pollinator-tmp-old'), hourAgo, hourAgo);
    expect(await removeStaleTempFiles(dir, { olderThanMs: 10 * 60 * 1000 })).toEqual({ files: 1, bytes: 3 });
    expect(Object.keys(await readTree(dir))).toEqual(['.pollinator-tmp-new']);
    expect(await removeStaleTempFiles(join(dir, 'missing'))).toEqual({ files: 0, bytes: 0 });
  });

  it('without olderThanMs removes every one, even a file stamped in the future (same millisecond, clock skew)', async () => {
    const dir = await tempDir();
    await writeTree(dir, { '.pollinator-tmp-ahead': 'ahead' });
    const ahead = new Date(Date.now() + 60 * 1000);
    await utimes(join(dir, '.pollinator-tmp-ahead'), ahead, ahead);
    expect(await removeStaleTempFiles(dir)).toEqual({ files: 1, bytes: 5 });
    expect(await readTree(dir)).toEqual({});
  });
});
