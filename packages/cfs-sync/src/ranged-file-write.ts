import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InOrderFileHash, type FileRange } from './in-order-hash';
import type { RangedWriteOptions, RangedWriteResult } from './ranged-body';
import type { RangeSink } from './raw-range-get';

/** The byte ranges of an object of `size` bytes: `firstPartSize`, then `partSize` each (the last one shorter). */
export function splitRanges(size: number, partSize: number, firstPartSize = partSize): FileRange[] {
  const ranges: FileRange[] = [{ start: 0, end: Math.min(size, firstPartSize) }];
  for (let start = ranges[0]!.end; start < size; start += partSize) ranges.push({ start, end: Math.min(size, start + partSize) });
  return ranges;
}

export interface RangedFileWrite {
  ranges: readonly FileRange[];
  /** Ranges fetched at once. */
  concurrency: number;
  /** Requests the body of one range. */
  openRange: (range: FileRange, signal: AbortSignal) => Promise<Readable>;
  /**
   * Fetches one range straight into `sink` (raw-range-get.ts: one reused read
   * buffer per connection), instead of `openRange`'s stream; the first range
   * still comes from `first` when given.
   */
  writeRange?: (range: FileRange, sink: RangeSink, signal: AbortSignal) => Promise<void>;
  /** The first range's body, when it was requested already (to prove the object exists). */
  first?: Readable;
  /** Names the object in errors. */
  name: string;
}

/**
 * Fetches the ranges `concurrency` at a time and streams each body chunk to
 * its offset in the file as it arrives (positioned writes, never a whole range
 * in memory), hashing in byte order. On any failure the other ranges are
 * stopped and the first error is thrown once every write has settled (so the
 * caller can remove the file knowing nothing writes to it any more).
 */
export async function writeRangesToFile(write: RangedFileWrite, handle: FileHandle, options: RangedWriteOptions): Promise<RangedWriteResult> {
  const { ranges, openRange, name } = write;
  const hashing = new InOrderFileHash(options.hash, handle, ranges);
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  let first = write.first;
  let buffered = 0;
  let peakBufferedBytes = 0;
  let failure: { error: unknown } | undefined;
  let next = 0;

  /** Writes a piece of range `index` at its offset, then hashes it (in order) and reports it. */
  const sinkFor =
    (index: number): RangeSink =>
    async (piece, position) => {
      buffered += piece.length;
      peakBufferedBytes = Math.max(peakBufferedBytes, buffered + hashing.bufferedBytes);
      try {
        await writeFully(handle, piece, position);
      } finally {
        buffered -= piece.length;
      }
      hashing.written(index, position, piece);
      options.onBytes?.(piece.length);
    };

  const fetchRange = async (index: number): Promise<void> => {
    const range = ranges[index]!;
    const sink = sinkFor(index);
    if (write.writeRange !== undefined && !(index === 0 && first !== undefined)) {
      await write.writeRange(range, sink, stop.signal);
      return;
    }
    const body = index === 0 && first !== undefined ? first : await openRange(range, stop.signal);
    if (index === 0) first = undefined;
    // The SDK's own abort ends the request; a body already flowing is ended here too.
    const destroy = () => body.destroy(abortError(stop.signal.reason));
    stop.signal.addEventListener('abort', destroy, { once: true });
    try {
      let position = range.start;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (position + chunk.length > range.end) throw new Error(`[pollinator] [cfs-sync] the range of ${name} at ${range.start} is longer than asked`);
        await sink(chunk, position);
        position += chunk.length;
      }
      if (position !== range.end) throw new Error(`[pollinator] [cfs-sync] short range read of ${name} at ${range.start}: ${position - range.start} of ${range.end - range.start} bytes`);
    } finally {
      stop.signal.removeEventListener('abort', destroy);
    }
  };

  const worker = async (): Promise<void> => {
    while (failure === undefined && !stop.signal.aborted && next < ranges.length) {
      try {
        await fetchRange(next++);
      } catch (error) {
        failure ??= { error };
        stop.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(write.concurrency, ranges.length) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    first?.destroy();
  }
  if (failure !== undefined || stop.signal.aborted) {
    // A read-back still in flight must end before the caller closes and removes the file.
    await hashing.settled().catch(() => undefined);
    throw failure !== undefined ? (failure.error as Error) : abortError(stop.signal.reason);
  }
  const bytes = await hashing.settled();
  peakBufferedBytes = Math.max(peakBufferedBytes, hashing.bufferedBytes);
  return { bytes, peakBufferedBytes };
}

async function writeFully(handle: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

function abortError(reason: unknown): Error {
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return Object.assign(new Error('the download was aborted', { cause: reason }), { name: 'AbortError' });
}
