import { Readable } from 'node:stream';
import { BlobNotFoundError } from './errors';
import type { FileRange } from './in-order-hash';
import { withFileDelivery, type RangedBody } from './ranged-body';
import { splitRanges, writeRangesToFile, type RangedFileWrite } from './ranged-file-write';
import { rawRangeGet, type RangeSink } from './raw-range-get';
import type { DirectS3 } from './s3-direct';
import { errorName, httpStatus, type S3Access } from './s3-sdk';

/** Starts the GET of one range of an object: resolves with its body once the answer's headers are in. */
export type OpenRange = (range: FileRange, signal: AbortSignal | undefined) => Promise<Readable>;

export interface RangedObject {
  key: string;
  size: number;
  partSize: number;
  /** Ranges in flight at once when written to a file. */
  partConcurrency: number;
  /** The first range's size, if not partSize. */
  firstPartSize?: number;
}

/**
 * The first range over raw connections: only a probe that the object exists
 * (its bytes come through Node's http module, which allocates per read), the
 * ranges after it are read into reused buffers.
 */
const PROBE_BYTES = 64 * 1024;

/** `getRangesWith` through the AWS SDK. */
export function getRanges(access: S3Access, key: string, size: number, signal: AbortSignal | undefined): Promise<RangedBody> {
  const openRange: OpenRange = (range, rangeSignal) => openRangeWithSdk(access, key, range, rangeSignal);
  return getRangesWith(openRange, { key, size, partSize: access.partSize, partConcurrency: access.partConcurrency }, signal);
}

/** `getRangesWith` through the store's direct requests (s3-direct.ts): no SDK to load. */
export function getRangesDirect(direct: DirectS3, bucket: string, object: RangedObject, signal: AbortSignal | undefined): Promise<RangedBody> {
  const openRange: OpenRange = async (range, rangeSignal) => {
    try {
      return await direct.send({ method: 'GET', key: object.key, range: `bytes=${range.start}-${range.end - 1}`, ...(rangeSignal === undefined ? {} : { signal: rangeSignal }) });
    } catch (error) {
      throw notFound(error, object.key, bucket);
    }
  };
  const plain = direct.signedGet(object.key);
  // Over plain HTTP the ranges after the first are read into one reused buffer per connection (raw-range-get.ts).
  const writeRange =
    plain === undefined
      ? undefined
      : (range: FileRange, sink: RangeSink, rangeSignal: AbortSignal) =>
          rawRangeGet(() => direct.signedGet(object.key)!, range, sink, rangeSignal).catch((error: unknown) => {
            throw notFound(error, object.key, bucket);
          });
  return getRangesWith(openRange, writeRange === undefined ? object : { ...object, firstPartSize: PROBE_BYTES }, signal, writeRange);
}

/**
 * A large object as ranged GETs of `partSize`. The first range is requested
 * at once (a missing object fails here, before the body is handed out). Given
 * a file (`writeRangedBodyToFile`), `partConcurrency` ranges stream into it in
 * parallel, each at its offset, hashed in order; read as a stream, the rest of
 * the object follows the first range as one more GET, in order. Either way no
 * range is collected in memory: bytes flow from the socket to the file or the
 * reader with the stream's backpressure.
 */
export async function getRangesWith(
  openRange: OpenRange,
  object: RangedObject,
  signal: AbortSignal | undefined,
  writeRange?: RangedFileWrite['writeRange'],
): Promise<RangedBody> {
  const { key, size } = object;
  const ranges = splitRanges(size, object.partSize, object.firstPartSize);
  const first = await openRange(ranges[0]!, signal);
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
        yield* exactly(await openRange(rest, signal), rest, key);
      }
    })(),
    { objectMode: false },
  );
  // A body dropped unread gives its connection back.
  stream.once('close', () => first.destroy());
  return withFileDelivery(stream, async (handle, options) => {
    claim();
    return await writeRangesToFile({ ranges, concurrency: object.partConcurrency, openRange, first, name: key, ...(writeRange === undefined ? {} : { writeRange }) }, handle, options);
  });
}

async function openRangeWithSdk(access: S3Access, key: string, range: FileRange, signal: AbortSignal | undefined): Promise<Readable> {
  const { sdk, client, bucket } = access;
  try {
    const reply = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${range.start}-${range.end - 1}` }), { abortSignal: signal });
    return reply.Body as Readable;
  } catch (error) {
    throw notFound(error, key, bucket);
  }
}

/** A missing object as BlobNotFoundError; other failures as they are. */
function notFound(error: unknown, key: string, bucket: string): unknown {
  return errorName(error) === 'NoSuchKey' || httpStatus(error) === 404 ? new BlobNotFoundError(key, `S3 (${bucket})`) : error;
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
