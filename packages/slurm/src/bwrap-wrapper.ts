/**
 * The bubblewrap wrapper of runtime `none` (commands run on the node itself).
 * The job sees the node's filesystem (`--dev-bind / /`: its software, its
 * scratch), which is why runtime `none` does not isolate the filesystem, but
 * never what `JobRequest.protectedPaths` names: each existing protected
 * directory is covered by an empty tmpfs, each protected file by /dev/null,
 * before the job's own mounts are bound (bubblewrap reads bind sources from
 * the host's view, so a mount below a hidden directory still works). The job
 * gets a PID namespace that dies with it, so no child it started (setsid,
 * double fork) outlives a cancel.
 */
import { statSync } from 'node:fs';
import type { JobRequest } from '@pollinator/backend';

/** What is at a host path: a directory, something else, or nothing. */
export type PathKind = 'directory' | 'file' | undefined;

export function hostPathKind(path: string): PathKind {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch {
    return undefined;
  }
}

function isInside(path: string, ancestor: string): boolean {
  const prefix = ancestor.endsWith('/') ? ancestor : `${ancestor}/`;
  return path === ancestor || path.startsWith(prefix);
}

/** `bwrap … --` for the job (the command follows). */
export function bwrapArguments(job: JobRequest, pathKind: (path: string) => PathKind = hostPathKind): string[] {
  const args = ['bwrap', '--dev-bind', '/', '/', '--unshare-pid', '--die-with-parent'];
  // Ancestors first, so a hidden directory inside another hidden one is still made (inside the tmpfs).
  const hidden = [...new Set(job.protectedPaths)].sort((a, b) => a.length - b.length);
  for (const path of hidden) {
    // A path that does not exist is not created on the host (the new root is the host's).
    const kind = pathKind(path);
    if (kind === 'directory') args.push('--tmpfs', path);
    else if (kind === 'file') args.push('--ro-bind', '/dev/null', path);
  }
  // The job's work dir (its cwd, set by sbatch) stays reachable even below a hidden directory.
  if (hidden.some((path) => isInside(job.workDir, path))) args.push('--bind', job.workDir, job.workDir);
  // The mount root (`/cfs`) is a fresh tmpfs, as the whole staging root once was bound there: the
  // mount points of the job's dirs are made inside it, not on the node (where another job could plant them).
  for (const root of new Set(job.mounts.map(mountRoot).filter((root): root is string => root !== undefined))) args.push('--tmpfs', root);
  for (const mount of job.mounts) args.push('--bind', mount.hostPath, mount.containerPath);
  args.push('--');
  return args;
}

/**
 * `/cfs` for a mount of `<fsDir>/pollinator/p/data` at `/cfs/pollinator/p/data`:
 * the container path without the tail it shares with the host path.
 * Undefined when the paths are equal or share everything but `/`.
 */
export function mountRoot(mount: { hostPath: string; containerPath: string }): string | undefined {
  if (mount.hostPath === mount.containerPath) return undefined;
  const host = mount.hostPath.split('/').filter(Boolean);
  const container = mount.containerPath.split('/').filter(Boolean);
  let shared = 0;
  while (shared < container.length && shared < host.length && container[container.length - 1 - shared] === host[host.length - 1 - shared]) shared += 1;
  const root = container.slice(0, container.length - shared);
  return root.length === 0 ? undefined : `/${root.join('/')}`;
}
