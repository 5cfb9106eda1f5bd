import type { CfsMetadata, FileData } from './types';
import type { IgnoreOptions, IgnoreSource } from './ignore-rules';
import type { LocalFile } from './walk';
import type { SyncState } from './sync-state';
import type { SymlinkOptions, SymlinkPolicy } from './symlink-policy';

// The shapes of a sync plan: what planSync returns and applySync carries out.

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
