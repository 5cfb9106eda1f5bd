import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createSnapshot, LocalFileUnreadableError, type BlobStore, type CfsMetadata, type IgnoreOptions, type SyncPlan } from '@pollinator/cfs-sync';
import { projectPaths, type Project } from '@pollinator/spec-builder';
import type { PollinatorEvent, RemoteChangedFile, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { applyTarget, planTarget, remoteChangedFiles } from './project-sync';
import { aborted, failedAt, stopped } from './run-stop';

/** Snapshot id put into the spec of a dry run (the placeholder ColonyOS examples use). */
export const DRY_RUN_SNAPSHOT_ID = '{snapshotid}';

/** The project's own ignore file, at its root: applies to both cfs/src and cfs/data. */
export const PROJECT_IGNORE_FILE = '.pollinatorignore';

/** What to do about a REMOTE_CHANGED stop (also the CLI's hint). */
export const REMOTE_CHANGED_FIX =
  '`pollinator pull --inputs` takes the remote copies (yours are kept as backups); `pollinator run --force` uploads yours over them';

export interface InputSnapshots {
  srcSnapshotId: string;
  dataSnapshotId: string;
}

export interface SyncInputsContext {
  project: Project;
  /** The project directory (absolute). */
  dir: string;
  metadata: CfsMetadata;
  blobStore: BlobStore;
  signal?: AbortSignal;
  stateDir?: string | false;
  ignore?: IgnoreOptions;
  dryRun: boolean;
  force: boolean;
  emit: (event: PollinatorEvent) => void;
}

const TARGETS = ['src', 'data'] as const;

/**
 * The sync phase of a run: plan cfs/src and cfs/data (local wins), stop before
 * anything is uploaded when a remote file changed since this machine last
 * synced it (unless forced), upload both, then snapshot both labels (metadata
 * only) so the process record names exactly the inputs the job sees. A dry run
 * plans and checks, and returns the placeholder ids.
 */
export async function syncInputs(context: SyncInputsContext): Promise<{ snapshots: InputSnapshots } | { stop: RunResult }> {
  const { emit, signal } = context;
  const paths = projectPaths(context.project.projectName);
  const labels = { src: paths.srcLabel, data: paths.dataLabel };
  const ignore: IgnoreOptions = {
    ...context.ignore,
    extraIgnoreFiles: [join(context.dir, PROJECT_IGNORE_FILE), ...(context.ignore?.extraIgnoreFiles ?? [])],
  };

  const plans: Partial<Record<(typeof TARGETS)[number], SyncPlan>> = {};
  for (const target of TARGETS) {
    if (signal?.aborted) return { stop: aborted(emit) };
    const dir = join(context.dir, 'cfs', target);
    try {
      // lstat: a cfs/<target> that is a symlink exists (whether it is followed is the sync's decision, by policy).
      const exists = await lstat(dir).then(() => true, () => false);
      if (!exists && !context.dryRun) await mkdir(dir, { recursive: true });
      plans[target] = await planTarget({
        target,
        dir,
        label: labels[target],
        keepLocal: true,
        metadata: context.metadata,
        emit,
        dryRun: context.dryRun,
        force: context.force,
        ignore,
        // A project.yaml parsed before `sync.symlinks` existed has no `sync`: the default applies.
        symlinks: (context.project.sync as Project['sync'] | undefined)?.symlinks ?? 'skip',
        symlinkRoot: context.dir,
        ...(signal === undefined ? {} : { signal }),
        ...(context.stateDir === undefined ? {} : { stateDir: context.stateDir }),
      });
    } catch (error) {
      if (signal?.aborted) return { stop: aborted(emit) };
      return { stop: failedAt(emit, error, 'upload', `uploading cfs/${target}`) };
    }
  }

  const stale = TARGETS.flatMap((target) => remoteChangedFiles(target, plans[target]!));
  if (stale.length > 0) return { stop: remoteChanged(emit, stale) };
  // A file that cannot be read stops `plan` as it stops `run`: listing it as an upload would promise one.
  const unreadable = TARGETS.flatMap((target) =>
    plans[target]!.entries.filter((entry) => entry.action === 'unreadable').map((entry) => ({ path: `cfs/${target}/${entry.path}`, reason: entry.reason })),
  );
  if (unreadable.length > 0) return { stop: failedAt(emit, new LocalFileUnreadableError(unreadable), 'upload', 'reading the project files') };
  if (context.dryRun) return { snapshots: { srcSnapshotId: DRY_RUN_SNAPSHOT_ID, dataSnapshotId: DRY_RUN_SNAPSHOT_ID } };

  for (const target of TARGETS) {
    if (signal?.aborted) return { stop: aborted(emit) };
    try {
      await applyTarget(plans[target]!, { target, store: context.blobStore, emit, ...(signal === undefined ? {} : { signal }) });
    } catch (error) {
      if (signal?.aborted) return { stop: aborted(emit) };
      // A remote change between the plan and the upload: the same stop, with what cfs-sync saw.
      if ((error as { code?: unknown }).code === 'REMOTE_CHANGED') return { stop: remoteChangedError(emit, target, error) };
      return { stop: failedAt(emit, error, 'upload', `uploading cfs/${target}`) };
    }
  }

  const ids: Partial<Record<(typeof TARGETS)[number], string>> = {};
  for (const target of TARGETS) {
    if (signal?.aborted) return { stop: aborted(emit) };
    try {
      const snapshot = await createSnapshot({ metadata: context.metadata, store: context.blobStore, label: labels[target] });
      ids[target] = snapshot.snapshotid;
      emit({
        type: 'snapshot.created',
        target,
        snapshotId: snapshot.snapshotid,
        name: snapshot.name,
        label: snapshot.label,
        files: snapshot.fileids?.length ?? 0,
      });
    } catch (error) {
      return { stop: failedAt(emit, error, 'snapshot', `creating the snapshot of cfs/${target}`) };
    }
  }
  return { snapshots: { srcSnapshotId: ids.src!, dataSnapshotId: ids.data! } };
}

function remoteChanged(emit: (event: PollinatorEvent) => void, files: RemoteChangedFile[]): RunResult {
  const shown = files.slice(0, 5).map((file) => `cfs/${file.target}/${file.path}`);
  const more = files.length > shown.length ? ` and ${files.length - shown.length} more` : '';
  const message =
    `${files.length === 1 ? 'a file was' : `${files.length} files were`} changed remotely since this machine last synced ` +
    `${files.length === 1 ? 'it' : 'them'}, and locally too: ${shown.join(', ')}${more}; nothing was uploaded or submitted`;
  return stopped(emit, 'REMOTE_CHANGED', message, ExitCode.REMOTE_CHANGED, { fix: REMOTE_CHANGED_FIX, details: { files } });
}

function remoteChangedError(emit: (event: PollinatorEvent) => void, target: 'src' | 'data', error: unknown): RunResult {
  const listed = (error as { files?: { path: string; localSize: number; remoteSize: number; remoteAdded?: string }[] }).files ?? [];
  const files = listed.map(
    (file): RemoteChangedFile => ({
      target,
      path: file.path,
      localSize: file.localSize,
      remoteSize: file.remoteSize,
      ...(file.remoteAdded === undefined ? {} : { remoteAdded: file.remoteAdded }),
    }),
  );
  return remoteChanged(emit, files);
}
