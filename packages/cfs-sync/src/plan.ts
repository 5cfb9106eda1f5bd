import { resolve } from 'node:path';
import pLimit from 'p-limit';
import type { CfsMetadata, FileData } from './types';
import type { IgnoreOptions, IgnoreSource } from './ignore-rules';
import { walkLocalTree, type LocalFile } from './walk';
import { SyncState } from './sync-state';
import { EMPTY_SHA256, sha256File } from './hash';
import { TEMP_PREFIX, assertSafeLabel, assertSafeName, isInternalName, joinRel, labelToRelative, relativeToLabel } from './paths';
import { throwIfAborted } from './errors';
import { defaultStateDir } from './sync-state';
import { assertSymlinkPolicy, checkSyncRoot, realSymlinkRoot, type SymlinkOptions, type SymlinkPolicy } from './symlink-policy';
import { confineDirectory } from './confine';

export type SyncAction = 'upload' | 'download' | 'conflict' | 'unchanged' | 'ignored';

/** How a conflict is settled when the plan is applied. */
export type ConflictResolution = 'upload' | 'download' | 'backup-and-download' | 'refuse';

export interface SyncPlanEntry {
  /** POSIX path relative to the synced directory. */
  path: string;
  label: string;
  name: string;
  action: SyncAction;
  /** Bytes this entry transfers (upload/download/conflict), else the file's size (0 for ignored directories). */
  size: number;
  /** Human-readable why. */
  reason: string;
  /** Conflicts only. */
  resolution?: ConflictResolution;
  localChecksum?: string;
  remoteChecksum?: string;
  /** Ignored entries: the rule, file and line that ignore it (absent for built-in reasons). */
  ignoredBy?: IgnoreSource;
  /** Ignored entries: true for a directory (nothing below it is looked at). */
  isDirectory?: boolean;
  /** A symbolic link that was not followed: its target (as written in the link) and why it was not followed. */
  symlink?: { target: string; reason: string };
  /** The remote revision (downloads, conflicts, unchanged). */
  remote?: FileData;
}

export interface SyncPlanSummary {
  upload: { files: number; bytes: number };
  download: { files: number; bytes: number };
  conflict: { files: number; bytes: number };
  unchanged: { files: number; bytes: number };
  ignored: { files: number };
}

export interface SyncPlan {
  dir: string;
  label: string;
  keepLocal: boolean;
  onConflict: 'backup' | 'fail';
  /** Every file (and ignored directory), sorted by path. */
  entries: SyncPlanEntry[];
  /** Every directory the sync covers, with its label. */
  directories: { path: string; label: string }[];
  summary: SyncPlanSummary;
  /** Metadata RPCs the plan made (1 label listing + 1 file listing per remote label). */
  metadataCalls: number;
  /** Local files whose content was read to hash them (0 on a no-op re-sync with a warm stat cache). */
  hashedFiles: number;
}

export interface PlanOptions {
  /** Local directory (created on apply when missing). */
  dir: string;
  /** CFS label of `dir`, e.g. `/pollinator/<project>/src`. */
  label: string;
  metadata: CfsMetadata;
  /**
   * On a conflict (both sides have the file, contents differ): true → the local
   * version is uploaded as a new revision; false → the remote version is
   * downloaded, and a local edit is kept as a backup (or refused, see onConflict).
   */
  keepLocal: boolean;
  /** When the remote side wins over a local edit: keep a backup (default) or refuse the whole sync. */
  onConflict?: 'backup' | 'fail';
  ignore?: IgnoreOptions;
  /** Where the stat cache and resume journals live; false = in memory only. Default `defaultStateDir()`. */
  stateDir?: string | false;
  signal?: AbortSignal;
  /** Parallel metadata listings and file hashes. Default 16. */
  planConcurrency?: number;
  /**
   * Symbolic links in the tree, and a synced directory that is one: `skip`
   * (default) lists them as ignored entries and never reads or writes through
   * them; `inside` follows those whose real target is inside `symlinkRoot`;
   * `follow` follows every one (loops and repeats are still skipped).
   */
  symlinks?: SymlinkPolicy;
  /** The directory a link's target must resolve inside for `symlinks: 'inside'` (e.g. the project directory). */
  symlinkRoot?: string;
  /**
   * A trusted ancestor of `dir` (an executor's staging root): every component
   * from it down to and including `dir` must be a real directory, never a
   * symbolic link, whatever `symlinks` says (SymlinkRefusedError, code
   * SYMLINK_REFUSED); missing ones are created one at a time on apply.
   */
  confineTo?: string;
}

