import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { newObjectKey, type BlobStore } from './blob-store';
import type { CfsMetadata, Snapshot } from './types';
import { assertSafeLabel, assertSafeName, joinRel, labelToRelative, localPath } from './paths';
import { listLabels } from './plan';
import { EMPTY_SHA256, sha256File } from './hash';
import { downloadVerified } from './download-file';
import { CfsError, SymlinkRefusedError, throwIfAborted } from './errors';
import { lstat } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { confineDirectory, makeDirectoryInside } from './confine';
import { checkSyncRoot } from './symlink-policy';

/** Name of the empty file registered at a snapshot root that has no files of its own (see createSnapshot). */
export const ROOT_KEEP_FILE = '.pollinator-keep';

/**
 * Freezes `label` (and every sub-label) as a snapshot. The server snapshots
 * nothing when the root label has no direct files (§4.2, §7 item 14), so when
 * the root has none but sub-labels do, an empty `.pollinator-keep` is
 * registered at the root first (zero bytes, a zero-byte object) — the snapshot
 * then holds the whole tree, for our executors and the Go ones alike.
 */
export async function createSnapshot(options: {
  metadata: CfsMetadata;
  store: BlobStore;
  label: string;
  /** Snapshot name; default a random 64-hex name (as the Go Pollinator does). No ":" allowed. */
  name?: string;
}): Promise<Snapshot> {
  assertSafeLabel(options.label);
  const name = options.name ?? newObjectKey();
  if (name.includes(':')) throw new CfsError('INVALID_CONFIG', `snapshot name ${JSON.stringify(name)} must not contain ":"`);
  const labels = await listLabels(options.metadata, options.label);
  if (labels.length > 0 && !labels.includes(options.label)) {
    const key = newObjectKey();
    // A zero-byte object as well: the Go executors' DownloadSnapshot GETs every file's object, empty ones included.
    await options.store.put(key, Readable.from([Buffer.alloc(0)], { objectMode: false }), { size: 0 });
    await options.metadata.addFile({
      fileid: '',
      colonyname: options.metadata.colonyName,
      label: options.label,
      name: ROOT_KEEP_FILE,
      size: 0,
      sequencenr: 0,
      checksum: EMPTY_SHA256,
      checksumalg: 'SHA256',
      ref: {
        protocol: 's3',
        s3object: {
          server: options.store.location.server,
          port: -1,
          tls: options.store.location.tls,
          accesskey: '',
          secretkey: '',
          region: options.store.location.region,
          encryptionkey: '',
          encryptionalg: '',
          object: key,
          bucket: options.store.location.bucket,
        },
      },
      added: '0001-01-01T00:00:00Z',
    });
  }
  return options.metadata.createSnapshot(options.label, name);
}

export interface MaterializeResult {
  snapshot: Snapshot;
  downloaded: number;
  skipped: number;
  bytes: number;
}

/**
 * Writes a snapshot's files into `dir` (sub-labels become sub-directories),
 * each verified against its checksum and renamed into place; a file already
 * there with the same content is left alone. Executors use this to stage `src`.
 */
export async function materializeSnapshot(options: {
  metadata: CfsMetadata;
  store: BlobStore;
  snapshot: { snapshotId: string } | { name: string };
  dir: string;
  /** A trusted ancestor of `dir` (see PlanOptions.confineTo): no component from it down to `dir` may be a symbolic link. */
  confineTo?: string;
  concurrency?: number;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
}): Promise<MaterializeResult> {
  const dir = resolve(options.dir);
  const snapshot = await options.metadata.getSnapshot(options.snapshot);
  assertSafeLabel(snapshot.label);
  const limit = pLimit(options.concurrency ?? 16);
  const result: MaterializeResult = { snapshot, downloaded: 0, skipped: 0, bytes: 0 };
  const files = await Promise.all((snapshot.fileids ?? []).map((id) => limit(() => options.metadata.getFileById(id))));
  // Validate every path before writing anything.
  const targets = files.map((file) => {
    assertSafeName(file.name, file.label);
    const rel = joinRel(labelToRelative(snapshot.label, file.label), file.name);
    return { file, rel, abs: localPath(dir, rel) };
  });
  // Never through a symbolic link: not the directory itself, not a component to it, not one below it.
  if (options.confineTo !== undefined) confineDirectory(options.confineTo, dir, { create: true });
  else {
    checkSyncRoot(dir, {});
    mkdirSync(dir, { recursive: true });
  }
  for (const parent of new Set(targets.map(({ rel }) => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '')))) {
    makeDirectoryInside(dir, parent);
  }
  await Promise.all(
    targets.map(({ file, rel, abs }) =>
      limit(async () => {
        throwIfAborted(options.signal);
        const existing = await lstat(abs).catch(() => undefined);
        if (existing?.isSymbolicLink()) throw new SymlinkRefusedError(join(dir, rel), 'refusing to write through it');
        if (existing?.isFile() && existing.size === file.size && (await sha256File(abs)).checksum === file.checksum) {
          result.skipped += 1;
          return;
        }
        await downloadVerified(
          options.store,
          { name: file.name, checksum: file.checksum, size: file.size, s3filename: file.ref.s3object.object },
          abs,
          rel,
          { ...(options.signal ? { signal: options.signal } : {}), ...(options.onBytes ? { onBytes: options.onBytes } : {}), fsync: true },
        );
        result.downloaded += 1;
        result.bytes += file.size;
      }),
    ),
  );
  return result;
}
