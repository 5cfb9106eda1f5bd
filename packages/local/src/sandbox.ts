/**
 * Making `fs.mount` paths work for a job that runs as a plain process (no
 * container image), and keeping the job away from what is not its own. Two
 * strategies:
 *
 * - `bwrap` (preferred, Linux with bubblewrap): the job runs in private
 *   mount, PID and IPC namespaces with no capabilities. Its root is a tmpfs
 *   rebuilt from the host's entries, bound READ-ONLY (programs, libraries and
 *   Python stay usable); `/tmp` is a private tmpfs and `/dev` a minimal one.
 *   Every protected path (the executor's state directory and keys, the whole
 *   staging root, the dev-server's identities) is simply not bound: each of
 *   its ancestors is rebuilt from the host's other entries, so the job sees
 *   no trace of it. Only the job's own mounts (at their container paths),
 *   its work directory (at SANDBOX_WORK_DIR) and its /tmp are writable. The
 *   host is never modified: mount points are created inside the tmpfs, which
 *   is then made read-only too. The PID namespace means that when the job
 *   ends or is killed, every process it left behind dies with it, even
 *   daemons that escaped its process group or session.
 * - `rewrite` (fallback, any POSIX system): the job runs on the host and every
 *   occurrence of a `containerPath` at a path boundary in the command, the init
 *   command and the environment values (PROJECT_DIR, …) is rewritten to the
 *   `hostPath`. Paths the program builds itself from a literal `/cfs` are not
 *   rewritten; Pollinator projects use `$PROJECT_DIR`, which is. This mode
 *   ISOLATES NOTHING: the job can read and write whatever the executor's user
 *   can (see REWRITE_MODE_WARNING).
 */
import { execFile } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import type { JobMount } from '@pollinator/backend';

/** What the backend says once when it has to run jobs without bubblewrap. */
export const REWRITE_MODE_WARNING =
  'local backend: jobs run as plain processes without bubblewrap (path rewriting), which isolates nothing: ' +
  "a job can read and write everything this executor's user can, including the executor's state directory, " +
  'its keys and other projects\' staged files. Install bubblewrap (e.g. apt-get install bubblewrap) or use ' +
  'Docker/Podman before running other people\'s jobs here.';

/** Host sockets that would let a job command the machine (a container engine runs anything as root). */
export const ALWAYS_HIDDEN_PATHS = [
  '/run/docker.sock',
  '/var/run/docker.sock',
  '/run/containerd',
  '/run/podman',
  '/run/crio',
];

/**
 * Credentials of the executor's own user (relative to its home directory):
 * the host view shows the rest of the home directory (a pyenv Python lives
 * there), never these.
 */
export const HIDDEN_HOME_ENTRIES = [
  '.ssh',
  '.gnupg',
  '.aws',
  '.azure',
  '.kube',
  '.docker',
  '.config/gcloud',
  '.netrc',
  '.git-credentials',
  '.npmrc',
  '.pypirc',
];

/**
 * Where the job's work directory appears, and its working directory. Not its
 * host path: that lies inside the executor's state directory, whose layout
 * is none of the job's business.
 */
export const SANDBOX_WORK_DIR = '/pollinator-job';

/** Directories the sandbox always replaces with its own: never bound from the host. */
const PRIVATE_ROOTS = ['/dev', '/proc', '/tmp'];

const bwrapProbes = new Map<string, Promise<boolean>>();

/**
 * Whether `bwrap` exists and can build the sandbox (read-only binds, private
 * namespaces, no capabilities). Probed once per path, asynchronously: the
 * probe may take a while on a loaded machine and must not block the event
 * loop of the executor that asks.
 */
export function bwrapUsable(bwrapPath = 'bwrap'): Promise<boolean> {
  let probe = bwrapProbes.get(bwrapPath);
  if (probe === undefined) {
    const args = [
      '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp',
      '--unshare-pid', '--unshare-ipc', '--cap-drop', 'ALL', '--die-with-parent', '--remount-ro', '/', '--', 'true',
    ];
    probe = new Promise<boolean>((resolve) => {
      execFile(bwrapPath, args, { timeout: 10_000 }, (error) => resolve(error === null));
    });
    bwrapProbes.set(bwrapPath, probe);
  }
  return probe;
}

