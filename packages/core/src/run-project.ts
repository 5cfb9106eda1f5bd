import { lstat, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ColoniesClientError,
  ColoniesError,
  createColoniesClient,
  UnreadableProcessError,
  type ColoniesClient,
  type ColoniesClientOptions,
} from '@pollinator/colonies-client';
import {
  cfsMetadataFromClient,
  createSnapshot,
  type BlobStore,
  type CfsMetadata,
  type IgnoreOptions,
} from '@pollinator/cfs-sync';
import {
  buildFunctionSpec,
  formatProjectIssue,
  loadProject,
  ProjectConfigError,
  projectPaths,
  type LoadedProject,
  type Project,
} from '@pollinator/spec-builder';
import { startRun, type PollinatorRun } from './event-channel';
import type { PollinatorEvent, RunResult, SyncTarget } from './events';
import { ExitCode } from './exit-codes';
import { followUntilDone } from './follow-process';
import { syncTarget } from './project-sync';

/** Snapshot id put into the spec of a dry run (the placeholder ColonyOS examples use). */
export const DRY_RUN_SNAPSHOT_ID = '{snapshotid}';

export interface RunProjectOptions {
  /** Project directory (holds project.yaml and cfs/). */
  dir: string;
  /** A Colonies client (its key submits; its colony is the default). */
  client?: ColoniesClient;
  /** Or the options to create one (`loadColoniesConfig(process.env)` gives them). */
  config?: ColoniesClientOptions;
  /** Colony to run in; default the client's. */
  colonyName?: string;
  /** Where file contents go (S3 of the colony, or the local store of the embedded default). */
  blobStore: BlobStore;
  /**
   * Stops the run. During sync: transfers stop, nothing half-written is left
   * behind, and nothing is submitted. While following: the run detaches and
   * the process keeps running (exit code 130), unless `cancelOnAbort`.
   */
  signal?: AbortSignal;
  /** Follow the process to its end and download results (default true). `false` returns after submit. */
  follow?: boolean;
  /** Load, plan the syncs and build the spec without changing anything anywhere. */
  dryRun?: boolean;
  /** Cancel the process when `signal` aborts while following (default false). */
  cancelOnAbort?: boolean;
  /** cfs-sync stat cache directory, or false for none (default cfs-sync's). */
  stateDir?: string | false;
  /** Ignore rules for src and data (default: `.pollinatorignore` files and the built-in rules). */
  ignore?: IgnoreOptions;
  /** Delay between polls while following (default 500 ms). */
  pollIntervalMs?: number;
  /** How long the server may be unreachable while following (default 60 s). */
  connectionTimeoutMs?: number;
}

/**
 * Runs a Pollinator project, exactly what `pollinator run` does: load
 * project.yaml → sync `cfs/src` and `cfs/data` → snapshot src → submit →
 * follow state and logs → download `cfs/result` (after a failure too, unless
 * the project says otherwise) → done.
 *
 * Iterate the returned object for typed events (`PollinatorEvent`, all plain
 * JSON) and await `result` for `{ processId, state, exitCode }`. `result`
 * resolves for every outcome the exit-code contract covers (invalid project,
 * sync failure, rejected submission, job failure, cancel, lost connection);
 * it rejects only for invalid options.
 */
export function runProject(options: RunProjectOptions): PollinatorRun<PollinatorEvent, RunResult> {
  return startRun<PollinatorEvent, RunResult>(
    (emit) => runProjectFlow(options, emit),
    (result) => ({ type: 'done', result }),
  );
}

function stopped(
  emit: (event: PollinatorEvent) => void,
  code: string,
  message: string,
  exitCode: number,
  extra: Partial<RunResult> = {},
): RunResult {
  emit({ type: 'error', code, message, exitCode });
  return { processId: undefined, state: 'not-submitted', exitCode, detached: false, error: { code, message }, ...extra };
}

