import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { newObjectKey, type BlobStore } from './blob-store';
import { FileChangedError } from './errors';
import { EMPTY_SHA256 } from './hash';
import { IO_BUFFER_BYTES } from './local-blob-store';
import { openRegularFile, readRegularFileSync } from './no-follow';
import type { SyncPlanEntry } from './plan-types';
import type { StatIdentity } from './sync-state';
import { SMALL_FILE_BYTES, sameContentStat, type TransferContext } from './transfer-context';
import type { CfsFile, CfsMetadata } from './types';
import { toIdentity } from './walk';

/** The metadata record of an uploaded revision, in the shape the Go client writes. */
function fileRecord(metadata: CfsMetadata, store: BlobStore, entry: SyncPlanEntry, key: string, checksum: string, size: number): CfsFile {
  return {
    fileid: '',
    colonyname: metadata.colonyName,
    label: entry.label,
    name: entry.name,
    size,
    sequencenr: 0,
    checksum,
    checksumalg: 'SHA256',
    ref: {
      protocol: 's3',
      s3object: {
        server: store.location.server,
        port: -1,
        tls: store.location.tls,
        // Never credentials: readers use their own AWS_S3_* settings (as pycolonies does).
        accesskey: '',
        secretkey: '',
        region: store.location.region,
        encryptionkey: '',
        encryptionalg: '',
        object: key,
        bucket: store.location.bucket,
      },
    },
    added: '0001-01-01T00:00:00Z',
  };
}

/**
 * Uploads one planned local file: blob first, then its metadata record, and
 * only when the file still has the stat identity the plan saw, before and
 * after reading (else FileChangedError). Large files may resume an
 * interrupted upload from their journal.
 */
export async function uploadFile(context: TransferContext, entry: SyncPlanEntry): Promise<{ checksum: string; resumedBytes?: number }> {
  const { prepared, store, signal, onBytes, result } = context;
  const { state, metadata } = prepared;
  const local = prepared.local.get(entry.path)!;
  if (local.stat.size <= SMALL_FILE_BYTES) return uploadSmall(context, entry, local.abs, local.stat);
  const handle = await openRegularFile(local.abs, entry.path);
  try {
    // The stat after reading must still be the plan's: then what was read is what the plan saw.
    const before = local.stat;
    let checksum = EMPTY_SHA256;
    let key = newObjectKey();
    let resumedBytes = 0;
    if (before.size > 0) {
      const journal = before.size >= context.resumeThreshold ? state.uploadJournal(entry.path, before) : undefined;
      key = (await journal?.previousKey()) ?? key;
      // An interrupted upload of an earlier version of this file will never resume: drop what it left in the store.
      const stale = journal?.staleUpload();
      if (stale) await store.abandon?.(stale.key, stale.store).catch(() => undefined);
      journal?.begin(key);
      const hash = createHash('sha256');
      let read = 0;
      // Files up to SMALL_FILE_BYTES went through uploadSmall above: this one is streamed.
      const stream = handle.createReadStream({ highWaterMark: IO_BUFFER_BYTES, autoClose: false, start: 0 });
      const body = Readable.from(
        (async function* () {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            hash.update(chunk);
            read += chunk.length;
            if (read > before.size) throw new FileChangedError(entry.path, `grew beyond ${before.size} bytes while it was read`);
            yield chunk;
          }
          if (read !== before.size) throw new FileChangedError(entry.path, `shrank from ${before.size} to ${read} bytes while it was read`);
        })(),
        { objectMode: false },
      );
      const put = await store.put(key, body, { size: before.size, signal, onBytes, ...(journal ? { resume: journal } : {}) });
      resumedBytes = put.resumedBytes;
      if (read !== before.size) throw new FileChangedError(entry.path, `size changed from ${before.size} to ${read} bytes while reading`);
      checksum = hash.digest('hex');
    }
    const after = toIdentity(await handle.stat({ bigint: true }));
    if (!sameContentStat(after, before)) throw new FileChangedError(entry.path, 'modified after the plan was made or while it was uploaded');
    await metadata.addFile(fileRecord(metadata, store, entry, key, checksum, before.size));
    state.record(entry.path, after, checksum, checksum);
    result.uploaded += 1;
    result.bytesUploaded += before.size;
    return { checksum, ...(resumedBytes > 0 ? { resumedBytes } : {}) };
  } finally {
    await handle.close();
  }
}

/** Small files: one synchronous read and stat (microseconds from the page cache). */
async function uploadSmall(context: TransferContext, entry: SyncPlanEntry, abs: string, before: StatIdentity): Promise<{ checksum: string }> {
  const { prepared, store, signal, onBytes, result } = context;
  const { state, metadata } = prepared;
  const read = readRegularFileSync(abs, entry.path);
  const data = read.data;
  const after = toIdentity(read.stat);
  if (data.length !== before.size || !sameContentStat(after, before)) {
    throw new FileChangedError(entry.path, 'modified after the plan was made or while it was read');
  }
  const checksum = before.size === 0 ? EMPTY_SHA256 : createHash('sha256').update(data).digest('hex');
  const key = newObjectKey();
  // Empty files too: the Go executors' DownloadSnapshot GETs every object, whatever its size.
  await store.put(key, Readable.from([data], { objectMode: false }), { size: data.length, signal, onBytes });
  await metadata.addFile(fileRecord(metadata, store, entry, key, checksum, before.size));
  state.record(entry.path, after, checksum, checksum);
  result.uploaded += 1;
  result.bytesUploaded += before.size;
  return { checksum };
}
