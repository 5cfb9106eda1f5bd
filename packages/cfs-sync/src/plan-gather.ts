import { resolve } from 'node:path';
import pLimit from 'p-limit';
import type { CfsMetadata, FileData } from './types';
import { walkLocalTree, type LocalFile, type LocalTree } from './walk';
import { SyncState, defaultStateDir } from './sync-state';
import { EMPTY_SHA256, sha256File } from './hash';
import { assertSafeLabel, relativeToLabel } from './paths';
import { throwIfAborted } from './errors';
import { assertSymlinkPolicy, checkSyncRoot, realSymlinkRoot } from './symlink-policy';
import { confineDirectory } from './confine';
import type { SyncFacts } from './plan-decide';
import type { PlanOptions } from './plan-types';

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
    listRemote(options, limit),
    SyncState.load(options.stateDir ?? defaultStateDir(), dir, options.label),
  ]);
  throwIfAborted(options.signal);
  const { checksums, hashed } = await localChecksums(bothSides(tree, listing.remote, options.label), state, limit, options.signal);
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
    },
    tree,
    state,
    metadataCalls: listing.calls,
    hashedFiles: hashed,
  };
}

/** One label listing, then one file listing per label (in parallel, bounded by `limit`). */
async function listRemote(options: PlanOptions, limit: ReturnType<typeof pLimit>): Promise<{ remote: Map<string, FileData[]>; calls: number }> {
  const labels = await listLabels(options.metadata, options.label);
  const listed = await Promise.all(
    labels.map((label) =>
      limit(async () => {
        throwIfAborted(options.signal);
        return [label, (await options.metadata.getFiles(label)) ?? []] as const;
      }),
    ),
  );
  return { remote: new Map(listed), calls: 1 + labels.length };
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

/** Checksums from the stat cache where it is fresh (and for empty files), hashing the rest. */
async function localChecksums(
  files: readonly LocalFile[],
  state: SyncState,
  limit: ReturnType<typeof pLimit>,
  signal: AbortSignal | undefined,
): Promise<{ checksums: Map<string, string>; hashed: number }> {
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
        checksums.set(file.rel, (await sha256File(file.abs, signal)).checksum);
      }),
    ),
  );
  return { checksums, hashed: needHash.length };
}
