import { closeSync, constants, openSync } from 'node:fs';
import { resolve } from 'node:path';
import pLimit from 'p-limit';
import type { FileData } from './types';
import { listRemote, listSnapshot } from './remote-listing';
import { walkLocalTree, type LocalFile, type LocalTree } from './walk';
import { SyncState, defaultStateDir } from './sync-state';
import { EMPTY_SHA256, sha256File } from './hash';
import { assertSafeLabel, relativeToLabel } from './paths';
import { throwIfAborted } from './errors';
import { assertSymlinkPolicy, checkSyncRoot, realSymlinkRoot } from './symlink-policy';
import { confineDirectory } from './confine';
import type { SyncFacts } from './plan-decide';
import type { PlanOptions } from './plan-types';

/** How the upload opens a file (see no-follow.ts): the probe opens it the same way. */
const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

// The I/O half of planning: the local tree, the stat cache, the remote
// listing and the checksums the decision needs. Reads only; writes nothing.

/** The facts for decideSync(), and what applying the plan needs of the same reads. */
export interface GatheredSync {
  /** `options.dir`, resolved. */
  dir: string;
  facts: SyncFacts;
  tree: LocalTree;
  state: SyncState;
  /** Metadata RPCs made (1 label listing + 1 file listing per remote label). */
  metadataCalls: number;
  /** Local files whose content was read to hash them. */
  hashedFiles: number;
  /** The snapshot the remote side came from (PlanOptions.source). */
  source?: { snapshotId: string; snapshotName: string; snapshotLabel: string };
}

/**
 * Checks the directory (and its confinement), then walks the local tree while
 * the remote labels are listed and the stat cache is loaded, then hashes the
 * local files CFS has too whose cache entry is stale.
 */
export async function gatherSyncFacts(options: PlanOptions): Promise<GatheredSync> {
  assertSafeLabel(options.label);
  assertSymlinkPolicy(options.symlinks);
  const dir = resolve(options.dir);
  if (options.confineTo !== undefined) confineDirectory(options.confineTo, dir, { create: false });
  else checkSyncRoot(dir, options);
  const realRoot = options.confineTo === undefined ? realSymlinkRoot(options) : undefined;
  const limit = pLimit(options.planConcurrency ?? 16);
  const [tree, listing, state] = await Promise.all([
    walkLocalTree(dir, {
      ...options.ignore,
      signal: options.signal,
      // A confined directory belongs to a job: never follow anything it made.
      symlinks: options.confineTo === undefined ? (options.symlinks ?? 'skip') : 'skip',
      ...(realRoot === undefined ? {} : { realSymlinkRoot: realRoot }),
    }),
    options.source ? listSnapshot(options, options.source, limit) : listRemote(options, limit),
    SyncState.load(options.stateDir ?? defaultStateDir(), dir, options.label),
  ]);
  throwIfAborted(options.signal);
  const both = bothSides(tree, listing.remote, options.label);
  const { checksums, hashed, unreadable } = await localChecksums(both, state, limit, options.signal);
  // Files the sync will upload are read only then: open each once now, so one it cannot read stops the plan, not the transfer.
  const uploading = options.source === undefined && options.direction !== 'download';
  if (uploading) probeReadable(localOnly(tree, both), unreadable);
  const lastSynced = new Map<string, string>();
  for (const path of checksums.keys()) {
    const synced = state.get(path)?.synced;
    if (synced !== undefined) lastSynced.set(path, synced);
  }
  return {
    dir,
    facts: {
      label: options.label,
      localDirs: tree.dirs,
      rules: tree.rules,
      ignored: tree.ignored,
      localExists: tree.exists,
      remote: listing.remote,
      localChecksums: checksums,
      lastSynced,
      unreadable,
    },
    tree,
    state,
    metadataCalls: listing.calls,
    hashedFiles: hashed,
    ...(listing.source ? { source: listing.source } : {}),
  };
}

/** The local files of walked directories whose name CFS has in the same directory: only these need a checksum. */
function bothSides(tree: LocalTree, remote: ReadonlyMap<string, readonly FileData[]>, label: string): LocalFile[] {
  const found: LocalFile[] = [];
  for (const [dirRel, files] of tree.dirs) {
    const remoteNames = new Set((remote.get(relativeToLabel(label, dirRel)) ?? []).map((file) => file.name));
    for (const file of files) if (remoteNames.has(file.name)) found.push(file);
  }
  return found;
}

/** The local files of walked directories that CFS does not have (`both` is bothSides()). */
function localOnly(tree: LocalTree, both: readonly LocalFile[]): LocalFile[] {
  const remoteToo = new Set(both.map((file) => file.rel));
  const found: LocalFile[] = [];
  for (const files of tree.dirs.values()) for (const file of files) if (!remoteToo.has(file.rel)) found.push(file);
  return found;
}

/** The errno an I/O error carries (EACCES, EIO, …), or undefined for anything else (ours, aborts). */
function ioErrorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) && code !== 'ENOENT' ? code : undefined;
}

/** Why a file could not be opened, for the plan: the errno and the system's words. */
function unreadableReason(code: string, error: unknown): string {
  const message = (error as Error).message ?? '';
  const words = message.replace(/^[A-Z0-9]+: /, '').replace(/, open .*$/, '');
  return words ? `${code}: ${words}` : code;
}

/** Opens (and closes) each file as it would be read for the upload; the ones that fail go into `unreadable`. */
function probeReadable(files: readonly LocalFile[], unreadable: Map<string, string>): void {
  for (const file of files) {
    try {
      closeSync(openSync(file.abs, READ_NO_FOLLOW));
    } catch (error) {
      // ENOENT (deleted since the walk) and ELOOP (swapped for a link): the upload reports those itself
      // (FileChangedError, SymlinkRefusedError); they say nothing about permissions.
      const code = ioErrorCode(error);
      if (code !== undefined && code !== 'ELOOP') unreadable.set(file.rel, unreadableReason(code, error));
      else if (code === undefined && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * Checksums from the stat cache where it is fresh (and for empty files),
 * hashing the rest; a file that cannot be read (EACCES, EIO, …) goes into
 * `unreadable` with the reason instead of failing the plan.
 */
async function localChecksums(
  files: readonly LocalFile[],
  state: SyncState,
  limit: ReturnType<typeof pLimit>,
  signal: AbortSignal | undefined,
): Promise<{ checksums: Map<string, string>; hashed: number; unreadable: Map<string, string> }> {
  const unreadable = new Map<string, string>();
  const checksums = new Map<string, string>();
  const needHash: LocalFile[] = [];
  for (const file of files) {
    const cached = file.stat.size === 0 ? EMPTY_SHA256 : state.cachedChecksum(file.rel, file.stat);
    if (cached) checksums.set(file.rel, cached);
    else needHash.push(file);
  }
  await Promise.all(
    needHash.map((file) =>
      limit(async () => {
        throwIfAborted(signal);
        try {
          checksums.set(file.rel, (await sha256File(file.abs, signal)).checksum);
        } catch (error) {
          const code = ioErrorCode(error);
          if (code === undefined || code === 'ELOOP') throw error;
          unreadable.set(file.rel, unreadableReason(code, error));
        }
      }),
    ),
  );
  return { checksums, hashed: needHash.length, unreadable };
}
