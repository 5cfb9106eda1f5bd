import type { FileData } from './types';
import type { IgnoreSource } from './ignore-rules';
import type { IgnoredEntry, LocalFile } from './walk';
import { TEMP_PREFIX, isInternalName, joinRel, labelToRelative, relativeToLabel } from './paths';
import type { SyncDirection, SyncPlanEntry, SyncPlanSummary } from './plan-types';
import { invalidRecordReason, unsafeNameReason } from './remote-record';

// The decision table of a sync, with no I/O: given what was found locally and
// in CFS, which action each path gets and why. planSync gathers the facts
// (plan-gather.ts) and hands them here.

/** Matches a path against the ignore rules in force in one directory (IgnoreRules fits). */
export interface IgnoreMatcher {
  match(rel: string, isDir: boolean): IgnoreSource | undefined;
}

/** Everything the decision looks at: gathered by gatherSyncFacts(), or written by hand in tests. */
export interface SyncFacts {
  /** CFS label of the synced directory. */
  label: string;
  /** Every walked (not ignored) local directory ("" = root) with its files. */
  localDirs: ReadonlyMap<string, readonly LocalFile[]>;
  /** Ignore rules in force in each walked directory (remote-only paths use the nearest ancestor's). */
  rules: ReadonlyMap<string, IgnoreMatcher>;
  /** What the walk left out, with why: ignore rules, links not followed, FIFOs, markers. */
  ignored: readonly IgnoredEntry[];
  /** False when the local directory does not exist yet. */
  localExists: boolean;
  /** Every remote label at or below `label` → the newest revision of each file directly in it. */
  remote: ReadonlyMap<string, readonly FileData[]>;
  /** SHA-256 of each local file that CFS has too (path → checksum). */
  localChecksums: ReadonlyMap<string, string>;
  /** Checksum both sides had when the path was last synced, from the stat cache (path → checksum). */
  lastSynced: ReadonlyMap<string, string>;
  /** Local files the sync would read but cannot open (path → why, with the errno). */
  unreadable?: ReadonlyMap<string, string>;
}

export interface DecisionOptions {
  /** A conflict uploads the local version (true) or lets the remote version win (false). */
  keepLocal: boolean;
  /** When the remote version wins over a local edit: keep a backup, or refuse the sync. */
  onConflict: 'backup' | 'fail';
  /** `download`: never upload (local-only files are left alone; the remote version wins, keepLocal is ignored). Default `both`. */
  direction?: SyncDirection;
  /** Stale keepLocal conflicts (remote changed since the last sync) upload instead of being refused. Default false. */
  force?: boolean;
}

/** The reason of a keepLocal conflict whose remote revision changed since this directory last synced it. */
export const REMOTE_CHANGED_REASON = 'remote-changed';

export interface SyncDecision {
  /** Every file (and ignored directory), sorted by path. */
  entries: SyncPlanEntry[];
  /** Every directory the sync covers, with its label, sorted by path. */
  directories: { path: string; label: string }[];
}

/** A path with what each side has of it. */
interface PathPair {
  path: string;
  label: string;
  name: string;
  local?: LocalFile;
  remote?: FileData;
}

/**
 * The action and reason of every path. Throws UnsafePathError for a remote
 * label or name that would escape the synced directory.
 */
