import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InOrderFileHash } from './in-order-hash';
import { splitRanges } from './ranged-file-write';

const KiB = 1024;
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Writes `data` into a real file as `ranges` in the given chunk order, telling the hash after each write. */
async function hashWrittenInOrder(data: Buffer, partSize: number, chunkSize: number, order: (chunks: { index: number; position: number }[]) => { index: number; position: number }[]) {
  const dir = await mkdtemp(join(tmpdir(), 'pollinator-in-order-hash-'));
  dirs.push(dir);
  const handle = await open(join(dir, 'file'), 'wx+');
  const ranges = splitRanges(data.length, partSize);
  const hash = createHash('sha256');
  const hashing = new InOrderFileHash(hash, handle, ranges);
  const chunks = ranges.flatMap((range, index) => {
    const list: { index: number; position: number }[] = [];
    for (let position = range.start; position < range.end; position += chunkSize) list.push({ index, position });
    return list;
  });
  try {
    for (const { index, position } of order(chunks)) {
      const chunk = data.subarray(position, Math.min(ranges[index]!.end, position + chunkSize));
      await handle.write(chunk, 0, chunk.length, position);
      hashing.written(index, position, chunk);
    }
    const hashed = await hashing.settled();
    return { hashed, checksum: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/** Chunks of all ranges interleaved (each range still in its own order), as parallel downloads deliver them. */
function interleaved<T extends { index: number }>(chunks: T[]): T[] {
  const byRange = new Map<number, T[]>();
  for (const chunk of chunks) byRange.set(chunk.index, [...(byRange.get(chunk.index) ?? []), chunk]);
  const queues = [...byRange.values()];
  const out: T[] = [];
  for (let round = 0; out.length < chunks.length; round++) for (const queue of queues) if (queue[round]) out.push(queue[round]!);
  return out;
}

describe('InOrderFileHash: the hash of a file written as parallel ranges', () => {
  const data = randomBytes(3000 * KiB + 7);
  const expected = createHash('sha256').update(data).digest('hex');

  it('ranges written in order are hashed from memory as they come', async () => {
    expect(await hashWrittenInOrder(data, 256 * KiB, 64 * KiB, (chunks) => chunks)).toEqual({ hashed: data.length, checksum: expected });
  });

  it('ranges written interleaved: later ranges are read back once everything before them is written', async () => {
    expect(await hashWrittenInOrder(data, 256 * KiB, 16 * KiB, interleaved)).toEqual({ hashed: data.length, checksum: expected });
  });

  it('ranges written last-first: all of it is read back, in order', async () => {
    const lastFirst = (chunks: { index: number; position: number }[]) => [...chunks].sort((a, b) => b.index - a.index || a.position - b.position);
    expect(await hashWrittenInOrder(data, 700 * KiB, 100 * KiB, lastFirst)).toEqual({ hashed: data.length, checksum: expected });
  });

  it('a file that is one range, written in one go', async () => {
    expect(await hashWrittenInOrder(data, data.length, data.length, (chunks) => chunks)).toEqual({ hashed: data.length, checksum: expected });
  });
});
