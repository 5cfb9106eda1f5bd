import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobStore } from './blob-store';
import { createLocalBlobStore, DEFAULT_PARTIAL_MAX_AGE_MS } from './local-blob-store';
import { createMemoryBlobStore } from './memory-blob-store';
import { createMemoryCfsMetadata } from './memory-metadata';
import { syncDirectory } from './sync';
import { failingOnce, tempDir, writeTree } from './sync.test-helpers';

const LABEL = '/pollinator/proj/data';
const MiB = 1024 * 1024;

async function interruptedThenChanged(store: BlobStore) {
  const metadata = createMemoryCfsMetadata('dev');
  const stateDir = await tempDir('cfs-state-');
  const dir = await tempDir();
  await writeTree(dir, { 'big.bin': Buffer.alloc(3 * MiB, 1) });
  const options = { dir, label: LABEL, metadata, keepLocal: true, stateDir, resumeThreshold: 1024 };
  await expect(syncDirectory({ ...options, store: failingOnce(store, 1.5 * MiB) })).rejects.toThrow(/connection reset/);
  // The file changes before the next sync: the interrupted upload can never resume.
  await writeFile(join(dir, 'big.bin'), Buffer.alloc(2 * MiB, 2));
  const result = await syncDirectory({ ...options, store });
  expect(result.uploaded).toBe(1);
  return metadata;
}

describe('leftovers of interrupted uploads', () => {
  it('local store: the partial object of an upload whose file then changed is removed on the next sync', async () => {
    const blobDir = await tempDir('cfs-blobs-');
    await interruptedThenChanged(createLocalBlobStore({ dir: blobDir }));
    expect(await readdir(join(blobDir, '.partial'))).toEqual([]);
    expect((await readdir(blobDir)).filter((name) => name !== '.partial')).toHaveLength(1);
  });

  it('memory store: the same (the store is told to abandon the stale upload)', async () => {
    const store = createMemoryBlobStore();
    await interruptedThenChanged(store);
    expect([...store.partials.keys()]).toEqual([]);
    expect(store.objects.size).toBe(1);
  });

  it(`local store: partial objects older than partialMaxAgeMs (default ${DEFAULT_PARTIAL_MAX_AGE_MS / 3_600_000} h) go when the store is first used; recent ones stay`, async () => {
    const blobDir = await tempDir('cfs-blobs-');
    await writeTree(blobDir, { [`.partial/${'a'.repeat(64)}`]: 'old', [`.partial/${'b'.repeat(64)}`]: 'recent' });
    const old = new Date(Date.now() - DEFAULT_PARTIAL_MAX_AGE_MS - 60_000);
    await utimes(join(blobDir, '.partial', 'a'.repeat(64)), old, old);
    const store = createLocalBlobStore({ dir: blobDir });
    await store.put('c'.repeat(64), Readable.from([Buffer.from('x')]), { size: 1 });
    expect(await readdir(join(blobDir, '.partial'))).toEqual(['b'.repeat(64)]);
  });

  it('local store: a failed put without a resume journal leaves no partial object', async () => {
    const blobDir = await tempDir('cfs-blobs-');
    const store = createLocalBlobStore({ dir: blobDir });
    const body = Readable.from(
      (async function* () {
        yield Buffer.alloc(MiB, 1);
        throw new Error('connection reset (simulated)');
      })(),
    );
    await expect(store.put('d'.repeat(64), body, { size: 2 * MiB })).rejects.toThrow(/connection reset/);
    expect(await readdir(join(blobDir, '.partial'))).toEqual([]);
  });
});
