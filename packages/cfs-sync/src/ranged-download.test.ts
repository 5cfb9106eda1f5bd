import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newObjectKey } from './blob-store';
import { downloadVerified } from './download-file';
import { BlobNotFoundError, ChecksumMismatchError } from './errors';
import { isRangedBody, writeRangedBodyToFile } from './ranged-body';
import { createS3BlobStore, type S3BlobStore } from './s3-blob-store';
import { getRanges } from './s3-ranged-get';
import { loadS3Sdk, type S3Access } from './s3-sdk';
import { s3TestOptions, S3_SKIP_REASON } from './s3-test-env.test-helpers';
import type { FileData } from './types';

// Large downloads against real Ceph S3: parallel ranges streamed to their
// offsets in the temporary file, hashed in order, never a range in memory.

const MiB = 1024 * 1024;
const options = s3TestOptions();

describe.skipIf(!options)(`ranged downloads to a file against Ceph RGW${S3_SKIP_REASON}`, () => {
  // 5 MiB parts (S3's minimum for the store), 4 in flight: a 23 MiB object is 5 ranges.
  let store: S3BlobStore;
  const data = randomBytes(23 * MiB + 12345);
  const key = newObjectKey();
  const record: FileData = { name: 'big.bin', size: data.length, checksum: createHash('sha256').update(data).digest('hex'), s3filename: key };
  let dir: string;

  beforeAll(async () => {
    store = createS3BlobStore({ ...options!, multipartThreshold: 5 * MiB, partSize: 5 * MiB, partConcurrency: 4 });
    await store.put(key, Readable.from([data]), { size: data.length });
  });
  afterAll(async () => {
    await store.delete(key);
    await store.close?.();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });
  const freshDir = async () => (dir = await mkdtemp(join(tmpdir(), 'pollinator-ranged-')));

  it('downloads byte for byte through the temporary file, hashed and renamed', async () => {
    const target = join(await freshDir(), 'big.bin');
    let progress = 0;
    const result = await downloadVerified(store, record, target, 'big.bin', { onBytes: (bytes) => (progress += bytes) });
    expect(result.checksum).toBe(record.checksum);
    expect((await readFile(target)).equals(data)).toBe(true);
    expect(progress).toBe(data.length);
    expect(await readdir(dir)).toEqual(['big.bin']);
  });

  it('a wrong checksum leaves neither the file nor a temporary file', async () => {
    const target = join(await freshDir(), 'big.bin');
    const wrong = { ...record, checksum: createHash('sha256').update('something else').digest('hex') };
    await expect(downloadVerified(store, wrong, target, 'big.bin', {})).rejects.toBeInstanceOf(ChecksumMismatchError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a record smaller than the object fails the check; one larger fails the read; nothing is left', async () => {
    const target = join(await freshDir(), 'big.bin');
    await expect(downloadVerified(store, { ...record, size: data.length - 1 }, target, 'big.bin', {})).rejects.toBeInstanceOf(ChecksumMismatchError);
    await expect(downloadVerified(store, { ...record, size: data.length + 6 * MiB }, target, 'big.bin', {})).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  it('an abort in the middle of the download leaves nothing behind', async () => {
    const target = join(await freshDir(), 'big.bin');
    const controller = new AbortController();
    let progress = 0;
    const onBytes = (bytes: number) => {
      progress += bytes;
      if (progress >= 7 * MiB) controller.abort();
    };
    await expect(downloadVerified(store, record, target, 'big.bin', { signal: controller.signal, onBytes })).rejects.toMatchObject({ name: 'AbortError' });
    expect(progress).toBeLessThan(data.length);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a missing object fails before any file is made', async () => {
    const target = join(await freshDir(), 'big.bin');
    await expect(downloadVerified(store, { ...record, s3filename: newObjectKey() }, target, 'big.bin', {})).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('holds a few socket chunks in memory at once, not ranges (24 ranges of 1 MiB, 4 in flight)', async () => {
    const access: S3Access = { sdk: loadS3Sdk(), client: store.getInstance(), bucket: options!.bucket, partSize: 1 * MiB, partConcurrency: 4 };
    const body = await getRanges(access, key, data.length, undefined);
    expect(isRangedBody(body)).toBe(true);
    const file = join(await freshDir(), 'ranges.bin');
    const handle = await open(file, 'wx+');
    const hash = createHash('sha256');
    let result;
    try {
      result = await writeRangedBodyToFile(body, handle, { hash });
    } finally {
      await handle.close();
    }
    expect(result.bytes).toBe(data.length);
    expect(hash.digest('hex')).toBe(record.checksum);
    expect((await readFile(file)).equals(data)).toBe(true);
    // Before: every range in flight was collected whole (4 × 1 MiB here, 4 × 8 MiB by default) and then concatenated.
    // Now: at most one socket chunk per range in flight plus the 1 MiB read-back buffer of the in-order hash.
    expect(result.peakBufferedBytes).toBeGreaterThan(0);
    expect(result.peakBufferedBytes).toBeLessThanOrEqual(MiB + 4 * 256 * 1024);
  });

  it('over plain HTTP, ranges are read into one reused buffer per connection: the same bound, byte for byte', async () => {
    const body = await store.get(key, { size: data.length });
    expect(isRangedBody(body)).toBe(true);
    const file = join(await freshDir(), 'direct.bin');
    const handle = await open(file, 'wx+');
    const hash = createHash('sha256');
    let result;
    try {
      result = await writeRangedBodyToFile(body as never, handle, { hash });
    } finally {
      await handle.close();
    }
    expect(result.bytes).toBe(data.length);
    expect(hash.digest('hex')).toBe(record.checksum);
    expect((await readFile(file)).equals(data)).toBe(true);
    // A piece is at most one 64 KiB socket read (or the rest of the first range's stream chunk).
    expect(result.peakBufferedBytes).toBeLessThanOrEqual(MiB + 4 * 256 * 1024);
  });

  it('read as a stream, the ranged body delivers the bytes in order (first range, then the rest)', async () => {
    const body = await store.get(key, { size: data.length });
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    await expect(writeRangedBodyToFile(body as never, undefined as never, { hash: createHash('sha256') })).rejects.toThrow(/read twice/);
  });
});