export function decideSync(facts: SyncFacts, options: DecisionOptions): SyncDecision {
  const entries: SyncPlanEntry[] = facts.ignored.map((ignored) => ignoredLocalEntry(facts.label, ignored));
  const ignoredPaths = new Set(facts.ignored.map((entry) => entry.rel));
  const remoteDirs = new Map<string, string>(); // rel → label
  for (const remoteLabel of facts.remote.keys()) remoteDirs.set(labelToRelative(facts.label, remoteLabel), remoteLabel);
  const dirRels = new Set<string>([...(facts.localExists ? facts.localDirs.keys() : ['']), ...remoteDirs.keys()]);
  const directories: { path: string; label: string }[] = [];
  for (const rel of [...dirRels].sort()) {
    const dirLabel = relativeToLabel(facts.label, rel);
    const remote = facts.remote.get(dirLabel) ?? [];
    const ignoredDir = ignoredRemoteDirectory(facts, ignoredPaths, rel);
    if (ignoredDir) {
      for (const file of remote) {
        const path = joinRel(rel, file.name);
        if (!ignoredPaths.has(path)) entries.push(inIgnoredDirectoryEntry(path, dirLabel, file, ignoredDir));
      }
      continue;
    }
    directories.push({ path: rel, label: dirLabel });
    for (const pair of pairDirectory(facts, rel, dirLabel, remote)) {
      if (!pair.local && ignoredPaths.has(pair.path)) continue; // already listed as ignored (e.g. a local ignored file)
      entries.push(decidePair(facts, pair, options));
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, directories };
}

/** Counts and bytes per action. */
export function summarize(entries: readonly SyncPlanEntry[]): SyncPlanSummary {
  const summary: SyncPlanSummary = {
    upload: { files: 0, bytes: 0 },
    download: { files: 0, bytes: 0 },
    conflict: { files: 0, bytes: 0 },
    unchanged: { files: 0, bytes: 0 },
    ignored: { files: 0 },
    localOnly: { files: 0, bytes: 0 },
    unreadable: { files: 0 },
    invalidRemote: { files: 0 },
    stale: { files: 0, bytes: 0 },
  };
  for (const entry of entries) {
    switch (entry.action) {
      case 'ignored':
        summary.ignored.files += 1;
        break;
      case 'unreadable':
        summary.unreadable.files += 1;
        break;
      case 'invalid-remote':
        summary.invalidRemote.files += 1;
        break;
      case 'local-only':
        summary.localOnly.files += 1;
        summary.localOnly.bytes += entry.size;
        break;
      default:
        summary[entry.action].files += 1;
        summary[entry.action].bytes += entry.size;
        if (entry.reason === REMOTE_CHANGED_REASON) {
          summary.stale.files += 1;
          summary.stale.bytes += entry.size;
        }
    }
  }
  return summary;
}

function ignoredLocalEntry(label: string, ignored: IgnoredEntry): SyncPlanEntry {
  return {
    path: ignored.rel,
    label: relativeToLabel(label, parentOf(ignored.rel)),
    name: baseOf(ignored.rel),
    action: 'ignored',
    size: 0,
    reason: ignored.reason,
    ...(ignored.rule ? { ignoredBy: ignored.rule } : {}),
    ...(ignored.isDir ? { isDirectory: true } : {}),
    ...(ignored.symlink ? { symlink: ignored.symlink } : {}),
  };
}

function inIgnoredDirectoryEntry(path: string, label: string, file: FileData, ignoredDir: IgnoredDirectory): SyncPlanEntry {
  return {
    path,
    label,
    name: file.name,
    action: 'ignored',
    size: file.size,
    reason: `in ${ignoredDir.rel}/, ${ignoredDir.reason}`,
    ...(ignoredDir.rule ? { ignoredBy: ignoredDir.rule } : {}),
    remote: file,
  };
}

interface IgnoredDirectory {
  rel: string;
  rule?: IgnoreSource;
  reason: string;
}

/**
 * A remote directory below an ignored (or not walked) local path: the nearest
 * such ancestor, decided with the nearest walked ancestor's rules.
 */
function ignoredRemoteDirectory(facts: SyncFacts, ignoredPaths: ReadonlySet<string>, rel: string): IgnoredDirectory | undefined {
  if (facts.localDirs.has(rel) || rel === '') return undefined;
  const parts = rel.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (facts.localDirs.has(prefix)) continue;
    if (ignoredPaths.has(prefix)) {
      const hit = facts.ignored.find((entry) => entry.rel === prefix)!;
      return { rel: prefix, ...(hit.rule ? { rule: hit.rule } : {}), reason: hit.reason };
    }
    const rule = nearestRules(facts.rules, prefix)?.match(prefix, true);
    if (rule) return { rel: prefix, rule, reason: `ignored by ${rule.file}:${rule.line} (${rule.pattern})` };
  }
  return undefined;
}

