import { Readable } from 'node:stream';
import { assertSafeKey, type BlobStore, type PutOptions, type PutResult } from './blob-store';
import { BlobNotFoundError, throwIfAborted } from './errors';

export interface MemoryBlobStore extends BlobStore {
  /** The stored objects (for assertions in tests). */
  readonly objects: Map<string, Buffer>;
  /** Bytes of resumable puts that have not completed, by key (for assertions in tests). */
  readonly partials: Map<string, Buffer[]>;
}

interface PartialState {
  key: string;
  stored: number;
}

/** An in-memory blob store for unit tests. Resumable puts keep their partial bytes in memory. */
export function createMemoryBlobStore(): MemoryBlobStore {
  const objects = new Map<string, Buffer>();
  const partials = new Map<string, Buffer[]>();
  return {
    kind: 'memory',
    location: { server: '', tls: false, region: '', bucket: '' },
    objects,
    partials,
    async put(key: string, body: Readable, options: PutOptions): Promise<PutResult> {
      assertSafeKey(key);
      let chunks: Buffer[] = [];
      let stored = 0;
      let resumedBytes = 0;
      const previous = (await options.resume?.load()) as PartialState | undefined;
      const partial = partials.get(key);
      if (previous?.key === key && partial) {
        chunks = partial;
        stored = previous.stored;
        resumedBytes = stored;
      }
      partials.set(key, chunks);
      let seen = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        throwIfAborted(options.signal);
        const fresh = seen + chunk.length <= stored ? undefined : chunk.subarray(Math.max(0, stored - seen));
        seen += chunk.length;
        if (fresh) {
          chunks.push(Buffer.from(fresh));
          stored += fresh.length;
          await options.resume?.save({ key, stored } satisfies PartialState);
        }
        options.onBytes?.(chunk.length);
      }
      if (seen !== options.size) throw new Error(`[pollinator] [cfs-sync] expected ${options.size} bytes, got ${seen}`);
      objects.set(key, Buffer.concat(chunks));
      partials.delete(key);
      await options.resume?.clear();
      return { resumedBytes };
    },
    async get(key: string): Promise<Readable> {
      const data = objects.get(key);
      if (!data) throw new BlobNotFoundError(key, 'memory');
      return Readable.from([data]);
    },
    async head(key: string) {
      const data = objects.get(key);
      return data ? { size: data.length } : undefined;
    },
    async delete(key: string) {
      objects.delete(key);
    },
    async abandon(key: string) {
      partials.delete(key);
    },
  };
}
