/**
 * `logs()` of the local backend: follows the job's `output.log` from a byte
 * offset (the cursor), in whole UTF-8 characters, until the job is final and
 * everything it wrote has been read (the shared `tailFile`).
 */
import { join } from 'node:path';
import { fileRangeReader, isFinalJobStatus, tailFile, type JobHandle, type JobStatus, type LogChunk, type LogCursor } from '@pollinator/backend';
import { JOB_FILES } from './job-files';
import { localHandles } from './local-handle';
import { LOCAL_BACKEND_NAME } from './local-options';

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
  const data = localHandles.read(handle);
  const read = fileRangeReader(join(data.workDir, JOB_FILES.output));
  try {
    yield* tailFile({
      backend: LOCAL_BACKEND_NAME,
      read,
      from,
      isFinal: async () => isFinalJobStatus(await options.status(handle)),
      pollMs: options.pollMs,
      ...(signal === undefined ? {} : { signal }),
    });
  } finally {
    await read.close();
  }
}
