import type { Dirent } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { IgnoreRules, type IgnoreOptions, type IgnoreSource } from './ignore-rules';
import { MARKER_FILE, isInternalName, joinRel } from './paths';
import type { StatIdentity } from './sync-state';
import { throwIfAborted } from './errors';
import { SYMLINK_OPT_IN, isInsideDirectory, type SymlinkPolicy } from './symlink-policy';

export interface LocalFile {
  rel: string;
  dirRel: string;
  name: string;
  /** Where the content is read: the entry itself, or the real target of a symbolic link followed by policy. */
  abs: string;
  stat: StatIdentity;
  /** True when `rel` is a symbolic link the policy followed (its content is `abs`'s). */
  viaSymlink?: boolean;
}

export interface IgnoredEntry {
  rel: string;
  isDir: boolean;
  reason: string;
  rule?: IgnoreSource;
  /** A symbolic link that was not followed: where it points and why it was not followed. */
  symlink?: { target: string; reason: string };
}

export interface LocalTree {
  /** Every non-ignored directory ("" = root), with its regular files. */
  dirs: Map<string, LocalFile[]>;
  /** Ignore rules in force in each walked directory (for remote-only paths, use the nearest parent's). */
  rules: Map<string, IgnoreRules>;
  ignored: IgnoredEntry[];
  /** Leftover download temp files (from an interrupted sync). */
  temps: string[];
  /** Directories reached through a symbolic link the policy followed (writes may go through them). */
  followedDirs: Set<string>;
  /** False when the root directory does not exist yet. */
  exists: boolean;
}

export interface WalkOptions extends IgnoreOptions {
  signal?: AbortSignal;
  /** Default `skip`: symbolic links are listed, never followed. */
  symlinks?: SymlinkPolicy;
  /** Real path a target must resolve inside for `inside`. */
  realSymlinkRoot?: string;
}

export function toIdentity(s: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint }): StatIdentity {
  return { size: Number(s.size), mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, ino: s.ino };
}

/** What a symbolic link leads to under the policy. */
type LinkOutcome =
  | { kind: 'file'; abs: string; stat: StatIdentity }
  | { kind: 'directory'; abs: string }
  | { kind: 'skipped'; target: string; short: string; reason: string; isDir: boolean };

/**
 * Walks `root` with lstat semantics (directory entries' own types, never a
 * stat through a link): regular files and real directories are taken,
 * symbolic links are listed as ignored unless the policy follows them, FIFOs,
 * sockets and devices are listed as not regular. Applies the ignore rules; only reads.
 */
