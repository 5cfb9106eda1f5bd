import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IO_BUFFER_BYTES } from './local-blob-store';
import { openRegularFile } from './no-follow';

/** SHA-256 of an empty file: a zero-size file needs no read. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * SHA-256 (lowercase hex) of a regular file, streamed with 1 MiB reads. Never
 * reads through a symbolic link, a FIFO or a device (refused with a CfsError).
 */
export async function sha256File(path: string, signal?: AbortSignal): Promise<{ checksum: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const handle = await openRegularFile(path);
  try {
    const stream = handle.createReadStream({ highWaterMark: IO_BUFFER_BYTES, autoClose: false, ...(signal ? { signal } : {}) });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return { checksum: hash.digest('hex'), size };
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