async function runProjectFlow(options: RunProjectOptions, emit: (event: PollinatorEvent) => void): Promise<RunResult> {
  if (options.blobStore === undefined) throw new TypeError('runProject: blobStore is required');
  const dir = resolve(options.dir);
  const { signal } = options;
  const dryRun = options.dryRun === true;

  // 1. Load and validate project.yaml.
  let loaded: LoadedProject;
  try {
    loaded = await loadProject(dir);
  } catch (error) {
    if (!ProjectConfigError.isInstance(error)) throw error;
    emit({
      type: 'error',
      code: 'INVALID_PROJECT',
      message: error.message,
      exitCode: ExitCode.INVALID_PROJECT,
      issues: error.issues,
    });
    return {
      processId: undefined,
      state: 'not-submitted',
      exitCode: ExitCode.INVALID_PROJECT,
      detached: false,
      error: { code: 'INVALID_PROJECT', message: error.message },
    };
  }
  const { project } = loaded;
  emit({
    type: 'project.loaded',
    dir,
    projectName: project.projectName,
    warnings: loaded.warnings.map(formatProjectIssue),
    issues: loaded.warnings,
  });

  const client = options.client ?? createClient(options);
  const colonyName = options.colonyName ?? client.colonyName;
  if (colonyName === undefined || colonyName === '') {
    throw new TypeError('runProject: no colony: pass colonyName or a client configured with one (COLONIES_COLONY_NAME)');
  }
  const metadata = cfsMetadataFromClient(client, colonyName);
  const paths = projectPaths(project.projectName);

  // 2. Sync src and data (local wins, as the original).
  for (const target of ['src', 'data'] as const) {
    if (signal?.aborted) return aborted(emit);
    try {
      await syncProjectDir(target, {
        dir: join(dir, 'cfs', target),
        label: target === 'src' ? paths.srcLabel : paths.dataLabel,
        keepLocal: true,
        metadata,
        project,
        projectDir: dir,
        options,
        emit,
      });
    } catch (error) {
      if (signal?.aborted) return aborted(emit);
      return stopped(emit, 'SYNC_FAILED', `uploading cfs/${target} failed: ${(error as Error).message}`, ExitCode.SYNC_FAILED);
    }
  }

  // 3. Snapshot src (not in a dry run: it would create server state).
  let snapshotId = DRY_RUN_SNAPSHOT_ID;
  if (!dryRun) {
    if (signal?.aborted) return aborted(emit);
    try {
      const snapshot = await createSnapshot({ metadata, store: options.blobStore, label: paths.srcLabel });
      snapshotId = snapshot.snapshotid;
      emit({
        type: 'snapshot.created',
        snapshotId,
        name: snapshot.name,
        label: snapshot.label,
        files: snapshot.fileids?.length ?? 0,
      });
    } catch (error) {
      return stopped(emit, 'SYNC_FAILED', `creating the snapshot of cfs/src failed: ${(error as Error).message}`, ExitCode.SYNC_FAILED);
    }
  }

  // 4. Build (and unless dry-running, submit) the spec.
  const spec = buildFunctionSpec(project, { colonyName, snapshotId });
  emit({ type: 'spec.built', spec });
  if (dryRun) return { processId: undefined, state: 'dry-run', exitCode: ExitCode.SUCCESS, detached: false };
  if (signal?.aborted) return aborted(emit);

  let processId: string;
  try {
    const process = await client.submit(spec);
    processId = process.processid;
  } catch (error) {
    if (UnreadableProcessError.isInstance(error) && error.processId) {
      // The server created the process; only its reply is beyond what this
      // client reads. Name it, so the user can look at it or cancel it.
      emit({ type: 'process.submitted', processId: error.processId, colonyName });
      return stopped(
        emit,
        'PROCESS_UNREADABLE',
        `process ${error.processId} was created, but the server's reply cannot be read (${error.reason}); cancel it with \`pollinator cancel ${error.processId}\` if it should not run`,
        ExitCode.SUBMISSION_REJECTED,
        { processId: error.processId, state: 'waiting' },
      );
    }
    if (ColoniesError.isInstance(error) || !ColoniesClientError.isInstance(error) || !error.retryable) {
      return stopped(emit, 'SUBMISSION_REJECTED', `the server refused the submission: ${(error as Error).message}`, ExitCode.SUBMISSION_REJECTED);
    }
    return stopped(
      emit,
      'CONNECTION_LOST',
      `submitting failed, the server could not be reached (the process may or may not exist; list processes to check): ${(error as Error).message}`,
      ExitCode.CONNECTION_LOST,
    );
  }
  emit({ type: 'process.submitted', processId, colonyName });
  if (options.follow === false) {
    return { processId, state: 'waiting', exitCode: ExitCode.SUCCESS, detached: true };
  }

  // 5. Follow state and logs.
  const followed = await followUntilDone(
    {
      client,
      processId,
      colonyName,
      ...(signal === undefined ? {} : { signal }),
      ...(options.cancelOnAbort === undefined ? {} : { cancelOnAbort: options.cancelOnAbort }),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs: options.connectionTimeoutMs }),
    },
    emit,
  );
  if (followed.detached || signal?.aborted) return followed;

  // 6. Download results (after a failure too, by default).
  if (!shouldDownload(project, followed)) return followed;
  return downloadResults(project, dir, metadata, options, emit, followed);
}

