import { lstatSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CfsError, SymlinkRefusedError, UnsafePathError } from './errors';
import { componentsBelow, isInsideDirectory } from './symlink-policy';

/**
 * Confines a synced directory to a trusted ancestor (an executor's staging
 * root): every component from `ancestor` (trusted, not checked) down to and
 * including `dir` must be a real directory, never a symbolic link, checked
 * with lstat. With `create`, a missing component is made with a
 * non-recursive mkdir and checked again, so a link planted in between is
 * caught too. Returns false when (without `create`) a component is missing.
 */
export function confineDirectory(ancestor: string, dir: string, options: { create: boolean }): boolean {
  const top = resolve(ancestor);
  const target = resolve(dir);
  if (!isInsideDirectory(target, top)) throw new UnsafePathError(target, `not inside ${top}`);
  if (target === top) return true;
  for (const component of componentsBelow(top, target)) {
    let info = lstatSync(component, { throwIfNoEntry: false });
    if (!info) {
      if (!options.create) return false;
      try {
        mkdirSync(component);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      info = lstatSync(component);
    }
    if (info.isSymbolicLink()) throw new SymlinkRefusedError(component, `every directory below ${top} must be a real directory`);
    if (!info.isDirectory()) throw new CfsError('SYNC_FAILED', `${component} is not a directory`);
  }
  return true;
}

/**
 * Creates `rel` under `root` one segment at a time, refusing to go through a
 * symbolic link (except directories the walk followed by policy, `followed`)
 * or a file. `root` itself must already be checked.
 */
export function makeDirectoryInside(root: string, rel: string, followed: ReadonlySet<string> = new Set()): void {
  mkdirSync(root, { recursive: true });
  if (rel === '') return;
  let current = root;
  let currentRel = '';
  for (const segment of rel.split('/')) {
    current = join(current, segment);
    currentRel = currentRel === '' ? segment : `${currentRel}/${segment}`;
    let info = lstatSync(current, { throwIfNoEntry: false });
    if (!info) {
      try {
        mkdirSync(current);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      info = lstatSync(current);
    }
    if (info.isSymbolicLink()) {
      if (followed.has(currentRel)) continue;
      throw new SymlinkRefusedError(current, 'refusing to write through it');
    }
    if (!info.isDirectory()) throw new CfsError('SYNC_FAILED', `${current} is a file but CFS has a directory (label) there`);
  }
}
