import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * Where a file's content lives: one flat namespace of objects keyed by random
 * 64-hex names (the Go CFS client's naming). Three implementations share one
 * conformance suite: S3 (`createS3BlobStore`), a local directory
 * (`createLocalBlobStore`, the embedded default) and memory (`createMemoryBlobStore`).
 */
export interface BlobStore {
  /** `"s3"`, `"local"`, `"memory"` or a custom name. */
  readonly kind: string;
  /** What goes into `ref.s3object` of the files this store's objects back (never credentials). */
  readonly location: BlobLocation;
  /**
   * Stores `body` (exactly `options.size` bytes) under `key`, consuming the
   * stream to its end. With `options.resume`, an interrupted put of the same
   * key continues where it stopped: bytes already stored are read from `body`
   * and skipped rather than sent again.
   */
  put(key: string, body: Readable, options: PutOptions): Promise<PutResult>;
  /**
   * A stream of the object's bytes. Rejects with `BlobNotFoundError` when
   * missing. `size` (when the caller knows it) lets a store fetch a large
   * object as parallel ranges, still delivered in order.
   */
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Size of the object, or `undefined` when it does not exist. */
  head(key: string): Promise<{ size: number } | undefined>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Drops what an interrupted resumable put of `key` left behind (a partial
   * file, an unfinished multipart upload), given the state it last saved in
   * its journal. For a put that will never be resumed; missing leftovers are not an error.
   */
  abandon?(key: string, resumeState: unknown): Promise<void>;
  /** Releases sockets / handles. */
  close?(): Promise<void>;
}

export interface BlobLocation {
  /** `host:port` for S3 (as the Go client writes it), `""` otherwise. */
  server: string;
  tls: boolean;
  region: string;
  bucket: string;
}

export interface PutOptions {
  size: number;
  signal?: AbortSignal;
  /** Called with each increment of bytes accounted for (sent, or skipped on resume). */
  onBytes?: (bytes: number) => void;
  /** Persistence for a resumable put (large uploads); opaque state owned by the store. */
  resume?: ResumeJournal;
}

export interface GetOptions {
  signal?: AbortSignal;
  /** The object's size, if known (from the CFS record). */
  size?: number;
}

export interface PutResult {
  /** Bytes that were already stored by an earlier, interrupted attempt and not sent again. */
  resumedBytes: number;
}

/** A place to keep a store's resume state between process runs. */
export interface ResumeJournal {
  load(): Promise<unknown>;
  save(state: unknown): Promise<void>;
  clear(): Promise<void>;
}

/** A new random object key: 64 lowercase hex characters, as the Go client makes them. */
export function newObjectKey(): string {
  return randomBytes(32).toString('hex');
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Object keys are flat names; anything that could be a path is refused. */
export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.includes('..')) {
    throw new TypeError(`[pollinator] [cfs-sync] invalid object key ${JSON.stringify(key)}`);
  }
}

/** Reads exactly `skip` bytes off the front of a stream chunk sequence, yielding the rest. */
export async function* skipBytes(body: AsyncIterable<Buffer>, skip: number): AsyncGenerator<Buffer> {
  let left = skip;
  for await (const chunk of body) {
    if (left === 0) {
      yield chunk;
    } else if (chunk.length <= left) {
      left -= chunk.length;
    } else {
      yield chunk.subarray(left);
      left = 0;
    }
  }
}

/**
 * The whole body of a small object, which must be exactly `size` bytes (else
 * an error naming `key`); reading stops as soon as it is longer.
 */
export async function readExactly(body: Readable, size: number, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    seen += chunk.length;
    if (seen > size) break;
  }
  if (seen !== size) throw new Error(`[pollinator] [cfs-sync] expected ${size} bytes for ${key}, got ${seen}`);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