/** The local and remote files of one synced directory, paired by name (local names first, in walk order). */
function pairDirectory(facts: SyncFacts, rel: string, label: string, remote: readonly FileData[]): PathPair[] {
  const localFiles = new Map((facts.localDirs.get(rel) ?? []).map((file) => [file.name, file]));
  const remoteByName = new Map(remote.map((file) => [file.name, file]));
  return [...new Set([...localFiles.keys(), ...remoteByName.keys()])].map((name) => {
    const local = localFiles.get(name);
    const remoteFile = remoteByName.get(name);
    return { path: joinRel(rel, name), label, name, ...(local ? { local } : {}), ...(remoteFile ? { remote: remoteFile } : {}) };
  });
}

/** The decision table for one path that is in a synced directory on at least one side. */
function decidePair(facts: SyncFacts, pair: PathPair, options: DecisionOptions): SyncPlanEntry {
  const base = { path: pair.path, label: pair.label, name: pair.name };
  const { local, remote } = pair;
  const download = options.direction === 'download';
  if (!local) return decideRemoteOnly(facts, pair, remote!);
  const unreadable = facts.unreadable?.get(pair.path);
  if (!remote) {
    if (download) return { ...base, action: 'local-only', size: local.stat.size, reason: 'only local; a download-only sync leaves it alone (not uploaded)' };
    if (unreadable !== undefined) return unreadableEntry(base, local.stat.size, unreadable);
    return { ...base, action: 'upload', size: local.stat.size, reason: 'new local file, not in CFS' };
  }
  if (unreadable !== undefined) return unreadableEntry(base, local.stat.size, unreadable, remote);
  const invalid = invalidRecordReason(remote, pair.label);
  if (invalid !== undefined) {
    if (options.keepLocal && !download) {
      return { ...base, action: 'upload', size: local.stat.size, reason: `the CFS record is unusable (${invalid}): the local version is uploaded as a new revision`, remote };
    }
    return { ...base, action: 'invalid-remote', size: remote.size, reason: `skipped: the CFS record is unusable (${invalid}); the local file is left alone`, remote };
  }
  const localChecksum = facts.localChecksums.get(pair.path);
  if (localChecksum === undefined) throw new TypeError(`[pollinator] [cfs-sync] no local checksum gathered for ${pair.path}`);
  const common = { ...base, localChecksum, remoteChecksum: remote.checksum, remote };
  if (localChecksum === remote.checksum) {
    return { ...common, action: 'unchanged', size: local.stat.size, reason: 'same content (SHA-256) on both sides' };
  }
  const lastSynced = facts.lastSynced.get(pair.path);
  if (options.keepLocal && !download) {
    if (lastSynced !== remote.checksum) return staleEntry(common, local.stat.size, lastSynced, options.force ?? false);
    return {
      ...common,
      action: 'conflict',
      resolution: 'upload',
      size: local.stat.size,
      localSize: local.stat.size,
      reason: 'changed locally since the last sync (CFS unchanged since): the local version is uploaded as a new revision (the old one stays in CFS)',
    };
  }
  if (lastSynced === localChecksum) {
    return { ...common, action: 'download', size: remote.size, reason: 'CFS has a newer revision and the local copy is unchanged since the last sync' };
  }
  const refuse = options.onConflict === 'fail';
  return {
    ...common,
    action: 'conflict',
    resolution: refuse ? 'refuse' : 'backup-and-download',
    size: remote.size,
    localSize: local.stat.size,
    reason: refuse
      ? 'local and CFS differ and the remote version wins: refused (local changes would be lost)'
      : `local and CFS differ and the remote version wins: the local version is kept as ${pair.name}.pollinator-conflict-<time>`,
  };
}

