import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { throwIfAborted } from './errors';
import { IO_BUFFER_BYTES } from './local-blob-store';
import { openRegularFile } from './no-follow';

/** SHA-256 of an empty file: a zero-size file needs no read. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * Read buffers of `sha256File`, kept for the next call: a fresh buffer per
 * read made 1 MiB of garbage per MiB hashed, which the process's memory grew
 * by until a garbage collection (tens of MiB for a large file).
 */
const spareBuffers: Buffer[] = [];
const SPARE_BUFFERS_KEPT = 4;

/**
 * SHA-256 (lowercase hex) of a regular file, streamed with 1 MiB reads into a
 * reused buffer. Never reads through a symbolic link, a FIFO or a device
 * (refused with a CfsError).
 */
export async function sha256File(path: string, signal?: AbortSignal): Promise<{ checksum: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const handle = await openRegularFile(path);
  const buffer = spareBuffers.pop() ?? Buffer.allocUnsafeSlow(IO_BUFFER_BYTES);
  try {
    for (;;) {
      throwIfAborted(signal);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    if (spareBuffers.length < SPARE_BUFFERS_KEPT) spareBuffers.push(buffer);
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
