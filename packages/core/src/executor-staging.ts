/**
 * The executor's CFS staging (PreSync, PostSync, keepfiles cleanup) for one
 * process, confined to the staging root: every staged directory was checked
 * from the spec (`stagedDirectories`), every component from `fsDir` down is a
 * real directory (never a job-made symlink), job-made symlinks inside are
 * neither uploaded nor written through, and cleanup removes only the job's
 * own exact directories, never one another running process uses below it.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { syncDirectory, type BlobStore, type CfsMetadata } from '@pollinator/cfs-sync';
import { errorText } from './error-text';
import { ensureConfinedDirectory, removeConfinedDirectory, removeSymlinksBelow } from './confined-directory';
import { resultDirectory, snapshotResultLabel } from './executor-result-snapshot';
import { materializeExactly } from './executor-snapshot-materialize';
import { SnapshotDirLeases, type SnapshotLeaseRequest } from './executor-snapshot-leases';
import { createKeyedLock } from './keyed-lock';
import { isAncestorPath, type StagedDirectory } from './staging-paths';
import { executorError, type ExecutorSpec } from './validate-spec';

export interface ExecutorStagingContext {
  fsDir: string;
  stateDir: string;
  cfs: { store: BlobStore } | undefined;
  metadata(): CfsMetadata;
  removeSnapshot(snapshotId: string): Promise<void>;
  /** Adds a line to the process log (best effort). */
  log(processId: string, message: string): Promise<void>;
  warn(processId: string, message: string): void;
  /** Staging directories (host paths) of the other processes this executor runs now. */
  dirsOfOthers(processId: string): string[];
}

export interface ExecutorStaging {
  /**
   * PreSync: snapshots staged exactly (waiting, with `signal`, while another
   * running job uses a snapshot's dir with another snapshot), then the synced dirs.
   */
  preSync(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[], signal?: AbortSignal): Promise<void>;
  postSync(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): Promise<string | undefined>;
  /**
   * Snapshots the result label (named after the process), after PostSync
   * uploaded it; the snapshot's id, or undefined when the spec has no result
   * dir or this executor no CFS. Throws when the snapshot cannot be made.
   */
  snapshotResults(processId: string, dirs: readonly StagedDirectory[]): Promise<string | undefined>;
  /** A job re-attached after a restart uses its snapshot dirs already (see SnapshotDirLeases.adopt). */
  adopt(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): void;
  /** Lets go of the process's snapshot dirs (done by `cleanFiles`; for a process that never got that far). */
  release(processId: string): void;
  cleanFiles(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): Promise<void>;
}

/** The snapshot dirs of a spec, with the snapshot each is to hold. */
/**
 * The requests with what each snapshot holds (a digest of its file revision
 * ids), so that jobs whose snapshots hold the same files share a directory.
 * Unknown (the lookup failed): the snapshot id alone decides, and staging
 * reports the failure.
 */
async function withContents(requests: SnapshotLeaseRequest[], metadata: CfsMetadata): Promise<SnapshotLeaseRequest[]> {
  return Promise.all(
    requests.map(async (request) => {
      try {
        const snapshot = await metadata.getSnapshot({ snapshotId: request.snapshotId });
        const ids = [...(snapshot.fileids ?? [])].sort();
        return { ...request, content: `${snapshot.label}\0${createHash('sha256').update(ids.join('\n')).digest('hex')}` };
      } catch {
        return request;
      }
    }),
  );
}

function snapshotRequests(spec: ExecutorSpec, dirs: readonly StagedDirectory[]): SnapshotLeaseRequest[] {
  const snapshots = spec.fs?.snapshots ?? [];
  return dirs.filter((dir) => dir.kind === 'snapshot').map((dir) => ({ hostPath: dir.hostPath, snapshotId: snapshots[dir.index]!.snapshotid }));
}

