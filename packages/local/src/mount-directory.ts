/**
 * Making sure the directory a job's mount binds is the staging directory it
 * claims to be. bwrap, docker and podman all follow a symbolic link in a
 * bind source, so a job that replaced a staging directory (or one above it)
 * with a link would be handed wherever the link points.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { posix } from 'node:path';
import { BackendError } from '@pollinator/backend';

function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(ancestor.endsWith('/') ? ancestor : `${ancestor}/`);
}

/** lstat, or undefined when nothing is there. */
function lstatOrNothing(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Creates `hostPath` if needed and refuses it when it, or any directory
 * between the closest protected path it lies in (the staging root, trusted)
 * and it, is a symbolic link or not a directory. Outside every protected path only
 * `hostPath` itself is checked: its ancestors are the operator's business.
 */
export function prepareMountDirectory(backendName: string, hostPath: string, protectedPaths: readonly string[]): void {
  const target = posix.normalize(hostPath);
  const root = protectedPaths
    .map((path) => posix.normalize(path))
    .filter((path) => path !== target && isWithin(target, path))
    // The closest one (the staging root): an operator may well have linked a directory above it elsewhere.
    .sort((a, b) => b.length - a.length)[0];
  const refuse = (path: string, what: string) => {
    throw new BackendError(backendName, `refusing to bind ${hostPath} into the job: ${path} is ${what}, not a staging directory`);
  };
  if (root === undefined) {
    const stats = lstatOrNothing(target);
    if (stats?.isSymbolicLink()) refuse(target, 'a symbolic link');
    mkdirSync(target, { recursive: true });
    if (!lstatSync(target).isDirectory()) refuse(target, 'not a directory');
    return;
  }
  mkdirSync(root, { recursive: true });
  let current = root;
  for (const part of target.slice(root.length).split('/').filter((segment) => segment !== '')) {
    current = posix.join(current, part);
    const stats = lstatOrNothing(current);
    if (stats === undefined) {
      // One level at a time, never through a link: a link made meanwhile makes this fail (EEXIST), not follow.
      mkdirSync(current);
      continue;
    }
    if (stats.isSymbolicLink()) refuse(current, 'a symbolic link');
    if (!stats.isDirectory()) refuse(current, 'not a directory');
  }
}
