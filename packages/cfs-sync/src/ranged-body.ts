import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** How an object delivered as ranges is written into a file. */
export interface RangedWriteOptions {
  /** Updated with every byte, in byte order. */
  hash: Hash;
  signal?: AbortSignal;
  /** Called with each increment of bytes written. */
  onBytes?: (bytes: number) => void;
}

export interface RangedWriteResult {
  /** Bytes written (and hashed). */
  bytes: number;
  /**
   * The most bytes the download held in memory at once: chunks received and
   * not yet written, plus the buffer that reads ahead-of-order bytes back to
   * hash them. Bounded by the ranges in flight times a socket chunk, plus one
   * buffer, whatever the object's size.
   */
  peakBufferedBytes: number;
}

const WRITE_TO_FILE = Symbol('pollinator.cfs-sync.writeRangesToFile');

/**
 * The body of a large object that a store fetches as parallel ranges. Read as
 * a stream, it delivers the bytes in order (one range after the other); given
 * a file, it writes every range in parallel at its own offset, hashing in
 * order as it goes, and never holds a range in memory.
 */
export interface RangedBody extends Readable {
  [WRITE_TO_FILE](handle: FileHandle, options: RangedWriteOptions): Promise<RangedWriteResult>;
}

export function isRangedBody(body: Readable): body is RangedBody {
  return typeof (body as Partial<RangedBody>)[WRITE_TO_FILE] === 'function';
}

/** Makes `stream` a `RangedBody` whose file delivery is `writeToFile`. */
export function withFileDelivery(stream: Readable, writeToFile: RangedBody[typeof WRITE_TO_FILE]): RangedBody {
  return Object.assign(stream, { [WRITE_TO_FILE]: writeToFile });
}

/**
 * Writes `body` into `handle` (a new, empty file opened for reading and
 * writing: bytes ahead of the hash are read back) with positioned writes,
 * instead of reading it as a stream. Only one of the two may be used.
 */
export function writeRangedBodyToFile(body: RangedBody, handle: FileHandle, options: RangedWriteOptions): Promise<RangedWriteResult> {
  return body[WRITE_TO_FILE](handle, options);
}
