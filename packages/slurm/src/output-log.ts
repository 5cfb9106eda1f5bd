/**
 * Following a job's output file (sbatch's `--output`, on the shared
 * filesystem) from a byte offset. The cursor is the offset. While the job
 * runs only whole lines are emitted (a line longer than `MAX_CHUNK` in
 * pieces cut at UTF-8 boundaries); once it is final, everything left.
 */
import { isFinalJobStatus, type JobStatus, type LogChunk } from '@pollinator/core';
import type { CommandRunner } from './runner';
import { utf8Boundary } from './utf8';

const READ_SIZE = 1024 * 1024;
const MAX_CHUNK = 64 * 1024;

export interface OutputLogOptions {
  runner: CommandRunner;
  path: string;
  /** Byte offset to start from. */
  offset: number;
  /** How often to look for new output, ms. */
  intervalMs: number;
  /**
   * The job's status, asked before each read (so nothing written before the
   * end is missed); a final status ends following once the file is read.
   */
  status(): Promise<JobStatus>;
  signal?: AbortSignal | undefined;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export async function* followOutputLog(options: OutputLogOptions): AsyncGenerator<LogChunk> {
  const { runner, path, signal } = options;
  let offset = options.offset;
  let finalSeen = 0;
  while (!signal?.aborted) {
    const final = isFinalJobStatus(await options.status());
    let yielded = false;
    for (;;) {
      if (signal?.aborted) return;
      const buffer = await runner.readFile(path, offset, READ_SIZE);
      if (!buffer || buffer.length === 0) break;
      const take = final ? finalCut(buffer) : runningCut(buffer);
      if (take === 0) break; // an unfinished line: wait for the rest of it
      const text = buffer.subarray(0, take).toString('utf8');
      offset += take;
      yielded = true;
      yield { text, cursor: String(offset) };
    }
    if (final && !yielded) {
      // One more look after a pause: output on a shared filesystem can lag behind the state.
      finalSeen += 1;
      if (finalSeen >= 2) return;
    }
    await options.sleep(options.intervalMs, signal);
  }
}

/** The job has ended: up to `MAX_CHUNK` bytes, at a line end when one is in reach and more follows. */
function finalCut(buffer: Buffer): number {
  const take = Math.min(buffer.length, MAX_CHUNK);
  const newline = buffer.lastIndexOf(0x0a, take - 1);
  return take < buffer.length && newline >= 0 ? newline + 1 : take;
}

/** The job runs: whole lines only, or a `MAX_CHUNK` piece of a longer one; 0 to wait for more. */
function runningCut(buffer: Buffer): number {
  const newline = buffer.lastIndexOf(0x0a, MAX_CHUNK - 1);
  if (newline >= 0) return newline + 1;
  return buffer.length >= MAX_CHUNK ? utf8Boundary(buffer, MAX_CHUNK) : 0;
}
