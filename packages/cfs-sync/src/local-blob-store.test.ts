import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { createLocalBlobStore } from './local-blob-store';
import { testBlobStore } from './blob-store.test-helpers';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'pollinator-local-blobs-'));
  dirs.push(dir);
  return dir;
}

testBlobStore('local directory', async () => createLocalBlobStore({ dir: await tempDir() }), { largeSize: 6 * 1024 * 1024 });

it('lays objects out flat under their keys, like the S3 bucket (and the dev-server blob dir)', async () => {
  const dir = await tempDir();
  const store = createLocalBlobStore({ dir });
  const key = 'a'.repeat(64);
  await store.put(key, Readable.from([Buffer.from('x')]), { size: 1 });
  expect((await readdir(dir)).filter((name) => !name.startsWith('.'))).toEqual([key]);
});