function shouldDownload(project: Project, result: RunResult): boolean {
  switch (project.result.download) {
    case 'never':
      return false;
    case 'on-success':
      return result.state === 'success';
    default:
      return true;
  }
}

/** Downloads `cfs/result` (remote wins; local edits are kept as backups) and emits `result.synced`. */
export async function downloadResults(
  project: Project,
  dir: string,
  metadata: CfsMetadata,
  options: Pick<RunProjectOptions, 'blobStore' | 'signal' | 'stateDir'>,
  emit: (event: PollinatorEvent) => void,
  result: RunResult,
): Promise<RunResult> {
  const label = projectPaths(project.projectName).resultLabel;
  const resultDir = join(dir, 'cfs', 'result');
  try {
    const synced = await syncProjectDir('result', { dir: resultDir, label, keepLocal: false, metadata, project, projectDir: dir, options, emit });
    emit({
      type: 'result.synced',
      dir: resultDir,
      label,
      downloaded: { files: synced?.downloaded ?? 0, bytes: synced?.bytesDownloaded ?? 0 },
      backups: synced?.backups ?? [],
    });
    return result;
  } catch (error) {
    const message = `downloading cfs/result failed: ${(error as Error).message}`;
    // The job's own failure code wins; a successful job whose results did not arrive is a sync failure.
    const exitCode = result.exitCode === ExitCode.SUCCESS ? ExitCode.SYNC_FAILED : result.exitCode;
    emit({ type: 'error', code: 'RESULT_SYNC_FAILED', message, exitCode });
    return { ...result, exitCode, error: result.error ?? { code: 'RESULT_SYNC_FAILED', message } };
  }
}

async function syncProjectDir(
  target: SyncTarget,
  context: {
    dir: string;
    label: string;
    keepLocal: boolean;
    metadata: CfsMetadata;
    project: Project;
    /** The project directory: with `sync.symlinks: inside`, links whose target resolves inside it are followed. */
    projectDir: string;
    options: Pick<RunProjectOptions, 'blobStore' | 'signal' | 'stateDir' | 'ignore' | 'dryRun'>;
    emit: (event: PollinatorEvent) => void;
  },
) {
  const { options } = context;
  const dryRun = options.dryRun === true;
  // lstat: a cfs/<target> that is a symlink exists (whether it is followed is the sync's decision, by policy).
  const exists = await lstat(context.dir).then(
    () => true,
    () => false,
  );
  if (!exists && !dryRun) await mkdir(context.dir, { recursive: true });
  const { result } = await syncTarget({
    target,
    dir: context.dir,
    label: context.label,
    keepLocal: context.keepLocal,
    metadata: context.metadata,
    store: options.blobStore,
    emit: context.emit,
    dryRun,
    // A project.yaml parsed before `sync.symlinks` existed has no `sync`: the default applies.
    symlinks: (context.project.sync as Project['sync'] | undefined)?.symlinks ?? 'skip',
    symlinkRoot: context.projectDir,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    ...(options.ignore === undefined ? {} : { ignore: options.ignore }),
  });
  return result;
}

function aborted(emit: (event: PollinatorEvent) => void): RunResult {
  return stopped(emit, 'ABORTED', 'the run was stopped before submitting; nothing was submitted', ExitCode.CANCELLED);
}

function createClient(options: RunProjectOptions): ColoniesClient {
  if (options.config === undefined) throw new TypeError('runProject: pass a client or a config');
  return createColoniesClient(options.config);
}