function normalise(path: string): string {
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** `path` equals `ancestor` or lies below it. */
function within(path: string, ancestor: string): boolean {
  return path === ancestor || ancestor === '/' || path.startsWith(`${ancestor}/`);
}

/**
 * Where a path really is: its symlinks resolved, and for a path that does not
 * exist yet, its deepest existing ancestor resolved. The view rebuilds host
 * symlinks as symlinks, so hiding the real place hides every spelling.
 */
function canonical(path: string): string {
  const normal = normalise(path);
  let head = normal;
  let rest = '';
  for (;;) {
    try {
      const real = realpathSync(head);
      return rest === '' ? real : posix.join(real, rest);
    } catch {
      if (head === '/') return normal;
      rest = rest === '' ? posix.basename(head) : posix.join(posix.basename(head), rest);
      head = posix.dirname(head);
    }
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface SandboxLayout {
  /** The job's own directories, bound read-write at their container paths. */
  mounts: JobMount[];
  /** The job's private work directory (host path): bound read-write at SANDBOX_WORK_DIR, the job's working directory. */
  workDir: string;
  /** Host paths the job must not see (JobRequest.protectedPaths). */
  protectedPaths: string[];
}

interface Bind {
  source: string;
  target: string;
}

function checkedBinds(layout: SandboxLayout): Bind[] {
  const binds = layout.mounts.map((mount) => ({ source: mount.hostPath, target: normalise(mount.containerPath) }));
  binds.push({ source: layout.workDir, target: SANDBOX_WORK_DIR });
  for (const bind of binds) {
    if (!bind.source.startsWith('/') || normalise(bind.source) === '/') {
      throw new Error(`a mount's host path must be an absolute path below /: ${JSON.stringify(bind.source)}`);
    }
    if (!bind.target.startsWith('/') || bind.target === '/') {
      throw new Error(`mount path must be an absolute path below /: ${JSON.stringify(bind.target)}`);
    }
    if (within(bind.target, '/proc') || within(bind.target, '/dev')) {
      throw new Error(`mount path must not be in /proc or /dev: ${JSON.stringify(bind.target)}`);
    }
  }
  return binds;
}

/** Every strict ancestor of `path`, '/' included. */
function ancestors(path: string): string[] {
  const result: string[] = [];
  let dir = posix.dirname(path);
  for (;;) {
    result.push(dir);
    if (dir === '/') return result;
    dir = posix.dirname(dir);
  }
}

/** The arguments that bind one host entry read-only (nothing for sockets and devices). */
function hostEntryArguments(path: string): string[] {
  let stats;
  try {
    stats = lstatSync(path);
  } catch {
    return [];
  }
  if (stats.isSymbolicLink()) return ['--symlink', readlinkSync(path), path];
  // -try: an entry that disappears before bwrap starts is not a reason to fail the job.
  if (stats.isDirectory() || stats.isFile()) return ['--ro-bind-try', path, path];
  return [];
}

/**
 * The bwrap arguments (before `--`) that build the job's view: the host's
 * entries read-only, minus every protected path, with the job's mounts and
 * work directory bound writable. Directories that are ancestors of a mount
 * point or of a protected path are recreated in the tmpfs and filled with
 * read-only binds of the host's own entries, except the one leading to the
 * mount point or protected path.
 */
export function bwrapArguments(layout: SandboxLayout): string[] {
  const binds = checkedBinds(layout);
  const home = homedir();
  const alwaysHidden = [...ALWAYS_HIDDEN_PATHS, ...(home === '' || home === '/' ? [] : HIDDEN_HOME_ENTRIES.map((entry) => posix.join(home, entry)))];
  const hidden = [...new Set([...layout.protectedPaths.map(canonical), ...alwaysHidden.filter(exists).map(canonical)])];
  if (hidden.includes('/')) throw new Error('a protected path is /: nothing would be left to run the job with');
  // Directories recreated empty and refilled entry by entry.
  const split = new Set<string>();
  const bindAncestors = new Set(binds.flatMap((bind) => ancestors(bind.target)));
  for (const path of [...bindAncestors, ...hidden.flatMap(ancestors)]) split.add(path);
  const targets = new Set(binds.map((bind) => bind.target));
  // Nothing of the host is bound inside these: a protected path, or a directory the sandbox owns.
  const opaque = [...hidden, ...PRIVATE_ROOTS];

  const args: string[] = ['--dev', '/dev', '--tmpfs', '/dev/shm', '--proc', '/proc', '--tmpfs', '/tmp'];
  // Parents before children, so binds land inside recreated directories.
  const ordered = [...split].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  for (const dir of ordered) args.push(...rebuiltDirectoryArguments(dir, { split, targets, bindAncestors, opaque }));
  for (const bind of binds) args.push('--bind', bind.source, bind.target);
  args.push(...hiddenBelowBinds(binds, hidden));
  // The rebuilt root itself (a tmpfs) is read-only too; the binds above are mounts of their own and stay writable.
  args.push('--remount-ro', '/');
  args.push('--unshare-pid', '--unshare-ipc', '--cap-drop', 'ALL', '--die-with-parent', '--chdir', SANDBOX_WORK_DIR);
  return args;
}

interface RebuildPlan {
  /** Directories recreated empty and refilled entry by entry. */
  split: Set<string>;
  /** Where the binds go (filled by them, not from the host). */
  targets: Set<string>;
  bindAncestors: Set<string>;
  /** Nothing of the host is bound inside these. */
  opaque: string[];
}

/**
 * One recreated directory: `--dir`, then a read-only bind of each host entry
 * that is not split further, a bind target or hidden. Hidden paths are
 * matched against where the directory really is too: a container path may
 * lead through a host symlink (`/var/run` → `/run`).
 */
function rebuiltDirectoryArguments(dir: string, plan: RebuildPlan): string[] {
  const realDir = canonical(dir);
  const hiddenAt = (path: string, real: string) => plan.opaque.some((other) => within(path, other) || within(real, other));
  // Inside a hidden or private directory only the way to a mount point is built, empty.
  if (hiddenAt(dir, realDir)) {
    return plan.bindAncestors.has(dir) && !PRIVATE_ROOTS.includes(dir) ? ['--dir', dir] : [];
  }
  const args = dir === '/' ? [] : ['--dir', dir];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    entries = [];
  }
  for (const entry of entries.sort()) {
    const path = dir === '/' ? `/${entry}` : `${dir}/${entry}`;
    if (plan.split.has(path) || plan.targets.has(path) || hiddenAt(path, posix.join(realDir, entry))) continue;
    args.push(...hostEntryArguments(path));
  }
  return args;
}

/**
 * A protected path inside a directory the job is given (say the executor's
 * state directory inside a mounted staging directory): covered again at the
 * place where the job sees it. A directory gets an empty tmpfs, a file
 * /dev/null.
 */
function hiddenBelowBinds(binds: Bind[], hidden: string[]): string[] {
  const args: string[] = [];
  for (const bind of binds) {
    const source = canonical(bind.source);
    for (const path of hidden) {
      if (path === source || !within(path, source)) continue;
      const target = bind.target + path.slice(source.length);
      let stats;
      try {
        stats = lstatSync(path);
      } catch {
        continue;
      }
      if (stats.isDirectory()) args.push('--tmpfs', target);
      else if (!stats.isSymbolicLink()) args.push('--ro-bind', '/dev/null', target);
    }
  }
  return args;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The mounts plus the ancestors they share with their host paths: a mount
 * `/srv/fs/pollinator/p/result` → `/cfs/pollinator/p/result` also maps
 * `/cfs/pollinator/p` → `/srv/fs/pollinator/p` and so on up to `/cfs`, so
 * `$PROJECT_DIR/result` still works when only the job's own directories are
 * mounted (the shell expands `$PROJECT_DIR` after the rewrite, so its value
 * must be rewritten itself).
 */
function withSharedAncestors(mounts: JobMount[]): JobMount[] {
  const all = new Map<string, string>();
  for (const mount of mounts) {
    let host = normalise(mount.hostPath);
    let container = normalise(mount.containerPath);
    all.set(container, host);
    while (container !== '/' && host !== '/' && posix.basename(container) === posix.basename(host)) {
      host = posix.dirname(host);
      container = posix.dirname(container);
      if (container === '/' || all.has(container)) break;
      all.set(container, host);
    }
  }
  return [...all].map(([containerPath, hostPath]) => ({ containerPath, hostPath }));
}

/**
 * Rewrites every `containerPath` (and every ancestor it shares with its
 * `hostPath`, see withSharedAncestors) that stands at a path boundary (start
 * of the string or after a character that cannot be part of a path, and
 * followed by `/` or the end of the path) to its `hostPath`. Longer container
 * paths win.
 */
export function rewritePaths(text: string, mounts: JobMount[]): string {
  const sorted = withSharedAncestors(mounts).sort((a, b) => b.containerPath.length - a.containerPath.length);
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
