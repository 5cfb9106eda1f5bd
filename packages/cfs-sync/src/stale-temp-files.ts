import type { Dirent } from 'node:fs';
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isInternalName } from './paths';

export interface RemoveStaleTempFilesOptions {
  /** Only files last modified at least this long ago. Default 0: every one (the caller holds the directory, no sync of it is running). */
  olderThanMs?: number;
}

/**
 * Removes the `.pollinator-tmp-*` files a crashed download (or marker write)
 * left under `dir`, at any depth. Never follows a symbolic link: neither
 * `dir` itself nor anything below it is entered through one, and a link that
 * has a temporary name is removed as a link. A missing `dir` removes nothing.
 * Returns how many files and bytes were removed.
 */
export async function removeStaleTempFiles(dir: string, options: RemoveStaleTempFilesOptions = {}): Promise<{ files: number; bytes: number }> {
  const removed = { files: 0, bytes: 0 };
  const olderThanMs = options.olderThanMs ?? 0;
  const cutoff = Date.now() - olderThanMs;
  const root = await lstat(dir).catch(() => undefined);
  if (!root?.isDirectory()) return removed;
  const visit = async (current: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      // A directory removed or made unreadable meanwhile holds nothing we can clean.
      if (['ENOENT', 'ENOTDIR', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '')) return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (isInternalName(entry.name) && !entry.isDirectory()) {
        const info = await lstat(path).catch(() => undefined);
        if (!info) continue;
        // Without an age limit, no clock comparison at all: a file written in this very millisecond (its
        // mtime has sub-millisecond digits Date.now() lacks), or stamped ahead by a skewed NFS server, still goes.
        if (olderThanMs > 0 && info.mtimeMs > cutoff) continue;
        await rm(path, { force: true });
        removed.files += 1;
        removed.bytes += info.isFile() ? info.size : 0;
      } else if (entry.isDirectory()) {
        await visit(path);
      }
    }
  };
  await visit(dir);
  return removed;
}
