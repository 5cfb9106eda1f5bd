import type { CfsMetadata } from '@pollinator/cfs-sync';
import { ROOT_KEEP_FILE } from '@pollinator/cfs-sync';

/** One file of a snapshot, by its path relative to the snapshot's label. */
export interface SnapshotFile {
  path: string;
  checksum: string;
  size: number;
}

/** Metadata calls in flight at once while listing a snapshot's files. */
const CONCURRENCY = 16;

/**
 * The files a snapshot froze (one `getfilemsg` per revision), sorted by path.
 * The empty marker cfs-sync registers at a root without files of its own is left out.
 */
export async function snapshotFiles(metadata: Pick<CfsMetadata, 'getSnapshot' | 'getFileById'>, snapshotId: string): Promise<SnapshotFile[]> {
  const snapshot = await metadata.getSnapshot({ snapshotId });
  const ids = snapshot.fileids ?? [];
  const files: SnapshotFile[] = [];
  for (let start = 0; start < ids.length; start += CONCURRENCY) {
    const batch = await Promise.all(ids.slice(start, start + CONCURRENCY).map((id) => metadata.getFileById(id)));
    for (const file of batch) {
      const below = file.label === snapshot.label ? '' : file.label.slice(snapshot.label.length).replace(/^\/+/, '');
      const path = below === '' ? file.name : `${below}/${file.name}`;
      if (path === ROOT_KEEP_FILE) continue;
      files.push({ path, checksum: file.checksum, size: file.size });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface FilesDiff {
  added: SnapshotFile[];
  removed: SnapshotFile[];
  changed: { path: string; a: Omit<SnapshotFile, 'path'>; b: Omit<SnapshotFile, 'path'> }[];
  unchanged: number;
}

/** Compares two file lists by path and checksum. */
export function diffFiles(a: readonly SnapshotFile[], b: readonly SnapshotFile[]): FilesDiff {
  const before = new Map(a.map((file) => [file.path, file]));
  const after = new Map(b.map((file) => [file.path, file]));
  const diff: FilesDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const file of b) {
    const old = before.get(file.path);
    if (old === undefined) diff.added.push(file);
    else if (old.checksum !== file.checksum) {
      diff.changed.push({ path: file.path, a: { checksum: old.checksum, size: old.size }, b: { checksum: file.checksum, size: file.size } });
    } else diff.unchanged += 1;
  }
  for (const file of a) if (!after.has(file.path)) diff.removed.push(file);
  return diff;
}
