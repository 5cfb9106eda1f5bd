import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createWriteStream, lstatSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import { newObjectKey, type BlobStore } from './blob-store';
import { preparedSync, type SyncPlan, type SyncPlanEntry } from './plan';
import { BACKUP_INFIX, MARKER_FILE, TEMP_PREFIX, localPath } from './paths';
import { EMPTY_SHA256 } from './hash';
import { IO_BUFFER_BYTES } from './local-blob-store';
import { toIdentity } from './walk';
import type { StatIdentity } from './sync-state';
import type { CfsFile, CfsMetadata, FileData } from './types';
import {
  ChecksumMismatchError,
  ConflictRefusedError,
  FileChangedError,
  SymlinkRefusedError,
  abortError,
} from './errors';
import { confineDirectory, makeDirectoryInside } from './confine';
import { checkSyncRoot } from './symlink-policy';
import { openRegularFile, readRegularFileIfPresent, readRegularFileSync, replaceFileSync } from './no-follow';

/** Progress events of applySync (JSON-serialisable). */
export type SyncEvent =
  | { type: 'sync-start'; dir: string; label: string; files: number; bytes: number }
  | { type: 'file-start'; path: string; action: 'upload' | 'download'; size: number }
  | {
      type: 'file-done';
      path: string;
      action: 'upload' | 'download';
      size: number;
      checksum: string;
      /** Bytes an interrupted upload had already stored (not sent again). */
      resumedBytes?: number;
      /** Where the local version was kept when the remote version won a conflict. */
      backup?: string;
    }
  | {
      type: 'progress';
      filesDone: number;
      filesTotal: number;
      bytesDone: number;
      bytesTotal: number;
      /** Average transfer rate since the start. */
      bytesPerSecond: number;
      /** Seconds left at that rate; null until there is a rate. */
      etaSeconds: number | null;
      elapsedMs: number;
    }
  | { type: 'sync-done'; result: SyncResult };

export interface SyncResult {
  dir: string;
  label: string;
  uploaded: number;
  downloaded: number;
  unchanged: number;
  ignored: number;
  bytesUploaded: number;
  bytesDownloaded: number;
  /** Local versions kept aside when the remote version won a conflict (paths relative to dir). */
  backups: { path: string; backup: string }[];
  durationMs: number;
}

export interface ApplyOptions {
  store: BlobStore;
  /** Files transferred in parallel. Default 32. */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: SyncEvent) => void;
  /** Minimum time between two `progress` events. Default 100 ms. */
  progressIntervalMs?: number;
  /** fsync downloaded files before renaming them into place (survives an OS crash, not only a killed process). Default false. */
  fsync?: boolean;
  /** Files at least this large keep a resume journal while uploading. Default 8 MiB. */
  resumeThreshold?: number;
}

const MiB = 1024 * 1024;
const SMALL_FILE_BYTES = 256 * 1024;
const LARGE_FILE_BYTES = 4 * MiB;
const LARGE_FILE_CONCURRENCY = 4;

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

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** lstat of a path (synchronous: microseconds from the page cache, no thread-pool round trip). */
function currentStat(path: string): StatIdentity | undefined {
  const info = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  return info ? toIdentity(info) : undefined;
}

const sameContentStat = (a: StatIdentity, b: StatIdentity) => a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;

/**
 * Carries out a plan from planSync(): creates directories and `.cfs` markers,
 * uploads (blob first, then the metadata record) and downloads (to a temporary
 * file in the target directory, verified against the checksum, then renamed
 * into place) with a bounded pool of parallel transfers. Nothing is ever
 * deleted remotely; a local file is only replaced by a verified download, and
 * a local edit that loses a conflict is kept as `<name>.pollinator-conflict-<time>`.
 */
