import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CfsError, SymlinkRefusedError } from './errors';

/**
 * What the sync does with a symbolic link it finds in the tree (and with a
 * synced directory that is one): `skip` (default) lists it and moves nothing
 * through it; `inside` follows it when its real target is inside `symlinkRoot`;
 * `follow` follows it wherever it points (the owner of the tree said so).
 */
export type SymlinkPolicy = 'skip' | 'inside' | 'follow';

export const SYMLINK_POLICIES: readonly SymlinkPolicy[] = ['skip', 'inside', 'follow'];

/** How a user opts in, appended to every skipped link's reason. */
export const SYMLINK_OPT_IN =
  'to upload what it points to, set sync.symlinks: inside in project.yaml (targets inside the project) or follow (any target)';

export interface SymlinkOptions {
  symlinks?: SymlinkPolicy;
  /** The directory a target must resolve inside for `inside`. */
  symlinkRoot?: string;
}

/** True when `path` is `dir` or below it (both absolute, already resolved). */
export function isInsideDirectory(path: string, dir: string): boolean {
  const back = relative(dir, path);
  return back === '' || (!isAbsolute(back) && back !== '..' && !back.startsWith(`..${sep}`));
}

export function assertSymlinkPolicy(policy: unknown): asserts policy is SymlinkPolicy | undefined {
  if (policy !== undefined && !SYMLINK_POLICIES.includes(policy as SymlinkPolicy)) {
    throw new CfsError('INVALID_CONFIG', `symlinks must be one of ${SYMLINK_POLICIES.join(', ')}, not ${JSON.stringify(policy)}`);
  }
}

/** The real path of `symlinkRoot` (undefined when not given or missing): targets are compared against it. */
export function realSymlinkRoot(options: SymlinkOptions): string | undefined {
  if (options.symlinkRoot === undefined) return undefined;
  try {
    return realpathSync(resolve(options.symlinkRoot));
  } catch {
    return undefined;
  }
}

/**
 * Checks the synced directory before anything is read from or written to it:
 * with lstat, the directory itself and (when it lies inside `symlinkRoot`)
 * every component below `symlinkRoot`. A component that is a symbolic link is
 * followed only when the policy allows it (`inside`: the directory's real path
 * is inside the real `symlinkRoot`; `follow`); otherwise SymlinkRefusedError.
 * Missing components are fine (the sync creates them).
 */
export function checkSyncRoot(dir: string, options: SymlinkOptions): void {
  const policy = options.symlinks ?? 'skip';
  const root = options.symlinkRoot === undefined ? undefined : resolve(options.symlinkRoot);
  const start = root !== undefined && root !== dir && isInsideDirectory(dir, root) ? root : undefined;
  const components = start === undefined ? [dir] : componentsBelow(start, dir);
  for (const component of components) {
    const info = lstatSync(component, { throwIfNoEntry: false });
    if (!info) return;
    if (!info.isSymbolicLink()) continue;
    if (policy === 'follow') return;
    if (policy === 'skip') throw new SymlinkRefusedError(component, `symbolic links are not followed by default; ${SYMLINK_OPT_IN}`);
    const realRoot = realSymlinkRoot(options);
    let real: string | undefined;
    try {
      real = realpathSync(dir);
    } catch {
      real = undefined;
    }
    if (realRoot === undefined || real === undefined || !isInsideDirectory(real, realRoot)) {
      throw new SymlinkRefusedError(
        component,
        `it resolves to ${real ?? 'nothing (broken link)'}, outside ${options.symlinkRoot ?? 'the project'}; set sync.symlinks: follow in project.yaml to sync it anyway`,
      );
    }
    return;
  }
}

/** `start/a`, `start/a/b`, … down to and including `dir` (which is below `start`). */
export function componentsBelow(start: string, dir: string): string[] {
  const components: string[] = [];
  let current = start;
  for (const segment of relative(start, dir).split(sep)) {
    current = join(current, segment);
    components.push(current);
  }
  return components;
}
