import { Readable } from 'node:stream';
import { BlobNotFoundError } from './errors';
import { errorName, httpStatus, type S3Access } from './s3-sdk';

/**
 * A large object as `partConcurrency` parallel ranged GETs of `partSize`,
 * yielded in order (memory: about partConcurrency + 1 parts).
 */
export async function getRanges(access: S3Access, key: string, size: number, signal: AbortSignal | undefined): Promise<Readable> {
  const { sdk, client, bucket, partSize, partConcurrency } = access;
  const fetchRange = async (start: number): Promise<Buffer> => {
    const end = Math.min(size, start + partSize) - 1;
    let reply;
    try {
      reply = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }), { abortSignal: signal });
    } catch (error) {
      if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404) throw new BlobNotFoundError(key, `S3 (${bucket})`);
      throw error;
    }
    const bytes = await reply.Body!.transformToByteArray();
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // no second copy
    if (buffer.length !== end - start + 1) throw new Error(`[pollinator] [cfs-sync] short range read of ${key} at ${start}`);
    return buffer;
  };
  const starts: number[] = [];
  for (let start = 0; start < size; start += partSize) starts.push(start);
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (pending.length < partConcurrency && next < starts.length) {
      const promise = fetchRange(starts[next++]!);
      promise.catch(() => undefined); // surfaced when awaited in order
      pending.push(promise);
    }
  };
  fill();
  // The first range proves the object exists before the stream is handed out.
  await pending[0];
  return Readable.from(
    (async function* () {
      while (pending.length > 0) {
        const part = await pending.shift()!;
        fill();
        yield part;
      }
    })(),
    { objectMode: false },
  );
}
