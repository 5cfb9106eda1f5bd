import type { Readable } from 'node:stream';
import type { PutOptions, PutResult, ResumeJournal } from './blob-store';
import { throwIfAborted } from './errors';
import { errorName, httpStatus, type S3Access } from './s3-sdk';

/** What the resume journal of a multipart upload holds: enough to continue it after the parts S3 still has. */
export interface MultipartState {
  key: string;
  uploadId: string;
  partSize: number;
  parts: { PartNumber: number; ETag: string }[];
}

/**
 * A multipart upload whose upload id and finished parts are saved in the
 * resume journal after every part, so an interrupted upload continues
 * instead of starting over. Parts S3 no longer lists are sent again.
 */
export async function putResumable(access: S3Access, key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
  const { sdk, client, bucket, partSize, partConcurrency } = access;
  const journal = putOptions.resume!;
  const signal = putOptions.signal;
  const current = await resumeOrCreate(access, key, journal, signal);
  const done = new Map(current.parts.map((part) => [part.PartNumber, part.ETag]));
  let resumedBytes = 0;
  let saving: Promise<void> = Promise.resolve();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;

  // Part buffers are reused once their part is sent: a fresh 8 MiB buffer per
  // part made the process grow by the whole file's size in garbage before a
  // collection. At most partConcurrency + 1 exist (in flight, and filling).
  const spare: Buffer[] = [];
  const partBuffer = (): Buffer => spare.pop() ?? Buffer.allocUnsafe(Math.min(partSize, putOptions.size));

  const sendPart = (partNumber: number, data: Buffer, whole: Buffer) => {
    const task = (async () => {
      const reply = await client.send(
        new sdk.UploadPartCommand({ Bucket: bucket, Key: key, UploadId: current.uploadId, PartNumber: partNumber, Body: data, ContentLength: data.length }),
        { abortSignal: signal },
      );
      current.parts.push({ PartNumber: partNumber, ETag: reply.ETag! });
      putOptions.onBytes?.(data.length);
      saving = saving.then(() => journal.save({ ...current, parts: [...current.parts] }));
      await saving;
    })()
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => spare.push(whole));
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };

  let partNumber = 1;
  let buffer = partBuffer();
  /** The bytes of the part being filled: partSize, or what is left of the object. */
  let capacity = Math.min(partSize, putOptions.size);
  let filled = 0;
  let seen = 0;
  const flush = async () => {
    const data = buffer.subarray(0, filled);
    if (done.has(partNumber)) {
      resumedBytes += data.length;
      putOptions.onBytes?.(data.length);
      spare.push(buffer);
    } else {
      while (inFlight.size >= partConcurrency) await Promise.race(inFlight);
      if (failure) throw failure as Error;
      sendPart(partNumber, data, buffer);
    }
    partNumber += 1;
    capacity = Math.max(0, Math.min(partSize, putOptions.size - seen));
    buffer = capacity > 0 ? partBuffer() : Buffer.alloc(0);
    filled = 0;
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      throwIfAborted(signal);
      if (failure) throw failure as Error;
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(chunk.length - offset, capacity - filled);
        if (take <= 0) throw new Error(`[pollinator] [cfs-sync] more than ${putOptions.size} bytes for ${key}`);
        chunk.copy(buffer, filled, offset, offset + take);
        filled += take;
        offset += take;
        seen += take;
        if (filled === capacity) await flush();
      }
    }
    if (filled > 0) await flush();
  } finally {
    // Let parts already in flight finish and be journaled, so a retry resumes after them.
    await Promise.allSettled([...inFlight]);
    await saving.catch(() => undefined);
  }
  if (failure) throw failure as Error;
  if (seen !== putOptions.size) throw new Error(`[pollinator] [cfs-sync] expected ${putOptions.size} bytes for ${key}, got ${seen}`);
  const parts = [...current.parts].sort((a, b) => a.PartNumber - b.PartNumber);
  await client.send(
    new sdk.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: current.uploadId, MultipartUpload: { Parts: parts } }),
    { abortSignal: signal },
  );
  await journal.clear();
  return { resumedBytes };
}

/** The upload the journal recorded, with only the parts S3 still lists; or a new one (saved in the journal). */
async function resumeOrCreate(access: S3Access, key: string, journal: ResumeJournal, signal: AbortSignal | undefined): Promise<MultipartState> {
  const { sdk, client, bucket, partSize } = access;
  let state = (await journal.load()) as MultipartState | undefined;
  if (state && (state.key !== key || state.partSize !== partSize)) state = undefined;
  if (state) {
    // The upload may have been aborted or expired server-side: trust only what S3 still lists.
    try {
      const listed = new Map<number, string>();
      let marker: string | undefined;
      do {
        const page = await client.send(
          new sdk.ListPartsCommand({ Bucket: bucket, Key: key, UploadId: state.uploadId, PartNumberMarker: marker }),
          { abortSignal: signal },
        );
        for (const part of page.Parts ?? []) if (part.PartNumber && part.ETag) listed.set(part.PartNumber, part.ETag);
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
      state.parts = state.parts.filter((part) => listed.get(part.PartNumber) === part.ETag);
    } catch (error) {
      if (errorName(error) !== 'NoSuchUpload' && httpStatus(error) !== 404) throw error;
      state = undefined;
    }
  }
  if (!state) {
    const created = await client.send(
      new sdk.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/octet-stream' }),
      { abortSignal: signal },
    );
    state = { key, uploadId: created.UploadId!, partSize, parts: [] };
    await journal.save(state);
  }
  return state;
}