export async function applySync(plan: SyncPlan, options: ApplyOptions): Promise<SyncResult> {
  const started = performance.now();
  const inner = preparedSync(plan);
  const { state, metadata } = inner;
  const store = options.store;
  const refused = plan.entries.filter((entry) => entry.resolution === 'refuse');
  if (refused.length > 0) throw new ConflictRefusedError(refused.map((entry) => entry.path));

  const transfers = plan.entries.filter(
    (entry) => entry.action === 'upload' || entry.action === 'download' || entry.action === 'conflict',
  );
  const result: SyncResult = {
    dir: plan.dir,
    label: plan.label,
    uploaded: 0,
    downloaded: 0,
    unchanged: 0,
    ignored: plan.summary.ignored.files,
    bytesUploaded: 0,
    bytesDownloaded: 0,
    backups: [],
    durationMs: 0,
  };
  const emit = options.onEvent ?? (() => undefined);
  const bytesTotal = transfers.reduce((sum, entry) => sum + entry.size, 0);
  emit({ type: 'sync-start', dir: plan.dir, label: plan.label, files: transfers.length, bytes: bytesTotal });

  let bytesDone = 0;
  let filesDone = 0;
  let lastProgress = 0;
  const interval = options.progressIntervalMs ?? 100;
  const progress = (force = false) => {
    const now = performance.now();
    if (!force && now - lastProgress < interval) return;
    lastProgress = now;
    const elapsedMs = now - started;
    const bytesPerSecond = elapsedMs > 0 ? (bytesDone * 1000) / elapsedMs : 0;
    emit({
      type: 'progress',
      filesDone,
      filesTotal: transfers.length,
      bytesDone,
      bytesTotal,
      bytesPerSecond,
      etaSeconds: bytesPerSecond > 0 ? Math.max(0, (bytesTotal - bytesDone) / bytesPerSecond) : null,
      elapsedMs,
    });
  };
  const onBytes = (bytes: number) => {
    bytesDone += bytes;
    progress();
  };

  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one listener per transfer in flight
  const outer = options.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) throw abortError(outer);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = controller.signal;

  try {
    // Every directory is (re)checked with lstat right before writing: one that became a link since the plan is refused.
    if (inner.confineTo !== undefined) confineDirectory(inner.confineTo, plan.dir, { create: true });
    else {
      checkSyncRoot(plan.dir, inner.rootPolicy);
      mkdirSync(plan.dir, { recursive: true });
    }
    for (const directory of plan.directories) {
      makeDirectoryInside(plan.dir, directory.path, inner.followedDirs);
      const marker = join(localPath(plan.dir, directory.path), MARKER_FILE);
      const content = JSON.stringify({ label: directory.label });
      // Read only a regular file, and replace rather than write into it: a planted link or FIFO is never followed.
      const existing = await readRegularFileIfPresent(marker);
      if (existing?.toString('utf8') !== content) replaceFileSync(marker, content);
    }
    // Leftovers of an interrupted earlier sync (rm removes a link itself, never its target).
    await Promise.all(inner.temps.map((rel) => rm(localPath(plan.dir, rel), { force: true })));
    for (const entry of plan.entries) {
      if (entry.action !== 'unchanged') continue;
      result.unchanged += 1;
      const local = inner.local.get(entry.path)!;
      const cached = state.get(entry.path);
      if (!cached || cached.synced !== entry.localChecksum || cached.sha256 !== entry.localChecksum || !state.cachedChecksum(entry.path, local.stat)) {
        state.record(entry.path, local.stat, entry.localChecksum!, entry.localChecksum);
      }
    }

    const limit = pLimit(Math.max(1, options.concurrency ?? 32));
    // Large files move a part at a time in parallel themselves, and a store may buffer up to a part
    // (or a whole object below its multipart threshold): few of them at once bounds the memory.
    const large = pLimit(LARGE_FILE_CONCURRENCY);
    let failure: unknown;
    await Promise.all(
      transfers.map((entry) =>
        limit(() => (entry.size >= LARGE_FILE_BYTES ? large(() => transfer(entry)) : transfer(entry))),
      ),
    );
    if (failure !== undefined) throw failure as Error;
    if (outer?.aborted) throw abortError(outer);
    progress(true);
    result.durationMs = performance.now() - started;
    emit({ type: 'sync-done', result });
    return result;

    async function transfer(entry: SyncPlanEntry): Promise<void> {
      if (signal.aborted) return;
      try {
        const upload = entry.action === 'upload' || entry.resolution === 'upload';
        emit({ type: 'file-start', path: entry.path, action: upload ? 'upload' : 'download', size: entry.size });
        const done = upload ? await uploadOne(entry) : await downloadOne(entry);
        filesDone += 1;
        emit({ type: 'file-done', path: entry.path, action: upload ? 'upload' : 'download', size: entry.size, ...done });
        progress();
      } catch (error) {
        if (failure === undefined) {
          failure = signal.aborted && outer?.aborted ? abortError(outer) : error;
          controller.abort(error);
        }
      }
    }
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    await state.save();
  }

  async function uploadOne(entry: SyncPlanEntry): Promise<{ checksum: string; resumedBytes?: number }> {
    const local = inner.local.get(entry.path)!;
    if (local.stat.size <= SMALL_FILE_BYTES) return uploadSmall(entry, local.abs, local.stat);
    const handle = await openRegularFile(local.abs, entry.path);
    try {
      // The stat after reading must still be the plan's: then what was read is what the plan saw.
      const before = local.stat;
      let checksum = EMPTY_SHA256;
      let key = newObjectKey();
      let resumedBytes = 0;
      if (before.size > 0) {
        const journal = before.size >= (options.resumeThreshold ?? 8 * MiB) ? state.uploadJournal(entry.path, before) : undefined;
        key = (await journal?.previousKey()) ?? key;
        // An interrupted upload of an earlier version of this file will never resume: drop what it left in the store.
        const stale = journal?.staleUpload();
        if (stale) await store.abandon?.(stale.key, stale.store).catch(() => undefined);
        journal?.begin(key);
        const hash = createHash('sha256');
        let read = 0;
        let body: Readable;
        if (before.size <= SMALL_FILE_BYTES) {
          // One read for a small file; a stream would cost more than the data.
          const data = await handle.readFile();
          if (data.length !== before.size) throw new FileChangedError(entry.path, `size changed from ${before.size} to ${data.length} bytes`);
          hash.update(data);
          read = data.length;
          body = Readable.from([data], { objectMode: false });
        } else {
          const stream = handle.createReadStream({ highWaterMark: IO_BUFFER_BYTES, autoClose: false, start: 0 });
          body = Readable.from(
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
        }
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
  async function uploadSmall(entry: SyncPlanEntry, abs: string, before: StatIdentity): Promise<{ checksum: string }> {
    const read = readRegularFileSync(abs, entry.path);
    const data = read.data;
    const after = toIdentity(read.stat);
    if (data.length !== before.size || !sameContentStat(after, before)) {
      throw new FileChangedError(entry.path, 'modified after the plan was made or while it was read');
    }
    const checksum = before.size === 0 ? EMPTY_SHA256 : createHash('sha256').update(data).digest('hex');
    const key = newObjectKey();
    if (before.size > 0) await store.put(key, Readable.from([data], { objectMode: false }), { size: data.length, signal, onBytes });
    await metadata.addFile(fileRecord(metadata, store, entry, key, checksum, before.size));
    state.record(entry.path, after, checksum, checksum);
    result.uploaded += 1;
    result.bytesUploaded += before.size;
    return { checksum };
  }

  async function downloadOne(entry: SyncPlanEntry): Promise<{ checksum: string; backup?: string }> {
    const remote = entry.remote!;
    const target = localPath(plan.dir, entry.path);
    if (inner.local.get(entry.path)?.viaSymlink) {
      throw new SymlinkRefusedError(target, 'the remote version would replace a symbolic link the policy followed; move the link away to download it');
    }
    const checksum = await downloadVerified(store, remote, target, entry.path, { signal, onBytes, fsync: options.fsync ?? false }, async () => {
      const planned = inner.local.get(entry.path);
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
    });
    const info = currentStat(target);
    if (info) state.record(entry.path, info, checksum.checksum, checksum.checksum);
    result.downloaded += 1;
    result.bytesDownloaded += remote.size;
    return checksum.backup ? { checksum: checksum.checksum, backup: checksum.backup } : { checksum: checksum.checksum };
  }
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
      const body = await store.get(remote.s3filename, { signal: options.signal, size: remote.size });
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
