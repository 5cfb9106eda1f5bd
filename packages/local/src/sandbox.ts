/**
 * Making `fs.mount` paths work for a job that runs as a plain process (no
 * container image). Two strategies:
 *
 * - `bwrap` (preferred, Linux with bubblewrap): the job runs in a private mount
 *   and PID namespace whose root is a tmpfs rebuilt from the host's top-level
 *   entries, with each `hostPath` bound at its `containerPath`. The job sees
 *   exactly the paths a container would (`/cfs/pollinator/<proj>/…`) and the
 *   host is never modified: mount points are created inside the tmpfs, never
 *   on the host's filesystem. The PID namespace means that when the job ends
 *   or is killed, every process it left behind dies with it, even daemons
 *   that escaped its process group.
 * - `rewrite` (fallback, any POSIX system): the job runs on the host and every
 *   occurrence of a `containerPath` at a path boundary in the command, the init
 *   command and the environment values (PROJECT_DIR, …) is rewritten to the
 *   `hostPath`. Paths the program builds itself from a literal `/cfs` are not
 *   rewritten; Pollinator projects use `$PROJECT_DIR`, which is.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import type { JobMount } from '@pollinator/core';

let bwrapProbe: Map<string, boolean> | undefined;

/** Whether `bwrap` exists and can create the namespaces the sandbox needs (probed once per path). */
export function bwrapUsable(bwrapPath = 'bwrap'): boolean {
  bwrapProbe ??= new Map();
  const cached = bwrapProbe.get(bwrapPath);
  if (cached !== undefined) return cached;
  let usable = false;
  try {
    execFileSync(bwrapPath, ['--dev-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--', 'true'], {
      stdio: 'ignore',
      timeout: 5000,
    });
    usable = true;
  } catch {
    usable = false;
  }
  bwrapProbe.set(bwrapPath, usable);
  return usable;
}

function normalise(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/**
 * The bwrap arguments (before `--`) that rebuild the host's view with the
 * mounts bound at their container paths. Directories that are ancestors of a
 * mount point are recreated in the tmpfs and filled with binds of the host's
 * own entries, except the one leading to the mount point.
 */
export function bwrapArguments(mounts: JobMount[], chdir: string): string[] {
  const targets = mounts.map((mount) => ({ ...mount, containerPath: normalise(mount.containerPath) }));
  for (const mount of targets) {
    if (!mount.containerPath.startsWith('/') || mount.containerPath === '/') {
      throw new Error(`mount path must be an absolute path below /: ${JSON.stringify(mount.containerPath)}`);
    }
  }
  // Every ancestor of a mount point (including '/') is a "split" directory.
  const split = new Set<string>(['/']);
  for (const mount of targets) {
    let dir = posix.dirname(mount.containerPath);
    while (!split.has(dir)) {
      split.add(dir);
      dir = posix.dirname(dir);
    }
  }
  const mountPoints = new Set(targets.map((mount) => mount.containerPath));
  const args: string[] = [];
  // Parents before children, so binds land inside recreated directories.
  const ordered = [...split].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  for (const dir of ordered) {
    if (dir !== '/') args.push('--dir', dir);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      entries = [];
    }
    for (const entry of entries.sort()) {
      const path = dir === '/' ? `/${entry}` : `${dir}/${entry}`;
      if (split.has(path) || mountPoints.has(path)) continue;
      if (path === '/proc') continue;
      let stats;
      try {
        stats = lstatSync(path);
      } catch {
        continue;
      }
      if (stats.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else if (stats.isDirectory()) args.push('--dev-bind', path, path);
      else args.push('--bind', path, path);
    }
  }
  args.push('--proc', '/proc', '--unshare-pid');
  for (const mount of targets) args.push('--bind', mount.hostPath, mount.containerPath);
  args.push('--chdir', chdir);
  return args;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites every `containerPath` that stands at a path boundary (start of the
 * string or after a character that cannot be part of a path, and followed by
 * `/` or the end of the path) to its `hostPath`. Longer container paths win.
 */
export function rewritePaths(text: string, mounts: JobMount[]): string {
  const sorted = [...mounts]
    .map((mount) => ({ hostPath: normalise(mount.hostPath), containerPath: normalise(mount.containerPath) }))
    .sort((a, b) => b.containerPath.length - a.containerPath.length);
  if (sorted.length === 0) return text;
  const pattern = new RegExp(
    `(^|[^A-Za-z0-9_.\\-/~])(${sorted.map((mount) => escapeRegExp(mount.containerPath)).join('|')})(?=$|/|[^A-Za-z0-9_.\\-])`,
    'g',
  );
  return text.replace(pattern, (_match, before: string, path: string) => {
    const mount = sorted.find((candidate) => candidate.containerPath === path);
    return before + (mount ? mount.hostPath : path);
  });
}
