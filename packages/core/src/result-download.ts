import { join } from 'node:path';
import type { ColoniesClient, Process } from '@pollinator/colonies-client';
import type { BlobStore, CfsMetadata } from '@pollinator/cfs-sync';
import { projectPaths } from '@pollinator/spec-builder';
import type { PollinatorEvent, ResultSource, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { describeFailure } from './failure-cause';
import { processCause } from './process-cause';
import { applyTarget, planTarget } from './project-sync';
import { RunRecordKey } from './run-record-keys';
import { resultSnapshotOf } from './run-record-values';

/** Warning code: a named run's executor recorded no result snapshot; the shared label was downloaded. */
export const RESULT_LABEL_FALLBACK = 'RESULT_LABEL_FALLBACK';

export interface ResultDownloadOptions {
  projectName: string;
  /** Where the files go (default `<project dir>/cfs/result`). */
  resultDir: string;
  metadata: CfsMetadata;
  blobStore: BlobStore;
  signal?: AbortSignal;
  stateDir?: string | false;
  emit: (event: PollinatorEvent) => void;
  /** The run whose results these are: its own result snapshot when recorded, else the label (with a warning). */
  process?: Pick<Process, 'processid' | 'attributes' | 'spec'> & Partial<Pick<Process, 'state'>>;
}

/** Where a run's results are: its recorded snapshot, or the shared result label. */
export function resultSourceFor(options: Pick<ResultDownloadOptions, 'projectName' | 'process'>): ResultSource {
  const label = projectPaths(options.projectName).resultLabel;
  if (options.process === undefined) return { kind: 'label', label, fallback: false };
  const snapshotId = resultSnapshotOf(options.process);
  if (snapshotId === undefined) return { kind: 'label', label, fallback: true };
  return { kind: 'snapshot', snapshotId, processId: options.process.processid };
}

/**
 * Downloads results (remote wins, local edits kept as backups, local-only
 * files left alone) and emits `result.synced`; a failure is an `error` event
 * classified by cause. A job's own failure code wins over a download failure.
 */
export async function downloadResults(options: ResultDownloadOptions, result: RunResult): Promise<RunResult> {
  const { emit } = options;
  const label = projectPaths(options.projectName).resultLabel;
  const source = resultSourceFor(options);
  if (source.kind === 'label' && source.fallback) {
    // WAITING (0) or RUNNING (1): the snapshot is taken when the job ends, so there is none yet.
    const unfinished = options.process?.state === 0 || options.process?.state === 1;
    // A job that never started has no results of its own to record: not an executor that records none.
    const neverStarted = options.process !== undefined && processCause(options.process)?.kind === 'could-not-start';
    emit({
      type: 'warning',
      code: RESULT_LABEL_FALLBACK,
      message: unfinished
        ? `process ${options.process?.processid} has not finished: its own results are recorded when it ends; ` +
          `downloading the latest files of ${label} so far (\`pollinator pull ${options.process?.processid}\` once it has ended gets exactly its results)`
        : neverStarted
          ? `process ${options.process?.processid} never started, so it made no results: downloading the latest files of ${label} (from earlier runs)`
          : `the executor of process ${options.process?.processid} did not record per-run results (no ${RunRecordKey.resultSnapshot}; ` +
            `the original Go executor does not): downloading the latest files of ${label}, which a later run of the project may have replaced`,
    });
  }
  try {
    const plan = await planTarget({
      target: 'result',
      dir: options.resultDir,
      label,
      keepLocal: false,
      direction: 'download',
      metadata: options.metadata,
      emit,
      ...(source.kind === 'snapshot' ? { source: { snapshotId: source.snapshotId } } : {}),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    });
    const synced = await applyTarget(plan, {
      target: 'result',
      store: options.blobStore,
      emit,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    emit({
      type: 'result.synced',
      dir: options.resultDir,
      label,
      source,
      downloaded: { files: synced.downloaded, bytes: synced.bytesDownloaded },
      backups: synced.backups,
      skipped: synced.skipped ?? [],
    });
    return result;
  } catch (error) {
    const cause = describeFailure(error, 'download', `downloading ${source.kind === 'snapshot' ? `the result snapshot ${source.snapshotId}` : label} into ${options.resultDir}`);
    // The job's own failure code wins; a successful job whose results did not arrive is a download failure.
    const exitCode = result.exitCode === ExitCode.SUCCESS ? cause.exitCode : result.exitCode;
    const code = cause.code === 'SYNC_FAILED' ? 'RESULT_SYNC_FAILED' : cause.code;
    emit({ type: 'error', code, message: cause.message, exitCode, ...(cause.fix === undefined ? {} : { fix: cause.fix }) });
    return { ...result, exitCode, error: result.error ?? { code, message: cause.message } };
  }
}

/** Reads the process (for its recorded result snapshot) and downloads its results into `resultDir`. */
export async function downloadProcessResults(
  options: Omit<ResultDownloadOptions, 'process'> & { client: Pick<ColoniesClient, 'getProcess'>; processId: string },
  result: RunResult,
): Promise<RunResult> {
  const { client, processId, ...rest } = options;
  let process: Process;
  try {
    process = await client.getProcess(processId, { ...(options.signal === undefined ? {} : { signal: options.signal }) });
  } catch (error) {
    const cause = describeFailure(error, 'download', `reading process ${processId} for its result snapshot`);
    const exitCode = result.exitCode === ExitCode.SUCCESS ? cause.exitCode : result.exitCode;
    options.emit({ type: 'error', code: cause.code, message: cause.message, exitCode, ...(cause.fix === undefined ? {} : { fix: cause.fix }) });
    return { ...result, exitCode, error: result.error ?? { code: cause.code, message: cause.message } };
  }
  return downloadResults({ ...rest, process }, result);
}

/** `<project dir>/cfs/result`. */
export function projectResultDir(projectDir: string): string {
  return join(projectDir, 'cfs', 'result');
}