export function createExecutorStaging(context: ExecutorStagingContext): ExecutorStaging {
  // Jobs of one project share staging directories (`data`, `result`): their
  // syncs of the same directory take turns.
  const withStagingLock = createKeyedLock();
  const leases = new SnapshotDirLeases();
  const cfsStateDir = join(context.stateDir, 'cfs-state');

  /** Checks (and creates) the dir, and removes job-made symlinks inside, reporting them. */
  async function prepare(processId: string, dir: StagedDirectory, create: boolean): Promise<boolean> {
    const exists = await ensureConfinedDirectory(context.fsDir, dir.hostPath, { create });
    if (!exists) return false;
    const removed = await removeSymlinksBelow(dir.hostPath);
    if (removed.length > 0) {
      const list = removed.map((link) => `${dir.dir}/${link.path} -> ${link.target}`).join(', ');
      await context.log(processId, `Pollinator: removed ${removed.length} symlink(s) from ${dir.dir} without following them (the executor never reads or writes through a symlink a job made): ${list}\n`);
    }
    return true;
  }

  /**
   * Syncs one staged dir (its turn under the dir's lock), after checking it
   * and removing job-made symlinks. `create`: PreSync makes a missing dir;
   * PostSync does not (the job may have replaced the directory or an ancestor
   * with a symlink: refused, never uploaded; a dir the job removed is left to
   * cfs-sync, which creates it inside confineTo).
   */
  async function syncStagedDir(processId: string, dir: StagedDirectory, options: { keepLocal: boolean; create: boolean; store: BlobStore }): Promise<void> {
    await withStagingLock(dir.hostPath, async () => {
      await prepare(processId, dir, options.create);
      await syncDirectory({
        // cfs-sync checks every component below fsDir again right before it writes, and never follows a link.
        confineTo: context.fsDir,
        symlinks: 'skip',
        dir: dir.hostPath,
        label: dir.label,
        metadata: context.metadata(),
        store: options.store,
        keepLocal: options.keepLocal,
        // The spec's keeplocal decides, as on the original executors: the stale-copy guard is for
        // people's working trees. A concurrent job of the same project that uploaded the same result
        // file first must not stop this job's results from going up.
        force: true,
        stateDir: cfsStateDir,
      });
    });
  }

  /** Waits (logging why) until the process holds its snapshot dirs. */
  async function acquireSnapshotDirs(processId: string, requests: SnapshotLeaseRequest[], dirs: StagedDirectory[], signal?: AbortSignal): Promise<void> {
    for (const conflict of leases.conflicts(requests)) {
      const dir = dirs.find((entry) => entry.hostPath === conflict.hostPath)!;
      await context.log(
        processId,
        `Pollinator: waiting for ${dir.dir}: ${conflict.holders.length} running job(s) of this executor (${conflict.holders.join(', ')}) use it with snapshot ${conflict.inUse}; this job's snapshot is staged there once they have finished\n`,
      );
    }
    try {
      await leases.acquire(processId, requests, signal);
    } catch (error) {
      const waitedFor = leases.conflicts(requests).map((conflict) => dirs.find((entry) => entry.hostPath === conflict.hostPath)!.dir);
      throw new Error(executorError(`stopped waiting for ${waitedFor.join(', ') || 'its snapshot directories'}: ${errorText(error)}`, 'Failed to resolve snapshotID'), {
        cause: error,
      });
    }
  }

  /** Stages one snapshot dir exactly (once per lease: jobs sharing it see what the first one staged). */
  async function stageSnapshot(store: BlobStore, dir: StagedDirectory, snapshotId: string, shared: boolean, dirs: StagedDirectory[], processId: string): Promise<void> {
    await withStagingLock(dir.hostPath, async () => {
      if (leases.isExact(dir.hostPath)) return;
      await prepare(processId, dir, true);
      const keep = [...dirs.map((entry) => entry.hostPath), ...context.dirsOfOthers(processId)].filter((path) => path !== dir.hostPath);
      // Said before it starts: staging a big data set takes a while, and `pollinator run` shows the executor's last line.
      await context.log(processId, `Pollinator: staging ${dir.dir} from snapshot ${snapshotId}\n`);
      const started = Date.now();
      const { removed, downloaded } = await materializeExactly({ fsDir: context.fsDir, metadata: context.metadata(), store, snapshotId, dir: dir.hostPath, keep, addOnly: shared });
      // Always said: the last executor line is what a watching `pollinator run` shows while the job runs.
      const how = downloaded > 0 ? `${downloaded} file(s) downloaded in ${((Date.now() - started) / 1000).toFixed(1)}s` : 'already up to date';
      await context.log(processId, `Pollinator: staged ${dir.dir}: ${how}\n`);
      if (!shared) leases.markExact(dir.hostPath);
      if (removed.length > 0) {
        const shown = removed.slice(0, 10).join(', ') + (removed.length > 10 ? `, … (${removed.length} in all)` : '');
        await context.log(processId, `Pollinator: staged ${dir.dir} exactly as snapshot ${snapshotId}: removed ${removed.length} path(s) it does not hold: ${shown}\n`);
      }
    });
  }

  async function preSync(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[], signal?: AbortSignal): Promise<void> {
    if (dirs.length === 0) return;
    const cfs = context.cfs;
    if (!cfs) throw new Error(executorError('this executor has no CFS configured', 'Failed to pre sync'));
    const requests = await withContents(snapshotRequests(spec, dirs), context.metadata());
    await acquireSnapshotDirs(processId, requests, dirs, signal);
    for (const [index, dir] of dirs.filter((entry) => entry.kind === 'snapshot').entries()) {
      const { snapshotId } = requests[index]!;
      // Two snapshots of this spec staged into one dir: their union, as before (neither may remove the other's files).
      const shared = requests.filter((request) => request.hostPath === dir.hostPath).length > 1;
      try {
        await stageSnapshot(cfs.store, dir, snapshotId, shared, dirs, processId);
      } catch (error) {
        throw new Error(executorError(errorText(error), 'Failed to resolve snapshotID'));
      }
    }
    const entries = spec.fs?.dirs ?? [];
    for (const dir of dirs.filter((entry) => entry.kind === 'dir')) {
      const keepLocal = entries[dir.index]!.onconflicts?.onstart?.keeplocal ?? false;
      try {
        await syncStagedDir(processId, dir, { keepLocal, create: true, store: cfs.store });
      } catch (error) {
        throw new Error(executorError(errorText(error), `Failed to apply syncplan, Label:${dir.label} Dir:${dir.dir}`));
      }
    }
  }

  /** PostSync: synced dirs with the onclose rule. Returns the error text, if any. */
  async function postSync(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): Promise<string | undefined> {
    const cfs = context.cfs;
    if (!cfs) return undefined;
    const entries = spec.fs?.dirs ?? [];
    let failure: string | undefined;
    for (const dir of dirs.filter((entry) => entry.kind === 'dir')) {
      const keepLocal = entries[dir.index]!.onconflicts?.onclose?.keeplocal ?? false;
      try {
        await syncStagedDir(processId, dir, { keepLocal, create: false, store: cfs.store });
      } catch (error) {
        failure ??= executorError(`${errorText(error)} (label ${dir.label})`, 'Failed to sync to filesystem, onProcessStart=false');
      }
    }
    return failure;
  }

  async function snapshotResults(processId: string, dirs: readonly StagedDirectory[]): Promise<string | undefined> {
    const result = resultDirectory(dirs);
    const cfs = context.cfs;
    if (!result || !cfs) return undefined;
    const snapshot = await snapshotResultLabel({
      metadata: context.metadata(),
      store: cfs.store,
      label: result.label,
      processId,
      removeSnapshot: (snapshotId) => context.removeSnapshot(snapshotId),
    });
    return snapshot.snapshotid;
  }

  return {
    preSync,
    postSync,
    snapshotResults,
    adopt: (processId, spec, dirs) => leases.adopt(processId, snapshotRequests(spec, dirs)),
    release: (processId) => leases.release(processId),
    cleanFiles: async (processId, spec, dirs) => {
      try {
        await cleanStagedFiles(context, processId, spec, dirs);
      } finally {
        leases.release(processId);
      }
    },
  };
}