/** A path only CFS has: downloaded, unless its name is reserved or ignored, or its record is unusable. */
function decideRemoteOnly(facts: SyncFacts, pair: PathPair, remoteFile: FileData): SyncPlanEntry {
  const base = { path: pair.path, label: pair.label, name: pair.name };
  if (isInternalName(pair.name)) {
    return { ...base, action: 'ignored', size: remoteFile.size, reason: `reserved name (${TEMP_PREFIX}* are cfs-sync's temporary files)`, remote: remoteFile };
  }
  const invalid = (why: string): SyncPlanEntry => ({ ...base, action: 'invalid-remote', size: remoteFile.size, reason: `skipped: the CFS record is unusable (${why})`, remote: remoteFile });
  // An unsafe name is not even matched against the rules (it is no relative path); an ignored file's other flaws are no concern.
  const unsafe = unsafeNameReason(pair.name, pair.label);
  if (unsafe !== undefined) return invalid(unsafe);
  const rule = (facts.rules.get(parentOf(pair.path)) ?? nearestRules(facts.rules, parentOf(pair.path)))?.match(pair.path, false);
  if (rule) {
    const reason = `ignored by ${rule.file}:${rule.line} (${rule.pattern})`;
    return { ...base, action: 'ignored', size: remoteFile.size, reason, ignoredBy: rule, remote: remoteFile };
  }
  const flaw = invalidRecordReason(remoteFile, pair.label);
  if (flaw !== undefined) return invalid(flaw);
  return { ...base, action: 'download', size: remoteFile.size, reason: 'in CFS, not present locally', remoteChecksum: remoteFile.checksum, remote: remoteFile };
}

function unreadableEntry(base: { path: string; label: string; name: string }, size: number, why: string, remote?: FileData): SyncPlanEntry {
  return {
    ...base,
    action: 'unreadable',
    size,
    localSize: size,
    // The advice (chmod, or .pollinatorignore) is in LocalFileUnreadableError, said once for all files.
    reason: `cannot read the local file (${why})`,
    ...(remote ? { remote, remoteChecksum: remote.checksum } : {}),
  };
}

/**
 * keepLocal, local and CFS differ, and CFS no longer has the revision this
 * directory last synced (or the directory never synced the file): the local
 * copy is stale relative to a newer remote revision. Uploading it would make
 * the newer one silently stop being current, so it uploads only when forced.
 */
function staleEntry(
  common: Omit<SyncPlanEntry, 'action' | 'size' | 'reason'>,
  localSize: number,
  lastSynced: string | undefined,
  force: boolean,
): SyncPlanEntry {
  const since = lastSynced === undefined ? 'this directory has no record of syncing it' : 'CFS has a newer revision than the one this directory last synced';
  return {
    ...common,
    action: 'conflict',
    resolution: force ? 'upload' : 'refuse',
    size: localSize,
    localSize,
    reason: REMOTE_CHANGED_REASON,
    detail: force
      ? `local and CFS differ and ${since}: forced, the local version is uploaded over it (the remote revision stays in CFS)`
      : `local and CFS differ and ${since}: refused, the local copy may be stale (take the remote version, or force the upload)`,
  };
}

function parentOf(rel: string): string {
  const index = rel.lastIndexOf('/');
  return index < 0 ? '' : rel.slice(0, index);
}

function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

/** The rules of the nearest ancestor of `rel` that has some (the root's at the latest). */
function nearestRules<T>(rules: ReadonlyMap<string, T>, rel: string): T | undefined {
  let current = rel;
  while (current !== '') {
    current = parentOf(current);
    const found = rules.get(current);
    if (found) return found;
  }
  return rules.get('');
}
