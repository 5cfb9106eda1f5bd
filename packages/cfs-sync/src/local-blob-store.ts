import { createWriteStream, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafeKey, readExactly, skipBytes, type BlobStore, type GetOptions, type PutOptions, type PutResult } from './blob-store';
import { BlobNotFoundError } from './errors';

export interface LocalBlobStoreOptions {
  /** The directory holding one file per object, named by its key (flat, like the S3 bucket). */
  dir: string;
  /**
   * Partial objects (`<dir>/.partial/*`) older than this are removed when the
   * store is first used: an upload interrupted that long ago is not resumed.
   * Default 24 hours (`DEFAULT_PARTIAL_MAX_AGE_MS`).
   */
  partialMaxAgeMs?: number;
}

/** Default age after which an interrupted upload's partial object is removed: 24 hours. */
export const DEFAULT_PARTIAL_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Read and write buffers: 1 MiB. */
export const IO_BUFFER_BYTES = 1024 * 1024;
const PARTIAL_DIR = '.partial';
const SMALL_OBJECT_BYTES = 256 * 1024;

/**
 * A blob store in a local directory: object `K` is the file `<dir>/K`, so the
 * layout is the S3 bucket's. The dev-server's blob directory uses the same
 * layout, so `createLocalBlobStore({ dir: server.blobDir })` reads and writes it.
 * Objects are written under `<dir>/.partial/` and renamed into place when
 * complete; an interrupted put with `resume` continues from the bytes already there.
 */
export function createLocalBlobStore(options: LocalBlobStoreOptions): BlobStore {
  const dir = resolve(options.dir);
  let ready: Promise<unknown> | undefined;
  const partialMaxAgeMs = options.partialMaxAgeMs ?? DEFAULT_PARTIAL_MAX_AGE_MS;
  const ensureDir = () =>
    (ready ??= mkdir(join(dir, PARTIAL_DIR), { recursive: true }).then(() => removeOldPartials(join(dir, PARTIAL_DIR), partialMaxAgeMs)));
  return {
    kind: 'local',
    location: { server: '', tls: false, region: '', bucket: '' },
    async put(key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
      assertSafeKey(key);
      await ensureDir();
      const partial = join(dir, PARTIAL_DIR, key);
      if (putOptions.size <= SMALL_OBJECT_BYTES && !putOptions.resume) {
        // Small objects: gather, then one synchronous write and rename (no thread-pool round trips).
        const data = await readExactly(body, putOptions.size, key);
        const temp = `${partial}.${process.pid}.${Math.random().toString(36).slice(2)}`;
        writeFileSync(temp, data);
        renameSync(temp, join(dir, key));
        putOptions.onBytes?.(data.length);
        return { resumedBytes: 0 };
      }
      return putStreamed(partial, join(dir, key), key, body, putOptions);
    },
    async get(key: string, getOptions?: GetOptions): Promise<Readable> {
      assertSafeKey(key);
      if (getOptions?.size !== undefined && getOptions.size <= SMALL_OBJECT_BYTES) {
        try {
          return Readable.from([readFileSync(join(dir, key))], { objectMode: false });
        } catch (error) {
          throw (error as NodeJS.ErrnoException).code === 'ENOENT' ? new BlobNotFoundError(key, `local (${dir})`) : error;
        }
      }
      const handle = await open(join(dir, key), 'r').catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'ENOENT' ? new BlobNotFoundError(key, `local (${dir})`) : error;
      });
      return handle.createReadStream({ highWaterMark: IO_BUFFER_BYTES, signal: getOptions?.signal });
    },
    async head(key: string) {
      assertSafeKey(key);
      return stat(join(dir, key)).then(
        (s) => ({ size: s.size }),
        () => undefined,
      );
    },
    async delete(key: string) {
      assertSafeKey(key);
      await rm(join(dir, key), { force: true });
    },
    async abandon(key: string) {
      assertSafeKey(key);
      await rm(join(dir, PARTIAL_DIR, key), { force: true });
    },
  };
}

/**
 * Streams `body` into `partial`, then renames it to `target`. With a resume
 * journal for the same key, the bytes already in `partial` are kept and
 * skipped in `body`; without one, a failed put removes its partial object.
 */
async function putStreamed(partial: string, target: string, key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
  let stored = 0;
  if (putOptions.resume) {
    const previous = (await putOptions.resume.load()) as { key?: string } | undefined;
    if (previous?.key === key) {
      stored = Math.min(putOptions.size, await stat(partial).then((s) => s.size, () => 0));
      await truncate(partial, stored).catch(() => (stored = 0));
    } else {
      await putOptions.resume.save({ key });
    }
  }
  let seen = 0;
  const counted = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      seen += chunk.length;
      putOptions.onBytes?.(chunk.length);
      yield chunk;
    }
  };
  try {
    await pipeline(
      body,
      counted,
      (source: AsyncIterable<Buffer>) => skipBytes(source, stored),
      createWriteStream(partial, { flags: stored > 0 ? 'r+' : 'w', start: stored, highWaterMark: IO_BUFFER_BYTES }),
      { signal: putOptions.signal },
    );
  } catch (error) {
    // Without a journal nothing will ever resume this partial object.
    if (!putOptions.resume) await rm(partial, { force: true });
    throw error;
  }
  if (seen !== putOptions.size) {
    throw new Error(`[pollinator] [cfs-sync] expected ${putOptions.size} bytes for ${key}, got ${seen}`);
  }
  await rename(partial, target);
  await putOptions.resume?.clear();
  return { resumedBytes: stored };
}

/** Removes partial objects (and small-object temporaries of a crashed put) last written more than `maxAgeMs` ago. */
async function removeOldPartials(partialDir: string, maxAgeMs: number): Promise<void> {
  const cutoff = Date.now() - maxAgeMs;
  for (const entry of await readdir(partialDir, { withFileTypes: true })) {
    if (entry.isDirectory()) continue;
    const path = join(partialDir, entry.name);
    const info = await lstat(path).catch(() => undefined);
    if (info && info.mtimeMs < cutoff) await rm(path, { force: true });
  }
}
