import { randomBytes, createHash, type Hash } from 'node:crypto';
import { createWriteStream, lstatSync, renameSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob-store';
import { ChecksumMismatchError, FileChangedError, SymlinkRefusedError } from './errors';
import { IO_BUFFER_BYTES } from './local-blob-store';
import { BACKUP_INFIX, TEMP_PREFIX, localPath } from './paths';
import { isRangedBody, writeRangedBodyToFile } from './ranged-body';
import type { SyncPlanEntry } from './plan-types';
import type { StatIdentity } from './sync-state';
import type { FileData } from './types';
import { toIdentity } from './walk';
import type { TransferContext } from './transfer-context';
import { SMALL_FILE_BYTES, sameContentStat } from './transfer-context';

/** lstat of a path (synchronous: microseconds from the page cache, no thread-pool round trip). */
function currentStat(path: string): StatIdentity | undefined {
  const info = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return info ? toIdentity(info) : undefined;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Downloads one planned file over the local one: verified, then renamed into
 * place, after proving the local file is still what the plan saw; a local
 * version that lost a conflict is first moved to `<name>.pollinator-conflict-<time>`.
 */
export async function downloadFile(context: TransferContext, entry: SyncPlanEntry): Promise<{ checksum: string; backup?: string }> {
  const { plan, prepared, result } = context;
  const remote = entry.remote!;
  const target = localPath(plan.dir, entry.path);
  if (prepared.local.get(entry.path)?.viaSymlink) {
    throw new SymlinkRefusedError(target, 'the remote version would replace a symbolic link the policy followed; move the link away to download it');
  }
  const downloaded = await downloadVerified(
    context.store,
    remote,
    target,
    entry.path,
    { signal: context.signal, onBytes: context.onBytes, fsync: context.fsync },
    async () => {
      const planned = prepared.local.get(entry.path);
      const now = currentStat(target);
      if (!planned && now) throw new FileChangedError(entry.path, 'a local file appeared after the plan was made');
      if (planned && (!now || !sameContentStat(now, planned.stat))) throw new FileChangedError(entry.path, 'modified after the plan was made');
      if (planned && entry.resolution === 'backup-and-download') {
        const backupRel = `${entry.path}${BACKUP_INFIX}${stamp(new Date())}`;
        let backup = backupRel;
        for (let n = 1; currentStat(localPath(plan.dir, backup)); n++) backup = `${backupRel}-${n}`;
        await rename(target, localPath(plan.dir, backup));
        result.backups.push({ path: entry.path, backup });
        return backup;
      }
      return undefined;
    },
  );
  const info = currentStat(target);
  if (info) prepared.state.record(entry.path, info, downloaded.checksum, downloaded.checksum);
  result.downloaded += 1;
  result.bytesDownloaded += remote.size;
  return downloaded.backup ? { checksum: downloaded.checksum, backup: downloaded.backup } : { checksum: downloaded.checksum };
}

/**
 * Downloads `remote` to `target` safely: into a temporary file in the target
 * directory, hashed on the way, verified (size and SHA-256), optionally
 * fsynced, then renamed over the real name. `beforeRename` runs just before
 * the rename (to check or move the file being replaced).
 */
export async function downloadVerified(
  store: BlobStore,
  remote: FileData,
  target: string,
  displayPath: string,
  options: { signal?: AbortSignal; onBytes?: (bytes: number) => void; fsync?: boolean },
  beforeRename?: () => Promise<string | undefined>,
): Promise<{ checksum: string; backup?: string }> {
  const temp = join(dirname(target), `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    if (remote.size > 0 && remote.size <= SMALL_FILE_BYTES) {
      const body = await store.get(remote.s3filename, { signal: options.signal, size: remote.size });
      const chunks: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
        if (size > remote.size) break;
        chunks.push(chunk);
      }
      options.onBytes?.(size);
      // Small files: synchronous write (tens of microseconds), no thread-pool round trips.
      writeFileSync(temp, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), { flag: 'wx' });
    } else if (remote.size > 0) {
      size = await writeLarge(store, remote, temp, hash, options);
    } else {
      writeFileSync(temp, '', { flag: 'wx' });
    }
    const checksum = hash.digest('hex');
    if (size !== remote.size || checksum !== remote.checksum) {
      throw new ChecksumMismatchError(displayPath, remote.checksum, size !== remote.size ? `${checksum} (${size} bytes, expected ${remote.size})` : checksum);
    }
    if (options.fsync && size > 0) {
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    const backup = await beforeRename?.();
    if (size <= SMALL_FILE_BYTES) renameSync(temp, target);
    else await rename(temp, target);
    return backup ? { checksum, backup } : { checksum };
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * A large object into the new file `temp`, hashed on the way; returns its
 * size. A body the store fetches as parallel ranges is written range by range
 * at each range's offset (positioned writes, hashed in order); any other body
 * is streamed. Memory stays at a few socket chunks either way.
 */
async function writeLarge(
  store: BlobStore,
  remote: FileData,
  temp: string,
  hash: Hash,
  options: { signal?: AbortSignal; onBytes?: (bytes: number) => void },
): Promise<number> {
  const body = await store.get(remote.s3filename, { signal: options.signal, size: remote.size });
  if (isRangedBody(body)) {
    // Read and write: bytes that arrive ahead of the hash are read back to hash them.
    const handle = await open(temp, 'wx+');
    try {
      return (await writeRangedBodyToFile(body, handle, { hash, ...options })).bytes;
    } finally {
      await handle.close();
    }
  }
  let size = 0;
  await pipeline(
    body,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        options.onBytes?.(chunk.length);
        yield chunk;
      }
    },
    createWriteStream(temp, { flags: 'wx', highWaterMark: IO_BUFFER_BYTES }),
    { signal: options.signal },
  );
  return size;
}
