/**
 * The executor's CFS staging (PreSync, PostSync, keepfiles cleanup) for one
 * process, confined to the staging root: every staged directory was checked
 * from the spec (`stagedDirectories`), every component from `fsDir` down is a
 * real directory (never a job-made symlink), job-made symlinks inside are
 * neither uploaded nor written through, and cleanup removes only the job's
 * own exact directories, never one another running process uses below it.
 */
import { join } from 'node:path';
import {
  materializeSnapshot,
  syncDirectory,
  type BlobStore,
  type CfsMetadata,
} from '@pollinator/cfs-sync';
import { errorText } from './error-text';
import { ensureConfinedDirectory, removeConfinedDirectory, removeSymlinksBelow } from './confined-directory';
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
  preSync(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): Promise<void>;
  postSync(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): Promise<string | undefined>;
  cleanFiles(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): Promise<void>;
}

export function createExecutorStaging(context: ExecutorStagingContext): ExecutorStaging {
  // Jobs of one project share staging directories (`data`, `result`): their
  // syncs of the same directory take turns.
  const withStagingLock = createKeyedLock();
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
        stateDir: cfsStateDir,
      });
    });
  }

  async function preSync(processId: string, spec: ExecutorSpec, dirs: StagedDirectory[]): Promise<void> {
    if (dirs.length === 0) return;
    const cfs = context.cfs;
    if (!cfs) throw new Error(executorError('this executor has no CFS configured', 'Failed to pre sync'));
    const snapshots = spec.fs?.snapshots ?? [];
    for (const dir of dirs.filter((entry) => entry.kind === 'snapshot')) {
      const snapshotId = snapshots[dir.index]!.snapshotid;
      try {
        await withStagingLock(dir.hostPath, async () => {
          await prepare(processId, dir, true);
          await materializeSnapshot({ confineTo: context.fsDir, metadata: context.metadata(), store: cfs.store, snapshot: { snapshotId }, dir: dir.hostPath });
        });
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

  return { preSync, postSync, cleanFiles: (processId, spec, dirs) => cleanStagedFiles(context, processId, spec, dirs) };
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
