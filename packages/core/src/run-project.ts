import { resolve } from 'node:path';
import { createColoniesClient, type ColoniesClient, type ColoniesClientOptions } from '@pollinator/colonies-client';
import { cfsMetadataFromClient, type BlobStore, type IgnoreOptions } from '@pollinator/cfs-sync';
import {
  buildFunctionSpec,
  formatProjectIssue,
  loadProject,
  ProjectConfigError,
  type LoadedProject,
  type Project,
} from '@pollinator/spec-builder';
import { startRun, type PollinatorRun } from './event-channel';
import type { PollinatorEvent, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { followAttempts } from './follow-attempts';
import { downloadProcessResults, projectResultDir } from './result-download';
import { syncInputs } from './run-project-inputs';
import { provenanceEnv, withEnv } from './run-provenance';
import { aborted } from './run-stop';
import { submitSpec } from './submit-spec';

export { DRY_RUN_SNAPSHOT_ID, PROJECT_IGNORE_FILE, REMOTE_CHANGED_FIX } from './run-project-inputs';

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
  /**
   * Ignore rules for src and data (default: the built-in rules, the project's
   * root `.pollinatorignore`, then `.pollinatorignore` files inside cfs/src and cfs/data).
   */
  ignore?: IgnoreOptions;
  /** Delay between polls while following (default 500 ms). */
  pollIntervalMs?: number;
  /** How long the server may be unreachable while following (default 60 s). */
  connectionTimeoutMs?: number;
  /**
   * Upload local files even over remote revisions that changed since this
   * machine last synced them (default false: the run stops with REMOTE_CHANGED, exit 73, before uploading anything).
   */
  force?: boolean;
  /** Version of the submitting tool, recorded on the process as `POLLINATOR_CLI_VERSION`. */
  toolVersion?: string;
}

/**
 * Runs a Pollinator project, exactly what `pollinator run` does: load
 * project.yaml → plan, then upload `cfs/src` and `cfs/data` → snapshot both →
 * submit (the snapshots and provenance on the record) → follow state and logs
 * → download the run's results (after a failure too, unless the project says
 * otherwise) → done.
 *
 * Iterate the returned object for typed events (`PollinatorEvent`, all plain
 * JSON) and await `result` for `{ processId, state, exitCode }`. `result`
 * resolves for every outcome the exit-code contract covers (invalid project,
 * sync failure, remote change, rejected submission, job failure, cancel, lost
 * connection); it rejects only for invalid options.
 */
export function runProject(options: RunProjectOptions): PollinatorRun<PollinatorEvent, RunResult> {
  return startRun<PollinatorEvent, RunResult>(
    (emit) => runProjectFlow(options, emit),
    (result) => ({ type: 'done', result }),
  );
}

async function runProjectFlow(options: RunProjectOptions, emit: (event: PollinatorEvent) => void): Promise<RunResult> {
  if (options.blobStore === undefined) throw new TypeError('runProject: blobStore is required');
  const dir = resolve(options.dir);
  const { signal } = options;
  const dryRun = options.dryRun === true;

  // 1. Load and validate project.yaml.
  const project = await loadOrStop(dir, emit);
  if ('stop' in project) return project.stop;

  const client = options.client ?? createClient(options);
  const colonyName = options.colonyName ?? client.colonyName;
  if (colonyName === undefined || colonyName === '') {
    throw new TypeError('runProject: no colony: pass colonyName or a client configured with one (COLONIES_COLONY_NAME)');
  }
  const metadata = cfsMetadataFromClient(client, colonyName);

  // 2. Plan, then upload src and data (local wins, as the original, unless a remote file changed
  //    since this machine last synced it); snapshot both (not in a dry run: it would create server state).
  const inputs = await syncInputs({
    project: project.project,
    dir,
    metadata,
    blobStore: options.blobStore,
    dryRun,
    force: options.force === true,
    emit,
    ...(signal === undefined ? {} : { signal }),
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    ...(options.ignore === undefined ? {} : { ignore: options.ignore }),
  });
  if ('stop' in inputs) return inputs.stop;
  const { srcSnapshotId, dataSnapshotId } = inputs.snapshots;

  // 3. Build (and unless dry-running, submit) the spec, its provenance in env.
  const provenance = await provenanceEnv({ srcSnapshotId, dataSnapshotId, dir, ...(options.toolVersion === undefined ? {} : { toolVersion: options.toolVersion }) });
  const spec = withEnv(buildFunctionSpec(project.project, { colonyName, snapshotId: srcSnapshotId, dataSnapshotId }), provenance);
  emit({ type: 'spec.built', spec });
  if (dryRun) return { processId: undefined, state: 'dry-run', exitCode: ExitCode.SUCCESS, detached: false };
  if (signal?.aborted) return aborted(emit);

  const submitted = await submitSpec(client, spec, colonyName, emit);
  if ('stop' in submitted) return submitted.stop;
  const { processId } = submitted;
  if (options.follow === false) {
    return { processId, state: 'waiting', exitCode: ExitCode.SUCCESS, detached: true };
  }

  // 4. Follow state and logs, across retries (the result is the last attempt's).
  const followed = await followAttempts(
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

  // 5. Download this run's results (after a failure too, by default): its own result snapshot when
  //    the executor recorded one, else the shared result label.
  if (!shouldDownload(project.project, followed)) return followed;
  return downloadProcessResults(
    {
      client,
      processId: followed.processId ?? processId,
      projectName: project.project.projectName,
      resultDir: projectResultDir(dir),
      metadata,
      blobStore: options.blobStore,
      emit,
      ...(signal === undefined ? {} : { signal }),
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    },
    followed,
  );
}

async function loadOrStop(dir: string, emit: (event: PollinatorEvent) => void): Promise<{ project: Project } | { stop: RunResult }> {
  let loaded: LoadedProject;
  try {
    loaded = await loadProject(dir);
  } catch (error) {
    if (!ProjectConfigError.isInstance(error)) throw error;
    emit({ type: 'error', code: 'INVALID_PROJECT', message: error.message, exitCode: ExitCode.INVALID_PROJECT, issues: error.issues });
    return {
      stop: {
        processId: undefined,
        state: 'not-submitted',
        exitCode: ExitCode.INVALID_PROJECT,
        detached: false,
        error: { code: 'INVALID_PROJECT', message: error.message },
      },
    };
  }
  emit({
    type: 'project.loaded',
    dir,
    projectName: loaded.project.projectName,
    warnings: loaded.warnings.map(formatProjectIssue),
    issues: loaded.warnings,
  });
  return { project: loaded.project };
}

/** Whether `result.download` in project.yaml asks for the results after this outcome. */
export function shouldDownload(project: Project, result: RunResult): boolean {
  switch (project.result.download) {
    case 'never':
      return false;
    case 'on-success':
      return result.state === 'success';
    default:
      return true;
  }
}

function createClient(options: RunProjectOptions): ColoniesClient {
  if (options.config === undefined) throw new TypeError('runProject: pass a client or a config');
  return createColoniesClient(options.config);
}
