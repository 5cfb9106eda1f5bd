import { Readable } from 'node:stream';
import { BlobNotFoundError } from './errors';
import type { FileRange } from './in-order-hash';
import { withFileDelivery, type RangedBody } from './ranged-body';
import { splitRanges, writeRangesToFile } from './ranged-file-write';
import { errorName, httpStatus, type S3Access } from './s3-sdk';

/**
 * A large object as ranged GETs of `partSize`. The first range is requested
 * at once (a missing object fails here, before the body is handed out). Given
 * a file (`writeRangedBodyToFile`), `partConcurrency` ranges stream into it in
 * parallel, each at its offset, hashed in order; read as a stream, the rest of
 * the object follows the first range as one more GET, in order. Either way no
 * range is collected in memory: bytes flow from the socket to the file or the
 * reader with the stream's backpressure.
 */
export async function getRanges(access: S3Access, key: string, size: number, signal: AbortSignal | undefined): Promise<RangedBody> {
  const ranges = splitRanges(size, access.partSize);
  const first = await openRange(access, key, ranges[0]!, signal);
  let used = false;
  const claim = () => {
    if (used) throw new Error(`[pollinator] [cfs-sync] the body of ${key} was read twice`);
    used = true;
  };
  const stream = Readable.from(
    (async function* () {
      claim();
      yield* exactly(first, ranges[0]!, key);
      if (size > ranges[0]!.end) {
        const rest = { start: ranges[0]!.end, end: size };
        yield* exactly(await openRange(access, key, rest, signal), rest, key);
      }
    })(),
    { objectMode: false },
  );
  // A body dropped unread gives its connection back.
  stream.once('close', () => first.destroy());
  return withFileDelivery(stream, async (handle, options) => {
    claim();
    return await writeRangesToFile({ ranges, concurrency: access.partConcurrency, openRange: (range, rangeSignal) => openRange(access, key, range, rangeSignal), first, name: key }, handle, options);
  });
}

/** Starts the GET of one range: resolves with its body once the answer's headers are in. */
async function openRange(access: S3Access, key: string, range: FileRange, signal: AbortSignal | undefined): Promise<Readable> {
  const { sdk, client, bucket } = access;
  try {
    const reply = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${range.start}-${range.end - 1}` }), { abortSignal: signal });
    return reply.Body as Readable;
  } catch (error) {
    if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404) throw new BlobNotFoundError(key, `S3 (${bucket})`);
    throw error;
  }
}

/** The chunks of `body`, which must be exactly the bytes of `range`. */
async function* exactly(body: Readable, range: FileRange, key: string): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    seen += chunk.length;
    if (seen > range.end - range.start) throw new Error(`[pollinator] [cfs-sync] the range of ${key} at ${range.start} is longer than asked`);
    yield chunk;
  }
  if (seen !== range.end - range.start) throw new Error(`[pollinator] [cfs-sync] short range read of ${key} at ${range.start}: ${seen} of ${range.end - range.start} bytes`);
}
