import { open, type FileHandle } from 'node:fs/promises';
import { BackendError } from './backend-error';
import type { LogChunk, LogCursor } from './backend';
import { delay } from './delay';
import { completeUtf8Length } from './utf8-boundary';

/** Reads up to `length` bytes at `offset`; an empty buffer or `undefined` when there is nothing (yet). */
export type ReadRange = (offset: number, length: number) => Promise<Uint8Array | undefined>;

export interface TailFileOptions {
  /** Backend name, for the `BackendError` of a bad cursor. */
  backend: string;
  /** How the file is read (`fileRangeReader(path)` for a local file, a runner's read for a remote one). */
  read: ReadRange;
  /** Where to start: '' or a byte offset as a string (the cursors this yields). */
  from: LogCursor;
  /** True once the job is final: then everything it wrote is in the file (or will be, see `settleReads`). */
  isFinal(): Promise<boolean>;
  /** Pause between two looks at the file while the job runs, ms. */
  pollMs: number;
  /** Stops the tail (it returns, never throws, on abort). */
  signal?: AbortSignal;
  /** Largest chunk yielded, bytes (default 64 KiB). */
  maxChunkBytes?: number;
  /** Bytes asked of `read` at once (default `maxChunkBytes`). */
  readBytes?: number;
  /** While the job runs, yield whole lines only (a line longer than a chunk is cut at a character). Default false. */
  wholeLines?: boolean;
  /**
   * Further looks, each after `pollMs`, that must find nothing new after the
   * job is final and the file was read to its end, before the tail ends:
   * output on a shared filesystem can lag behind the job's state. Default 0.
   */
  settleReads?: number;
}

/** The byte offset a cursor stands for; throws `BackendError` for anything but '' or a safe non-negative integer. */
export function byteOffsetCursor(backend: string, cursor: LogCursor): number {
  const offset = cursor === '' ? 0 : Number(cursor);
  if (!/^\d*$/.test(cursor) || !Number.isSafeInteger(offset) || offset < 0) {
    throw new BackendError(backend, `invalid log cursor ${JSON.stringify(cursor).slice(0, 80)}`);
  }
  return offset;
}

/** How many of `buffer`'s bytes to yield now (0: wait for more). */
function chunkLength(buffer: Uint8Array, atEnd: boolean, final: boolean, maxChunkBytes: number, wholeLines: boolean): number {
  const limit = Math.min(buffer.length, maxChunkBytes);
  if (final) {
    // Everything is written: the last piece goes out as it is (even a cut character);
    // anything before it is cut after a line or a character.
    if (atEnd && limit === buffer.length) return limit;
    const newline = buffer.lastIndexOf(0x0a, limit - 1);
    return newline >= 0 ? newline + 1 : completeUtf8Length(buffer, limit);
  }
  if (wholeLines) {
    const newline = buffer.lastIndexOf(0x0a, limit - 1);
    if (newline >= 0) return newline + 1;
    return buffer.length >= maxChunkBytes ? completeUtf8Length(buffer, limit) : 0;
  }
  return completeUtf8Length(buffer, limit);
}

/**
 * Follows a job's output file from a byte offset, the `Backend.logs` of a
 * backend whose jobs write one file: yields chunks as they appear, each cut
 * on a UTF-8 character (so resuming from a cursor never repeats or splits
 * one), and ends once the job is final and the whole file was yielded.
 * Finality is decided before each read, so nothing written before the end is missed.
 */
export async function* tailFile(options: TailFileOptions): AsyncGenerator<LogChunk> {
  let offset = byteOffsetCursor(options.backend, options.from);
  const maxChunkBytes = Math.max(4, options.maxChunkBytes ?? 64 * 1024);
  const readBytes = Math.max(maxChunkBytes, options.readBytes ?? maxChunkBytes);
  const settleReads = options.settleReads ?? 0;
  const { signal } = options;
  let quietFinalReads: number | undefined;
  while (!signal?.aborted) {
    const final = await options.isFinal();
    let yielded = false;
    for (;;) {
      if (signal?.aborted) return;
      const buffer = await options.read(offset, readBytes);
      if (!buffer || buffer.length === 0) break;
      const length = chunkLength(buffer, buffer.length < readBytes, final, maxChunkBytes, options.wholeLines ?? false);
      if (length === 0) break;
      offset += length;
      yielded = true;
      yield { text: Buffer.from(buffer.buffer, buffer.byteOffset, length).toString('utf8'), cursor: String(offset) };
    }
    if (final) {
      // The first final pass read to the end; then count the quiet looks.
      quietFinalReads = quietFinalReads === undefined || yielded ? 0 : quietFinalReads + 1;
      if (quietFinalReads >= settleReads) return;
    }
    await delay(options.pollMs, signal);
  }
}

/** A `ReadRange` over a local file, opened on first read (it may not exist yet), with `close()`. */
export function fileRangeReader(path: string): ReadRange & { close(): Promise<void> } {
  let file: FileHandle | undefined;
  const read = async (offset: number, length: number): Promise<Uint8Array | undefined> => {
    file ??= await open(path, 'r').catch(() => undefined);
    if (!file) return undefined;
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await file.read(buffer, 0, length, offset);
    return buffer.subarray(0, bytesRead);
  };
  return Object.assign(read, {
    async close() {
      const opened = file;
      file = undefined;
      await opened?.close();
    },
  });
}
