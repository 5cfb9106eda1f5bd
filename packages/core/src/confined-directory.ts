/**
 * Directories inside the executor's staging root that a job may have
 * tampered with. On a backend that does not isolate the filesystem a job can
 * replace any directory it reaches with a symlink (its own `result/`, or
 * another project's `data/`); the executor then must never write, read or
 * delete through it (issue #13, cases 1–3). Every component from the trusted
 * root down is checked with `lstat` and created one by one, never following
 * a link.
 */
import { lstat, mkdir, readdir, readlink, rm, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

/** A symlink (or other non-directory) where the executor needs a real directory. */
// Its own marker name: cfs-sync has a SymlinkRefusedError of its own, and
// each class's isInstance must match only its own errors.
const EXECUTOR_SYMLINK_REFUSED = defineErrorMarker<SymlinkRefusedError>('ExecutorSymlinkRefusedError');

export class SymlinkRefusedError extends PollinatorError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super('SYMLINK_REFUSED', `refused ${path}: ${reason}; the executor never follows a symlink a job made`, { details: { path } });
    this.name = 'SymlinkRefusedError';
    EXECUTOR_SYMLINK_REFUSED.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is SymlinkRefusedError {
    return EXECUTOR_SYMLINK_REFUSED.isMarked(value);
  }
}

function componentsBelow(root: string, dir: string): string[] {
  const rel = relative(root, dir);
  if (rel === '') return [];
  // `..x` is a name inside root; only `..` itself (or `../…`) leaves it.
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new SymlinkRefusedError(dir, `it is not inside ${root}`);
  return rel.split(sep);
}

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Checks that every component of `dir` below `root` is a real directory
 * (never a symlink). With `create`, missing components are made one at a
 * time. Resolves true when `dir` exists (always, with `create`), false when
 * it is missing. Throws `SymlinkRefusedError` naming the offending path.
 */
export async function ensureConfinedDirectory(root: string, dir: string, options: { create: boolean }): Promise<boolean> {
  let current = root;
  for (const component of componentsBelow(root, dir)) {
    current = join(current, component);
    let stats = await lstatOrUndefined(current);
    if (!stats) {
      if (!options.create) return false;
      try {
        await mkdir(current);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      stats = await lstat(current);
    }
    if (stats.isSymbolicLink()) {
      const target = await readlink(current).catch(() => '?');
      throw new SymlinkRefusedError(current, `it is a symlink (to ${target})`);
    }
    if (!stats.isDirectory()) throw new SymlinkRefusedError(current, 'it is not a directory');
  }
  return true;
}

/** Removes `dir` (not following any symlink, at any depth) when it is confined below `root`. */
export async function removeConfinedDirectory(root: string, dir: string): Promise<void> {
  if (!(await ensureConfinedDirectory(root, dir, { create: false }))) return;
  // rm never follows symlinks below `dir`; the check above covers `dir` and its ancestors.
  await rm(dir, { recursive: true, force: true });
}

/** A symlink found (and removed) in a staged directory. */
export interface RemovedSymlink {
  /** Path relative to the staged directory. */
  path: string;
  target: string;
}

/**
 * Removes every symlink below `dir` (at any depth, never following one) and
 * lists them. A staged directory holds files from CFS and files the job
 * wrote; a symlink there was made by a job (CFS has none), so it is neither
 * uploaded nor written through — `unlink` removes the link, not its target.
 */
export async function removeSymlinksBelow(dir: string): Promise<RemovedSymlink[]> {
  const removed: RemovedSymlink[] = [];
  const pending: string[] = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await readlink(path).catch(() => '?');
        await unlink(path).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
        removed.push({ path: relative(dir, path), target });
      } else if (entry.isDirectory()) {
        pending.push(path);
      }
    }
  }
  return removed.sort((a, b) => a.path.localeCompare(b.path));
}