/** What applySync needs beyond the public plan (kept off the plan so it stays JSON-serialisable). */
export interface PlanInternals {
  state: SyncState;
  local: Map<string, LocalFile>;
  temps: string[];
  /** Directories reached through a link the policy followed: writes may go through these links. */
  followedDirs: Set<string>;
  /** The trusted ancestor to check `dir` against again, creating it, before anything is written. */
  confineTo?: string;
  /** Without confineTo: the policy the root is checked against again before anything is written. */
  rootPolicy: SymlinkOptions;
  metadata: CfsMetadata;
  /** Checksums computed (or read from the cache) while planning. */
  checksums: Map<string, string>;
}
const internals = new WeakMap<SyncPlan, PlanInternals>();

export function planInternals(plan: SyncPlan): PlanInternals {
  const found = internals.get(plan);
  if (!found) throw new TypeError('[pollinator] [cfs-sync] applySync() needs a plan returned by planSync()');
  return found;
}

/**
 * Lists the root label and every sub-label, robust to the server quirk that an
 * exact lookup returns nothing when the root label has no direct files: a
 * prefix lookup, filtered to `label` and `label/…`.
 */
export async function listLabels(metadata: CfsMetadata, label: string): Promise<string[]> {
  const labels = await metadata.getFileLabels(label, false);
  return (labels ?? [])
    .map((entry) => entry.name)
    .filter((name) => name === label || name.startsWith(`${label}/`));
}

/**
 * Computes what a sync of `dir` ↔ `label` would do, without writing anything
 * locally or remotely: every file with its action, size and reason. Reads the
 * local tree (hashing only files present on both sides whose stat cache entry
 * is stale), one label listing and one file listing per remote label.
 */
