import type { CfsMetadata, FileData } from './types';
import type { IgnoreOptions, IgnoreSource } from './ignore-rules';
import type { LocalFile } from './walk';
import type { SyncState } from './sync-state';
import type { SymlinkOptions, SymlinkPolicy } from './symlink-policy';

// The shapes of a sync plan: what planSync returns and applySync carries out.

/**
 * - `local-only`: a local file CFS does not have, left alone by a download-only sync.
 * - `unreadable`: a local file the sync would have to read but cannot open (applySync refuses the plan).
 * - `invalid-remote`: a remote record that cannot be downloaded as it stands (unsafe name, malformed
 *   checksum or size, unusable object key): skipped, named in `SyncResult.skipped`.
 */
export type SyncAction = 'upload' | 'download' | 'conflict' | 'unchanged' | 'ignored' | 'local-only' | 'unreadable' | 'invalid-remote';

/** Which way a sync may move files. */
export type SyncDirection = 'both' | 'download';

/** Where the remote side of a sync comes from: the label's newest revisions (default), or a snapshot's frozen ones. */
export type SyncSource = { snapshotId: string };

/** A remote revision as a plan shows it: the listing's fields, plus when it was added (stale entries). */
export type PlanRemoteFile = FileData & {
  /** RFC 3339 time the revision was added; filled for stale (`remote-changed`) entries and snapshot sources. */
  added?: string;
};

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
  /**
   * Why, human-readable. Exception: a keepLocal conflict whose remote side
   * changed since this directory last synced it (stale local copy) has the
   * stable reason `'remote-changed'`, its explanation in `detail`.
   */
  reason: string;
  /** The longer explanation where `reason` is a stable code (`remote-changed`). */
  detail?: string;
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
  remote?: PlanRemoteFile;
  /** Local size (conflicts, unreadable files). */
  localSize?: number;
}

export interface SyncPlanSummary {
  upload: { files: number; bytes: number };
  download: { files: number; bytes: number };
  conflict: { files: number; bytes: number };
  unchanged: { files: number; bytes: number };
  ignored: { files: number };
  /** Local files CFS does not have, left alone by a download-only sync. */
  localOnly: { files: number; bytes: number };
  /** Local files that cannot be read (applySync refuses). */
  unreadable: { files: number };
  /** Remote records skipped as invalid. */
  invalidRemote: { files: number };
  /**
   * Conflicts (counted under `conflict` too) whose remote revision changed
   * since the last sync of this directory: applySync refuses them unless the
   * plan was made with `force: true`. Bytes are the local sizes.
   */
  stale: { files: number; bytes: number };
}

export interface SyncPlan {
  dir: string;
  label: string;
  keepLocal: boolean;
  onConflict: 'backup' | 'fail';
  direction: SyncDirection;
  /** The plan was made with `force: true`: stale entries upload (applySync does not refuse them). */
  force: boolean;
  /** The snapshot the remote side was read from, when the plan's source is one. */
  source?: { snapshotId: string; snapshotName: string; snapshotLabel: string };
  /** Every file (and ignored directory), sorted by path. */
  entries: SyncPlanEntry[];
  /** Every directory the sync covers, with its label. */
  directories: { path: string; label: string }[];
  summary: SyncPlanSummary;
  /** Metadata RPCs the plan made (1 label listing + 1 file listing per remote label). */
  metadataCalls: number;
  /** Local files whose content was read to hash them (0 on a no-op re-sync with a warm stat cache). */
  hashedFiles: number;
  /**
   * What applySync needs beyond these facts, gathered while planning (see
   * PreparedSync). planSync sets it as a non-enumerable property, so the plan
   * stays plain JSON: JSON.stringify, structuredClone and `{ ...plan }` leave it
   * out, and a plan without it (parsed back from JSON, or copied) cannot be applied.
   */
  readonly prepared?: PreparedSync;
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
  /**
   * `both` (default): upload and download. `download`: never upload; local
   * files CFS lacks are left alone (entries `local-only`) and the remote
   * version wins conflicts (keepLocal is ignored, local edits are backed up per onConflict).
   */
  direction?: SyncDirection;
  /**
   * With keepLocal: upload local files even over remote revisions that changed
   * since this directory last synced them (stale entries). Without it
   * applySync refuses such a plan (RemoteChangedError). Default false.
   */
  force?: boolean;
  /**
   * Read the remote side from a snapshot (its frozen revisions) instead of the
   * label's newest ones. Implies `direction: 'download'`. The snapshot's label
   * maps to `label` (files below it keep their relative paths).
   */
  source?: SyncSource;
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

/**
 * The state a plan is applied against, from the I/O that made it: the local
 * files as they were seen (their stat identity proves a file is unchanged
 * when it is transferred), the stat cache to update, and the directory
 * checks to repeat before anything is written. Not JSON (maps, a cache with
 * a file behind it): it travels as `SyncPlan.prepared`, non-enumerable.
 */
export interface PreparedSync {
  state: SyncState;
  /** Every local file of a synced (not ignored) directory, by path relative to the synced directory. */
  local: ReadonlyMap<string, LocalFile>;
  /** Leftover download temporaries of an interrupted sync, removed before the transfers. */
  temps: readonly string[];
  /** Directories reached through a link the policy followed: writes may go through these links. */
  followedDirs: ReadonlySet<string>;
  /** The trusted ancestor to check `dir` against again, creating it, before anything is written. */
  confineTo?: string;
  /** Without confineTo: the policy the root is checked against again before anything is written. */
  rootPolicy: SymlinkOptions;
  metadata: CfsMetadata;
}
