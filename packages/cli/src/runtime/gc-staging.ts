import { chmod, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The embedded executor's staging for `pollinator gc`: the directories jobs
 * were staged in under the executor's fs dir (`<fsDir>/pollinator/<project>/…`:
 * each run's src snapshot, the data and result dirs). Every one of them can
 * be made again from CFS, so any that no waiting or running process stages
 * goes. Removal is two-phase: a candidate is first moved into a trash dir,
 * then the active dirs are asked for again, and one a job started staging in
 * between is moved back (when the job has not made a fresh one already).
 */

/** Fewest components a removable staging dir has (`/pollinator/<project>`), as the executor's own rule. */
const MIN_COMPONENTS = 2;
/** Trash dirs of a gc, at the top of the fs dir; one left by an interrupted gc is removed by the next. */
const TRASH_PREFIX = '.pollinator-gc-';

export interface StagingDir {
  /** Host path. */
  path: string;
  /** The CFS path (`/pollinator/p/<snapshot>`), '' for a trash dir an interrupted gc left. */
  dir: string;
  bytes: number;
}

/** True when the CFS paths `a` and `b` are the same, or one is inside the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** Apparent size of a tree (symlinks count as themselves, never followed). */
async function treeBytes(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.size;
  const names = await readdir(path).catch(() => [] as string[]);
  let total = 0;
  for (const name of names) total += await treeBytes(join(path, name));
  return total;
}

/**
 * The staging dirs no active dir overlaps, each as high up as possible (but
 * never above `/<namespace>/<project>`), with their sizes. `activeDirs` are
 * the CFS paths waiting and running processes stage.
 */
export async function findStagingDirs(fsDir: string, activeDirs: readonly string[]): Promise<StagingDir[]> {
  const found: StagingDir[] = [];
  async function visit(path: string, dir: string, depth: number): Promise<void> {
    const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const childPath = join(path, entry.name);
      if (depth === 0 && entry.name.startsWith(TRASH_PREFIX)) {
        found.push({ path: childPath, dir: '', bytes: await treeBytes(childPath) });
        continue;
      }
      const child = `${dir}/${entry.name}`;
      const touching = activeDirs.filter((active) => overlaps(active, child));
      if (depth + 1 >= MIN_COMPONENTS && touching.length === 0) {
        found.push({ path: childPath, dir: child, bytes: await treeBytes(childPath) });
      } else if (!touching.some((active) => active === child || child.startsWith(`${active}/`))) {
        // Only dirs below this one are in use (or it is too close to the root): look inside.
        await visit(childPath, child, depth + 1);
      }
    }
  }
  await visit(fsDir, '', 0);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** Gives the owner write access to every directory of a tree (never following a symlink). */
async function makeWritable(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) return;
  await chmod(path, info.mode | 0o700).catch(() => undefined);
  const names = await readdir(path).catch(() => [] as string[]);
  for (const name of names) await makeWritable(join(path, name));
}

/** Removes a tree; one with read-only directories in it (a job's Go module cache, say) after making them writable. */
async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES' && (error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    await makeWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Removes `dirs` (from `findStagingDirs`), except any that `activeNow` (asked
 * after they were moved aside) says a job stages. Returns the ones removed.
 */
export async function removeStagingDirs(fsDir: string, dirs: readonly StagingDir[], activeNow: () => Promise<string[]>): Promise<StagingDir[]> {
  if (dirs.length === 0) return [];
  const trash = join(fsDir, `${TRASH_PREFIX}${process.pid}-${Date.now().toString(36)}`);
  await mkdir(trash, { recursive: true });
  const moved: Array<{ entry: StagingDir; to: string }> = [];
  const leftovers: StagingDir[] = [];
  for (const [index, entry] of dirs.entries()) {
    if (entry.dir === '') {
      leftovers.push(entry);
      continue;
    }
    const to = join(trash, String(index));
    try {
      await rename(entry.path, to);
      moved.push({ entry, to });
    } catch (error) {
      // Gone meanwhile (the executor cleaned it up): nothing to do.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  let active: string[] | undefined;
  const restored = new Set<string>();
  try {
    active = await activeNow();
  } finally {
    // Unsure what is active now (the question failed): put everything back.
    for (const { entry, to } of moved) {
      const inUse = active === undefined || active.some((dir) => overlaps(dir, entry.dir));
      // A job that made a fresh copy meanwhile keeps it; the old one goes.
      if (inUse && !(await exists(entry.path))) {
        await mkdir(dirname(entry.path), { recursive: true });
        await rename(to, entry.path);
        restored.add(entry.path);
      }
    }
  }
  await removeTree(trash);
  for (const leftover of leftovers) await removeTree(leftover.path);
  return [...leftovers, ...moved.map(({ entry }) => entry).filter((entry) => !restored.has(entry.path))];
}