export async function walkLocalTree(root: string, options: WalkOptions = {}): Promise<LocalTree> {
  const tree: LocalTree = { dirs: new Map(), rules: new Map(), ignored: [], temps: [], followedDirs: new Set(), exists: true };
  const policy = options.symlinks ?? 'skip';
  // Real directories already entered through a link: each at most once (no loops, no exponential fan-out).
  const followedTargets = new Map<string, string>();
  const visit = async (abs: string, dirRel: string, inherited: IgnoreRules, ancestors: ReadonlySet<string>): Promise<void> => {
    throwIfAborted(options.signal);
    // Synchronous readdir/lstat: from the page cache they cost microseconds, far
    // less than a trip through the libuv thread pool; the walk yields to the
    // event loop after every directory so RPCs in flight keep being served.
    await yieldToEventLoop();
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && dirRel === '') {
        tree.exists = false;
        tree.rules.set('', inherited); // the defaults still apply to what would be downloaded
        return;
      }
      throw error;
    }
    const here = policy === 'skip' ? ancestors : new Set([...ancestors, directoryId(abs)]);
    const rules = await inherited.descend(abs, dirRel, new Set(entries.map((entry) => entry.name)), options);
    tree.rules.set(dirRel, rules);
    const files: LocalFile[] = [];
    tree.dirs.set(dirRel, files);
    const subdirs: [string, string][] = [];
    for (const entry of entries) {
      const rel = joinRel(dirRel, entry.name);
      const entryAbs = `${abs}/${entry.name}`;
      if (entry.name === MARKER_FILE) {
        if (!entry.isDirectory()) tree.ignored.push({ rel, isDir: false, reason: 'CFS marker file (written by the sync itself)' });
        continue;
      }
      if (isInternalName(entry.name)) {
        // A directory with a temporary name is not ours (downloads make files): left alone, listed.
        if (entry.isDirectory()) tree.ignored.push({ rel, isDir: true, reason: 'reserved name (.pollinator-tmp-* are cfs-sync temporary files)' });
        else tree.temps.push(rel);
        continue;
      }
      const rule = rules.match(rel, entry.isDirectory());
      if (rule) {
        tree.ignored.push({ rel, isDir: entry.isDirectory(), reason: `ignored by ${rule.file}:${rule.line} (${rule.pattern})`, rule });
        continue;
      }
      if (entry.isDirectory()) {
        subdirs.push([entryAbs, rel]);
      } else if (entry.isFile()) {
        const info = lstatSync(entryAbs, { bigint: true, throwIfNoEntry: false });
        if (info?.isFile()) files.push({ rel, dirRel, name: entry.name, abs: entryAbs, stat: toIdentity(info) });
      } else if (entry.isSymbolicLink()) {
        const outcome = resolveLink(entryAbs, policy, options.realSymlinkRoot, here, followedTargets, rel);
        if (outcome.kind === 'file') files.push({ rel, dirRel, name: entry.name, abs: outcome.abs, stat: outcome.stat, viaSymlink: true });
        else if (outcome.kind === 'directory') {
          tree.followedDirs.add(rel);
          subdirs.push([outcome.abs, rel]);
        } else {
          tree.ignored.push({ rel, isDir: outcome.isDir, reason: outcome.reason, symlink: { target: outcome.target, reason: outcome.short } });
        }
      } else {
        tree.ignored.push({ rel, isDir: false, reason: 'not a regular file (FIFO, socket or device)' });
      }
    }
    for (const [subAbs, subRel] of subdirs) await visit(subAbs, subRel, rules, here);
  };
  await visit(root, '', IgnoreRules.root(options), new Set());
  return tree;
}

/** Device and inode of a directory being walked (the root may be a link the policy allowed, hence stat). */
function directoryId(abs: string): string {
  const info = statSync(abs, { bigint: true });
  return `${info.dev}:${info.ino}`;
}

function resolveLink(
  abs: string,
  policy: SymlinkPolicy,
  realRoot: string | undefined,
  ancestors: ReadonlySet<string>,
  followedTargets: Map<string, string>,
  rel: string,
): LinkOutcome {
  let target: string;
  try {
    target = readlinkSync(abs);
  } catch {
    target = '?';
  }
  const skipped = (short: string, reason: string, isDir = false): LinkOutcome => ({ kind: 'skipped', target, short, reason, isDir });
  if (policy === 'skip') {
    return skipped('symbolic links are skipped by default', `symbolic link to ${target}: not uploaded (${SYMLINK_OPT_IN})`);
  }
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ELOOP'
      ? skipped('symbolic link loop', `symbolic link to ${target}: a loop of links, not followed`)
      : skipped('broken symbolic link', `broken symbolic link to ${target}`);
  }
  if (policy === 'inside' && (realRoot === undefined || !isInsideDirectory(real, realRoot))) {
    return skipped(
      'target outside the project',
      `symbolic link to ${target} resolves outside ${realRoot ?? 'the project'}: not uploaded (set sync.symlinks: follow in project.yaml to upload any target)`,
    );
  }
  // `real` has no link left in it: lstat is the target's own type.
  const info = lstatSync(real, { bigint: true, throwIfNoEntry: false });
  if (info?.isFile()) return { kind: 'file', abs: real, stat: toIdentity(info) };
  if (!info?.isDirectory()) return skipped('not a regular file', `symbolic link to ${target}: not a regular file or directory`);
  const id = `${info.dev}:${info.ino}`;
  if (ancestors.has(id)) return skipped('symbolic link loop', `symbolic link to ${target}: points to a directory that contains it (a loop), not followed`, true);
  const earlier = followedTargets.get(id);
  if (earlier !== undefined) {
    return skipped('already included', `symbolic link to ${target}: the same directory is already included as ${earlier}`, true);
  }
  followedTargets.set(id, rel);
  return { kind: 'directory', abs: real };
}
