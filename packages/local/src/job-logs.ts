/**
 * `logs()` of the local backend: follows the job's `output.log` from a byte
 * offset (the cursor), in whole UTF-8 characters, until the job is final and
 * everything it wrote has been read.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { BackendError, isFinalJobStatus, type JobHandle, type JobStatus, type LogChunk, type LogCursor } from '@pollinator/core';
import { JOB_FILES } from './job-files';
import { handleData } from './local-handle';
import { LOCAL_BACKEND_NAME } from './local-options';

/** Length of the longest prefix of `buffer` that ends on a UTF-8 character boundary. */
function completeUtf8Length(buffer: Buffer): number {
  const end = buffer.length;
  // Look at most 3 bytes back for the start of an incomplete sequence.
  for (let back = 1; back <= Math.min(3, end); back += 1) {
    const byte = buffer[end - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    if ((byte & 0x80) === 0) return end; // ASCII: complete
    const needed = (byte & 0xe0) === 0xc0 ? 2 : (byte & 0xf0) === 0xe0 ? 3 : (byte & 0xf8) === 0xf0 ? 4 : 1;
    return back >= needed ? end : end - back;
  }
  return end;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface FollowLogOptions {
  status(handle: JobHandle): Promise<JobStatus>;
  pollMs: number;
}

export async function* followJobLog(
  handle: JobHandle,
  from: LogCursor,
  options: FollowLogOptions,
  signal?: AbortSignal,
): AsyncIterable<LogChunk> {
  const data = handleData(handle);
  let offset = from === '' ? 0 : Number(from);
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new BackendError(LOCAL_BACKEND_NAME, `invalid log cursor ${JSON.stringify(from)}`);
  }
  const isFinal = async () => isFinalJobStatus(await options.status(handle));
  const path = join(data.workDir, JOB_FILES.output);
  const buffer = Buffer.alloc(64 * 1024);
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    while (!signal?.aborted) {
      file ??= await open(path, 'r').catch(() => undefined);
      if (file) {
        const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
        if (bytesRead > 0) {
          let length = completeUtf8Length(buffer.subarray(0, bytesRead));
          // Only an incomplete character so far: yield it once the job is final.
          if (length === 0) length = (await isFinal()) ? bytesRead : 0;
          if (length > 0) {
            offset += length;
            yield { text: buffer.subarray(0, length).toString('utf8'), cursor: String(offset) };
            continue;
          }
        }
      }
      if (await isFinal()) {
        // Final: everything the job wrote is in the file. Drain it and stop.
        file ??= await open(path, 'r').catch(() => undefined);
        if (file) {
          for (;;) {
            const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            yield { text: buffer.subarray(0, bytesRead).toString('utf8'), cursor: String(offset) };
          }
        }
        return;
      }
      await sleep(options.pollMs, signal);
    }
  } finally {
    await file?.close();
  }
}
