/**
 * Staging a snapshot exactly: its files are written into the directory (as
 * cfs-sync's `materializeSnapshot` does) and whatever else is there — files an
 * earlier run staged or a job wrote — is removed, so a rerun sees
 * byte-identical inputs. The caller holds the directory's lease (no other
 * running job uses it with another snapshot) and its staging lock.
 */
import type { Dirent } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { materializeSnapshot, type BlobStore, type CfsFile, type CfsMetadata } from '@pollinator/cfs-sync';
import { isAncestorPath } from './staging-paths';

export interface MaterializeExactlyOptions {
  /** The staging root: no component from it down to `dir` may be a symlink. */
  fsDir: string;
  metadata: CfsMetadata;
  store: BlobStore;
  snapshotId: string;
  /** Host path of the directory. */
  dir: string;
  /** Host paths of other staged directories (this job's, running jobs'): never removed, nor anything in them. */
  keep: readonly string[];
  /** Only write the snapshot's files, remove nothing (the directory is shared with a job using it now). */
  addOnly?: boolean;
}

export interface MaterializeExactlyResult {
  downloaded: number;
  /** Paths (relative to the directory) removed because the snapshot does not hold them. */
  removed: string[];
}

/** The snapshot's path of `file`, relative to the snapshot's label. */
function relativePath(snapshotLabel: string, file: CfsFile): string {
  const root = snapshotLabel.replace(/\/+$/, '');
  const label = file.label.replace(/\/+$/, '');
  const below = label === root ? '' : label.slice(root.length + 1);
  return below === '' ? file.name : `${below}/${file.name}`;
}

/** `metadata`, remembering every file record it hands out (so the snapshot's files are read once). */
function recordingMetadata(metadata: CfsMetadata, seen: CfsFile[]): CfsMetadata {
  const getFileById = async (fileId: string): Promise<CfsFile> => {
    const file = await metadata.getFileById(fileId);
    seen.push(file);
    return file;
  };
  // A proxy, not a copy: every other method (and any the interface gains) goes to `metadata` as it is.
  return new Proxy(metadata, {
    get(target, key) {
      if (key === 'getFileById') return getFileById;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function materializeExactly(options: MaterializeExactlyOptions): Promise<MaterializeExactlyResult> {
  const seen: CfsFile[] = [];
  const result = await materializeSnapshot({
    confineTo: options.fsDir,
    metadata: recordingMetadata(options.metadata, seen),
    store: options.store,
    snapshot: { snapshotId: options.snapshotId },
    dir: options.dir,
  });
  if (options.addOnly) return { downloaded: result.downloaded, removed: [] };
  const files = new Set(seen.map((file) => relativePath(result.snapshot.label, file)));
  const removed = await removeOthers(options.dir, '', files, options.keep);
  return { downloaded: result.downloaded, removed };
}

/** Whether `rel` is a directory on the way to one of `files`. */
function leadsToFile(rel: string, files: ReadonlySet<string>): boolean {
  const prefix = `${rel}/`;
  for (const file of files) if (file.startsWith(prefix)) return true;
  return false;
}

/**
 * Removes what `files` does not name below `dir` (`rel` below the
 * directory), never following a symlink (a link is removed as the entry it
 * is) and never touching a directory in `keep` or one on the way to it.
 */
async function removeOthers(dir: string, rel: string, files: ReadonlySet<string>, keep: readonly string[]): Promise<string[]> {
  const here = rel === '' ? dir : join(dir, rel);
  let entries: Dirent[];
  try {
    entries = await readdir(here, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const entryRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const abs = join(dir, entryRel);
    if (keep.includes(abs)) continue;
    const onTheWayToKept = keep.some((path) => isAncestorPath(abs, path));
    if (entry.isDirectory() && (onTheWayToKept || leadsToFile(entryRel, files))) {
      removed.push(...(await removeOthers(dir, entryRel, files, keep)));
      continue;
    }
    if (files.has(entryRel) && !entry.isDirectory()) continue;
    await rm(abs, { recursive: true, force: true });
    removed.push(entryRel);
  }
  return removed;
}
