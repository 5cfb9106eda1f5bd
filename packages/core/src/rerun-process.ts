import type { ColoniesClient, Process } from '@pollinator/colonies-client';
import { cfsMetadataFromClient, type BlobStore } from '@pollinator/cfs-sync';
import { projectPaths, type FunctionSpec } from '@pollinator/spec-builder';
import { errorText } from './error-text';
import { startRun, type PollinatorRun } from './event-channel';
import type { PollinatorEvent, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { followAttempts } from './follow-attempts';
import { withoutAttemptLinks } from './process-attempts';
import { downloadProcessResults } from './result-download';
import { RunRecordKey } from './run-record-keys';
import { failedAt, stopped } from './run-stop';
import { withEnv } from './run-provenance';
import { submitSpec } from './submit-spec';

export interface RerunProcessOptions {
  client: ColoniesClient;
  /** The run to repeat. */
  processId: string;
  /** Where the results are downloaded from: needed with `outputDir` only (the dashboard's unfollowed rerun has none). */
  blobStore?: BlobStore;
  /** Default the client's colony (the recorded spec names the colony it runs in). */
  colonyName?: string;
  /**
   * Download the new run's results here (its own result snapshot; nothing is
   * downloaded without it). A function gets the new process id (e.g. for a
   * `<id>-result` directory), called once the run has ended.
   */
  outputDir?: string | ((processId: string) => string);
  /** Follow the new process to its end (default true). `false` returns after submit. */
  follow?: boolean;
  /** While following: detach (default) or, with `cancelOnAbort`, cancel. */
  signal?: AbortSignal;
  cancelOnAbort?: boolean;
  pollIntervalMs?: number;
  connectionTimeoutMs?: number;
  stateDir?: string | false;
  /** Version of the tool submitting the rerun (recorded as `POLLINATOR_CLI_VERSION`). */
  toolVersion?: string;
}

/**
 * Runs a recorded process again with exactly its spec: the same src and data
 * snapshots (so the job sees byte-identical inputs, whatever happened to the
 * project's labels since), the same command, image and resources; `env` gains
 * `POLLINATOR_RERUN_OF`. Refuses (`SNAPSHOT_REMOVED`, exit 66) when a snapshot
 * it needs was removed. Events as `runProject` from `spec.built` on:
 * `spec.built` → `process.submitted` → `process.state`/`log`… → (`sync.*`,
 * `result.synced` with `outputDir`) → `done`.
 */
export function rerunProcess(options: RerunProcessOptions): PollinatorRun<PollinatorEvent, RunResult> {
  return startRun<PollinatorEvent, RunResult>(
    (emit) => rerunFlow(options, emit),
    (result) => ({ type: 'done', result }),
  );
}

async function rerunFlow(options: RerunProcessOptions, emit: (event: PollinatorEvent) => void): Promise<RunResult> {
  const { client, signal } = options;
  if (options.outputDir !== undefined && options.blobStore === undefined) {
    throw new TypeError('[pollinator] [core] rerunProcess: outputDir needs a blobStore to download the results from');
  }
  const call = signal === undefined ? {} : { signal };
  let original: Process;
  try {
    original = await client.getProcess(options.processId, call);
  } catch (error) {
    return failedAt(emit, error, 'submit', `reading process ${options.processId} to rerun it`);
  }
  const colonyName = original.spec.conditions.colonyname || options.colonyName || client.colonyName || '';
  const missing = await missingSnapshots(client, original, colonyName, signal);
  if (missing.length > 0) {
    const message =
      `process ${original.processid} cannot be rerun with the same inputs: ${missing.join('; ')} ` +
      `(removed by \`pollinator gc\` or by hand); nothing was submitted`;
    return stopped(emit, 'SNAPSHOT_REMOVED', message, ExitCode.NO_INPUT, {
      fix: 'Run the project again from its directory instead (`pollinator run`): it snapshots the current inputs.',
      details: { processId: original.processid, missing },
    });
  }
  if (!stagesDataFromSnapshot(original.spec)) {
    emit({
      type: 'warning',
      code: 'RERUN_DATA_FROM_LABEL',
      message: `process ${original.processid} was submitted before runs were records: its data is read from the project's data label as it is now, not as the first run saw it`,
    });
  }

  // A rerun is a new run: attempt 1 again, not a retry of the attempt it copies.
  const spec = withEnv(withoutAttemptLinks(copySpec(original.spec)), {
    [RunRecordKey.rerunOf]: original.processid,
    ...(options.toolVersion === undefined || options.toolVersion === '' ? {} : { [RunRecordKey.cliVersion]: options.toolVersion }),
  });
  emit({ type: 'spec.built', spec });
  if (signal?.aborted) return stopped(emit, 'ABORTED', 'the rerun was stopped before submitting; nothing was submitted', ExitCode.CANCELLED);
  const submitted = await submitSpec(client, spec, colonyName, emit);
  if ('stop' in submitted) return submitted.stop;
  const { processId } = submitted;
  if (options.follow === false) return { processId, state: 'waiting', exitCode: ExitCode.SUCCESS, detached: true };

  const followed = await followAttempts(
    {
      client,
      processId,
      colonyName,
      ...call,
      ...(options.cancelOnAbort === undefined ? {} : { cancelOnAbort: options.cancelOnAbort }),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs: options.connectionTimeoutMs }),
    },
    emit,
  );
  const outputDir = typeof options.outputDir === 'function' ? options.outputDir(processId) : options.outputDir;
  // (blobStore is there whenever outputDir is: checked at the start.)
  if (followed.detached || signal?.aborted || outputDir === undefined || options.blobStore === undefined) return followed;
  return downloadProcessResults(
    {
      client,
      processId: followed.processId ?? processId,
      projectName: spec.label,
      resultDir: outputDir,
      metadata: cfsMetadataFromClient(client, colonyName),
      blobStore: options.blobStore,
      emit,
      ...call,
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    },
    followed,
  );
}

/** The snapshots of the spec that no longer exist, described (`the data snapshot <id>`). */
async function missingSnapshots(client: ColoniesClient, process: Process, colonyName: string, signal: AbortSignal | undefined): Promise<string[]> {
  const paths = projectPaths(process.spec.label);
  const missing: string[] = [];
  for (const snapshot of process.spec.fs?.snapshots ?? []) {
    const what = snapshot.label === paths.srcLabel ? 'src' : snapshot.label === paths.dataLabel ? 'data' : snapshot.label;
    try {
      await client.getSnapshot({ snapshotId: snapshot.snapshotid, ...(colonyName === '' ? {} : { colonyName }) }, signal === undefined ? {} : { signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      missing.push(`the ${what} snapshot ${snapshot.snapshotid} is gone (${errorText(error)})`);
    }
  }
  return missing;
}

function stagesDataFromSnapshot(spec: FunctionSpec): boolean {
  const dataLabel = projectPaths(spec.label).dataLabel;
  const usesData = (spec.fs?.dirs ?? []).some((dir) => dir.label === dataLabel);
  return !usesData;
}

/** A plain-JSON copy: the new spec shares no objects with the process read from the server. */
function copySpec(spec: FunctionSpec): FunctionSpec {
  return JSON.parse(JSON.stringify(spec)) as FunctionSpec;
}