/** Cleanup: keepfiles / keepsnapshot, as the original, but only the job's own exact dirs, never one in use by another process. */
async function cleanStagedFiles(context: ExecutorStagingContext, processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): Promise<void> {
  const snapshots = spec.fs?.snapshots ?? [];
  for (const dir of dirs.filter((entry) => entry.kind === 'snapshot')) {
    const snapshot = snapshots[dir.index]!;
    if (snapshot.keepsnapshot) continue;
    try {
      await context.removeSnapshot(snapshot.snapshotid);
    } catch (error) {
      context.warn(processId, `could not remove snapshot ${snapshot.snapshotid}: ${errorText(error)}`);
    }
  }
  const others = context.dirsOfOthers(processId);
  for (const dir of dirs) {
    // As the original: a kept snapshot keeps its files too.
    if (dir.keepfiles || (dir.kind === 'snapshot' && snapshots[dir.index]!.keepsnapshot)) continue;
    // Another running process stages this dir, or one below it: keep it.
    if (others.some((other) => other === dir.hostPath || isAncestorPath(dir.hostPath, other))) continue;
    try {
      await removeConfinedDirectory(context.fsDir, dir.hostPath);
    } catch (error) {
      context.warn(processId, `did not remove ${dir.dir}: ${errorText(error)}`);
    }
  }
}
