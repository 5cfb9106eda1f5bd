import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { IO_BUFFER_BYTES } from './local-blob-store';

/** One part of a file written in order within itself, parts written in any order. */
export interface FileRange {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
}

/**
 * Hashes a file whose ranges are written in parallel, in byte order, without
 * holding ranges in memory. A chunk written exactly where the hash has got to
 * is hashed from memory as it is written; bytes that arrived ahead of it (a
 * later range) are hashed later by reading them back from the file (the page
 * cache) as soon as everything before them is written. So memory stays at one
 * read buffer, whatever the order the ranges arrive in.
 */
export class InOrderFileHash {
  /** Bytes from the start of the file that are hashed. */
  private hashed = 0;
  /** The range `hashed` is in. */
  private head = 0;
  /** Per range: written up to (absolute offset). */
  private readonly writtenTo: number[];
  private catchingUp: Promise<void> | undefined;
  private failure: unknown;
  private readBuffer: Buffer | undefined;

  constructor(
    private readonly hash: Hash,
    private readonly handle: FileHandle,
    private readonly ranges: readonly FileRange[],
  ) {
    this.writtenTo = ranges.map((range) => range.start);
  }

  /** Bytes held by the read-back buffer (0 until the first read back). */
  get bufferedBytes(): number {
    return this.readBuffer?.length ?? 0;
  }

  /** Records that `chunk` is now written at `position` of range `index` (chunks of a range come in order). */
  written(index: number, position: number, chunk: Buffer): void {
    this.writtenTo[index] = position + chunk.length;
    if (this.catchingUp === undefined && position === this.hashed) {
      this.hash.update(chunk);
      this.hashed += chunk.length;
    }
    this.catchUpIfBehind();
  }

  /** Resolves once every byte written so far is hashed; rejects if reading back failed. */
  async settled(): Promise<number> {
    while (this.catchingUp !== undefined) await this.catchingUp;
    if (this.failure !== undefined) throw this.failure as Error;
    return this.hashed;
  }

  /** The end of what is written contiguously from the start of the file. */
  private contiguousEnd(): number {
    while (this.head < this.ranges.length - 1 && this.hashed >= this.ranges[this.head]!.end) this.head += 1;
    let index = this.head;
    while (index < this.ranges.length - 1 && this.writtenTo[index] === this.ranges[index]!.end) index += 1;
    return this.writtenTo[index] ?? 0;
  }

  private catchUpIfBehind(): void {
    if (this.catchingUp !== undefined || this.failure !== undefined || this.contiguousEnd() <= this.hashed) return;
    this.catchingUp = this.catchUp().then(
      () => {
        this.catchingUp = undefined;
        // A write that completed after the last check (and was not hashed directly) is caught up now.
        this.catchUpIfBehind();
      },
      (error: unknown) => {
        this.failure = error;
        this.catchingUp = undefined;
      },
    );
  }

  private async catchUp(): Promise<void> {
    // Re-checked after every read: writes completed meanwhile extend what is contiguous.
    for (let end = this.contiguousEnd(); end > this.hashed; end = this.contiguousEnd()) {
      const buffer = (this.readBuffer ??= Buffer.allocUnsafe(IO_BUFFER_BYTES));
      const length = Math.min(buffer.length, end - this.hashed);
      const { bytesRead } = await this.handle.read(buffer, 0, length, this.hashed);
      if (bytesRead === 0) throw new Error(`[pollinator] [cfs-sync] could not read back byte ${this.hashed} of a file being downloaded`);
      this.hash.update(buffer.subarray(0, bytesRead));
      this.hashed += bytesRead;
    }
  }
}
