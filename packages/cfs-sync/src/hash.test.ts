import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_SHA256, sha256File } from './hash';

describe('sha256File', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pollinator-hash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes files of any size with its reused read buffers, several at once', async () => {
    const sizes = [0, 1, 1024 * 1024 - 1, 1024 * 1024, 3 * 1024 * 1024 + 17];
    const files = await Promise.all(
      sizes.map(async (size, index) => {
        const data = randomBytes(size);
        const path = join(dir, `f${index}`);
        await writeFile(path, data);
        return { path, size, checksum: createHash('sha256').update(data).digest('hex') };
      }),
    );
    // Twice, all at once: buffers handed back by one call are reused by the next without mixing contents.
    for (let round = 0; round < 2; round++) {
      const hashed = await Promise.all(files.map((file) => sha256File(file.path)));
      expect(hashed).toEqual(files.map(({ size, checksum }) => ({ size, checksum })));
    }
    expect((await sha256File(files[0]!.path)).checksum).toBe(EMPTY_SHA256);
  });

  it('stops with ABORTED when aborted, and never reads through a symbolic link', async () => {
    const path = join(dir, 'big');
    await writeFile(path, randomBytes(2 * 1024 * 1024));
    await expect(sha256File(path, AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
    await symlink(path, join(dir, 'link'));
    await expect(sha256File(join(dir, 'link'))).rejects.toThrow(/symbolic link/);
  });
});
