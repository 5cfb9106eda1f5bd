import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newObjectKey, type BlobStore, type ResumeJournal } from './blob-store';
import { BlobNotFoundError } from './errors';

const MiB = 1024 * 1024;

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function memoryJournal(): ResumeJournal & { state: unknown } {
  const journal = {
    state: undefined as unknown,
    load: async () => journal.state,
    save: async (state: unknown) => {
      journal.state = JSON.parse(JSON.stringify(state));
    },
    clear: async () => {
      journal.state = undefined;
    },
  };
  return journal;
}

/** A body that yields `data` in 1 MiB chunks, then fails once `failAfter` bytes have been read. */
function chunked(data: Buffer, failAfter?: number): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < data.length; offset += MiB) {
        if (failAfter !== undefined && offset >= failAfter) throw new Error('connection lost (simulated)');
        yield data.subarray(offset, Math.min(offset + MiB, data.length));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })(),
  );
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export interface BlobStoreSuiteOptions {
  /** Size of an object that takes the store's multipart / chunked path. */
  largeSize: number;
}

/**
 * The conformance suite every BlobStore passes (memory, local directory, S3
 * against Ceph RGW). `create` is called once for the suite.
 */
export function testBlobStore(name: string, create: () => Promise<BlobStore>, suite: BlobStoreSuiteOptions): void {
  describe(`BlobStore conformance: ${name}`, () => {
    let store: BlobStore;
    beforeAll(async () => {
      store = await create();
    });
    afterAll(async () => {
      await store?.close?.();
    });

    it('puts and gets a small object, with head and delete', async () => {
      const key = newObjectKey();
      const data = Buffer.from('hello pollinator\n');
      let counted = 0;
      await store.put(key, Readable.from([data]), { size: data.length, onBytes: (n) => (counted += n) });
      expect(counted).toBe(data.length);
      expect(await readAll(await store.get(key))).toEqual(data);
      expect(await store.head(key)).toEqual({ size: data.length });
      await store.delete(key);
      expect(await store.head(key)).toBeUndefined();
      await store.delete(key); // idempotent
    });

    it('stores an empty object', async () => {
      const key = newObjectKey();
      await store.put(key, Readable.from([]), { size: 0 });
      expect(await readAll(await store.get(key))).toHaveLength(0);
      expect(await store.head(key)).toEqual({ size: 0 });
    });

    it('reports a missing object as BlobNotFoundError and head() as undefined', async () => {
      const key = newObjectKey();
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.get(key, { size: suite.largeSize })).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.head(key)).toBeUndefined();
    });

    it('overwrites an object under the same key', async () => {
      const key = newObjectKey();
      await store.put(key, Readable.from([Buffer.from('one')]), { size: 3 });
      await store.put(key, Readable.from([Buffer.from('second')]), { size: 6 });
      expect((await readAll(await store.get(key))).toString()).toBe('second');
    });

    it('rejects a body whose length differs from the announced size', async () => {
      const key = newObjectKey();
      await expect(store.put(key, Readable.from([Buffer.from('abc')]), { size: 5 })).rejects.toThrow();
      expect(await store.head(key)).toBeUndefined();
    });

    it('refuses keys that look like paths', async () => {
      for (const key of ['../escape', 'a/b', '', '.hidden', 'a\0b']) {
        await expect(store.put(key, Readable.from([Buffer.from('x')]), { size: 1 })).rejects.toThrow(/invalid object key/);
      }
    });

    it('streams a large object in and out (multipart where the store has it)', async () => {
      const key = newObjectKey();
      const data = randomBytes(suite.largeSize);
      let counted = 0;
      await store.put(key, chunked(data), { size: data.length, onBytes: (n) => (counted += n) });
      expect(counted).toBe(data.length);
      const back = await readAll(await store.get(key));
      expect(back.length).toBe(data.length);
      expect(sha(back)).toBe(sha(data));
      // with the size known, a store may fetch ranges in parallel: same bytes, same order
      const ranged = await readAll(await store.get(key, { size: data.length }));
      expect(sha(ranged)).toBe(sha(data));
    });

    it('resumes an interrupted large put instead of starting over', async () => {
      const key = newObjectKey();
      const data = randomBytes(suite.largeSize);
      const journal = memoryJournal();
      await expect(store.put(key, chunked(data, suite.largeSize - MiB), { size: data.length, resume: journal })).rejects.toThrow(
        /connection lost/,
      );
      expect(journal.state).toBeDefined();
      expect(await store.head(key)).toBeUndefined();
      const result = await store.put(key, chunked(data), { size: data.length, resume: journal });
      expect(result.resumedBytes).toBeGreaterThan(0);
      expect(journal.state).toBeUndefined();
      expect(sha(await readAll(await store.get(key)))).toBe(sha(data));
    });

    it('abandon() drops what an interrupted resumable put left: nothing resumes from it, and abandoning again is harmless', async () => {
      const key = newObjectKey();
      const data = randomBytes(suite.largeSize);
      const journal = memoryJournal();
      await expect(store.put(key, chunked(data, suite.largeSize - MiB), { size: data.length, resume: journal })).rejects.toThrow(
        /connection lost/,
      );
      expect(typeof store.abandon).toBe('function');
      await store.abandon?.(key, journal.state);
      await store.abandon?.(key, journal.state);
      const result = await store.put(key, chunked(data), { size: data.length, resume: journal });
      expect(result.resumedBytes).toBe(0);
      expect(sha(await readAll(await store.get(key)))).toBe(sha(data));
    });

    it('handles parallel puts and gets', async () => {
      const items = Array.from({ length: 24 }, (_, i) => ({ key: newObjectKey(), data: randomBytes(1000 + i) }));
      await Promise.all(items.map((item) => store.put(item.key, Readable.from([item.data]), { size: item.data.length })));
      const back = await Promise.all(items.map(async (item) => readAll(await store.get(item.key))));
      back.forEach((data, i) => expect(data).toEqual(items[i]!.data));
    });
  });
}