export async function planSync(options: PlanOptions): Promise<SyncPlan> {
  assertSafeLabel(options.label);
  assertSymlinkPolicy(options.symlinks);
  const dir = resolve(options.dir);
  if (options.confineTo !== undefined) confineDirectory(options.confineTo, dir, { create: false });
  else checkSyncRoot(dir, options);
  const realRoot = options.confineTo === undefined ? realSymlinkRoot(options) : undefined;
  const label = options.label;
  const signal = options.signal;
  const limit = pLimit(options.planConcurrency ?? 16);
  const stateDir = options.stateDir ?? defaultStateDir();
  // The label listing and then the file listings run while the local tree is walked.
  let metadataCalls = 1;
  const remoteFiles = new Map<string, FileData[]>();
  const remoteListing = (async () => {
    const labels = await listLabels(options.metadata, label);
    await Promise.all(
      labels.map((remoteLabel) =>
        limit(async () => {
          throwIfAborted(signal);
          remoteFiles.set(remoteLabel, (await options.metadata.getFiles(remoteLabel)) ?? []);
          metadataCalls += 1;
        }),
      ),
    );
    return labels;
  })();
  const [tree, remoteLabels, state] = await Promise.all([
    walkLocalTree(dir, {
      ...options.ignore,
      signal,
      // A confined directory belongs to a job: never follow anything it made.
      symlinks: options.confineTo === undefined ? (options.symlinks ?? 'skip') : 'skip',
      ...(realRoot === undefined ? {} : { realSymlinkRoot: realRoot }),
    }),
    remoteListing,
    SyncState.load(stateDir, dir, label),
  ]);
  throwIfAborted(signal);

  const remoteDirs = new Map<string, string>(); // rel → label
  for (const remoteLabel of remoteLabels) remoteDirs.set(labelToRelative(label, remoteLabel), remoteLabel);
  const entries: SyncPlanEntry[] = [];
  const ignoredPaths = new Set(tree.ignored.map((entry) => entry.rel));
  for (const ignored of tree.ignored) {
    entries.push({
      path: ignored.rel,
      label: relativeToLabel(label, parentOf(ignored.rel)),
      name: baseOf(ignored.rel),
      action: 'ignored',
      size: 0,
      reason: ignored.reason,
      ...(ignored.rule ? { ignoredBy: ignored.rule } : {}),
      ...(ignored.isDir ? { isDirectory: true } : {}),
      ...(ignored.symlink ? { symlink: ignored.symlink } : {}),
    });
  }

  // Remote directories below an ignored (or non-walked) local path: decide with the nearest walked ancestor's rules.
  const ignoredRemoteDir = (rel: string): { rel: string; rule?: IgnoreSource; reason: string } | undefined => {
    if (tree.dirs.has(rel) || rel === '') return undefined;
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (tree.dirs.has(prefix)) continue;
      if (ignoredPaths.has(prefix)) {
        const hit = tree.ignored.find((entry) => entry.rel === prefix)!;
        return { rel: prefix, ...(hit.rule ? { rule: hit.rule } : {}), reason: hit.reason };
      }
      const rule = nearestRules(tree.rules, prefix)?.match(prefix, true);
      if (rule) return { rel: prefix, rule, reason: `ignored by ${rule.file}:${rule.line} (${rule.pattern})` };
    }
    return undefined;
  };

  const dirRels = new Set<string>([...(tree.exists ? tree.dirs.keys() : ['']), ...remoteDirs.keys()]);
  const directories: { path: string; label: string }[] = [];
  const checksums = new Map<string, string>();
  const localByPath = new Map<string, LocalFile>();
  const needHash: LocalFile[] = [];
  const pending: { rel: string; file?: LocalFile; remote?: FileData; dirLabel: string; name: string }[] = [];

  for (const rel of [...dirRels].sort()) {
    const dirLabel = relativeToLabel(label, rel);
    const ignoredDir = ignoredRemoteDir(rel);
    const remote = remoteFiles.get(dirLabel) ?? [];
    if (ignoredDir) {
      for (const file of remote) {
        assertSafeName(file.name, dirLabel);
        const path = joinRel(rel, file.name);
        if (ignoredPaths.has(path)) continue;
        entries.push({
          path,
          label: dirLabel,
          name: file.name,
          action: 'ignored',
          size: file.size,
          reason: `in ${ignoredDir.rel}/, ${ignoredDir.reason}`,
          ...(ignoredDir.rule ? { ignoredBy: ignoredDir.rule } : {}),
          remote: file,
        });
      }
      continue;
    }
    directories.push({ path: rel, label: dirLabel });
    const localFiles = new Map((tree.dirs.get(rel) ?? []).map((file) => [file.name, file]));
    const rules = tree.rules.get(rel) ?? nearestRules(tree.rules, rel);
    const remoteByName = new Map<string, FileData>();
    for (const file of remote) {
      assertSafeName(file.name, dirLabel);
      remoteByName.set(file.name, file);
    }
    for (const name of new Set([...localFiles.keys(), ...remoteByName.keys()])) {
      const path = joinRel(rel, name);
      const file = localFiles.get(name);
      const remoteFile = remoteByName.get(name);
      if (!file && ignoredPaths.has(path)) continue; // already listed as ignored (e.g. a local ignored file)
      if (!file && remoteFile && isInternalName(name)) {
        entries.push({ path, label: dirLabel, name, action: 'ignored', size: remoteFile.size, reason: `reserved name (${TEMP_PREFIX}* are cfs-sync's temporary files)`, remote: remoteFile });
        continue;
      }
      if (!file && remoteFile) {
        const rule = rules?.match(path, false);
        if (rule) {
          entries.push({
            path,
            label: dirLabel,
            name,
            action: 'ignored',
            size: remoteFile.size,
            reason: `ignored by ${rule.file}:${rule.line} (${rule.pattern})`,
            ignoredBy: rule,
            remote: remoteFile,
          });
          continue;
        }
      }
      if (file) localByPath.set(path, file);
      if (file && remoteFile) {
        const cached = file.stat.size === 0 ? EMPTY_SHA256 : state.cachedChecksum(path, file.stat);
        if (cached) checksums.set(path, cached);
        else needHash.push(file);
      }
      pending.push({ rel: path, ...(file ? { file } : {}), ...(remoteFile ? { remote: remoteFile } : {}), dirLabel, name });
    }
  }

  await Promise.all(
    needHash.map((file) =>
      limit(async () => {
        throwIfAborted(signal);
        checksums.set(file.rel, (await sha256File(file.abs, signal)).checksum);
      }),
    ),
  );

  const onConflict = options.onConflict ?? 'backup';
  for (const item of pending) {
    const base = { path: item.rel, label: item.dirLabel, name: item.name };
    if (item.file && !item.remote) {
      entries.push({ ...base, action: 'upload', size: item.file.stat.size, reason: 'new local file, not in CFS' });
    } else if (!item.file && item.remote) {
      entries.push({
        ...base,
        action: 'download',
        size: item.remote.size,
        reason: 'in CFS, not present locally',
        remoteChecksum: item.remote.checksum,
        remote: item.remote,
      });
    } else if (item.file && item.remote) {
      const localChecksum = checksums.get(item.rel)!;
      const common = { ...base, localChecksum, remoteChecksum: item.remote.checksum, remote: item.remote };
      if (localChecksum === item.remote.checksum) {
        entries.push({ ...common, action: 'unchanged', size: item.file.stat.size, reason: 'same content (SHA-256) on both sides' });
      } else if (options.keepLocal) {
        entries.push({
          ...common,
          action: 'conflict',
          resolution: 'upload',
          size: item.file.stat.size,
          reason: 'local and CFS differ; keepLocal: the local version is uploaded as a new revision (the old one stays in CFS)',
        });
      } else if (state.get(item.rel)?.synced === localChecksum) {
        entries.push({
          ...common,
          action: 'download',
          size: item.remote.size,
          reason: 'CFS has a newer revision and the local copy is unchanged since the last sync',
        });
      } else {
        entries.push({
          ...common,
          action: 'conflict',
          resolution: onConflict === 'fail' ? 'refuse' : 'backup-and-download',
          size: item.remote.size,
          reason:
            onConflict === 'fail'
              ? 'local and CFS differ and the remote version wins: refused (local changes would be lost)'
              : `local and CFS differ and the remote version wins: the local version is kept as ${item.name}${'.pollinator-conflict-<time>'}`,
        });
      }
    }
  }

  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const plan: SyncPlan = {
    dir,
    label,
    keepLocal: options.keepLocal,
    onConflict,
    entries,
    directories,
    summary: summarize(entries),
    metadataCalls,
    hashedFiles: needHash.length,
  };
  internals.set(plan, {
    state,
    local: localByPath,
    temps: tree.temps,
    followedDirs: tree.followedDirs,
    ...(options.confineTo === undefined ? {} : { confineTo: options.confineTo }),
    rootPolicy: {
      ...(options.symlinks === undefined ? {} : { symlinks: options.symlinks }),
      ...(options.symlinkRoot === undefined ? {} : { symlinkRoot: options.symlinkRoot }),
    },
    metadata: options.metadata,
    checksums,
  });
  return plan;
}

function summarize(entries: SyncPlanEntry[]): SyncPlanSummary {
  const summary: SyncPlanSummary = {
    upload: { files: 0, bytes: 0 },
    download: { files: 0, bytes: 0 },
    conflict: { files: 0, bytes: 0 },
    unchanged: { files: 0, bytes: 0 },
    ignored: { files: 0 },
  };
  for (const entry of entries) {
    if (entry.action === 'ignored') summary.ignored.files += 1;
    else {
      summary[entry.action].files += 1;
      summary[entry.action].bytes += entry.size;
    }
  }
  return summary;
}

function parentOf(rel: string): string {
  const index = rel.lastIndexOf('/');
  return index < 0 ? '' : rel.slice(0, index);
}
function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}
function nearestRules<T>(rules: Map<string, T>, rel: string): T | undefined {
  let current = rel;
  while (current !== '') {
    current = parentOf(current);
    const found = rules.get(current);
    if (found) return found;
  }
  return rules.get('');
}
