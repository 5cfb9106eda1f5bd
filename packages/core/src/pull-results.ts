import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ColoniesClient, Process } from '@pollinator/colonies-client';
import { cfsMetadataFromClient, type BlobStore } from '@pollinator/cfs-sync';
import { formatProjectIssue, parseProject, PROJECT_FILE, type Project } from '@pollinator/spec-builder';
import { startRun, type PollinatorRun } from './event-channel';
import type { PollinatorEvent, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { downloadResults, projectResultDir } from './result-download';
import { findLastRun } from './run-record';
import { failedAt, stopped } from './run-stop';

/** What every download into a project directory needs (`pullResults`, `pullInputs`). */
export interface ProjectDownloadOptions {
  /** Project directory (its project.yaml names the project). */
  dir: string;
  client: ColoniesClient;
  blobStore: BlobStore;
  /** Default the client's colony. */
  colonyName?: string;
  signal?: AbortSignal;
  stateDir?: string | false;
}

export interface PullResultsOptions extends ProjectDownloadOptions {
  /**
   * The run whose results to download (default: the project's last finished
   * run). Its own result snapshot when its executor recorded one; otherwise the
   * shared result label, with a `RESULT_LABEL_FALLBACK` warning.
   */
  processId?: string;
}

/**
 * Downloads a run's results into `<dir>/cfs/result`, as `pollinator pull`
 * does: download-only (local files the remote lacks are left alone; local
 * edits of files the remote has are kept as visible backups). Events:
 * `sync.plan`, `sync.progress`, `sync.file`, `sync.done`, `result.synced`
 * (with its `source`), `warning`, `done` (exit code 0, or 64 / 65 / 74).
 */
export function pullResults(options: PullResultsOptions): PollinatorRun<PollinatorEvent, RunResult> {
  return startRun<PollinatorEvent, RunResult>(
    async (emit) => {
      const dir = resolve(options.dir);
      const base: RunResult = { processId: undefined, state: 'not-submitted', exitCode: ExitCode.SUCCESS, detached: false };
      const project = await readProjectFile(dir, emit);
      if ('stop' in project) return project.stop;
      const { projectName } = project.project;

      let process: Process | undefined;
      try {
        process = await runToPull(options, projectName);
      } catch (error) {
        return failedAt(emit, error, 'download', `finding the run of ${projectName} to pull`);
      }
      if (process !== undefined && process.spec.label !== projectName) {
        const message = `process ${process.processid} is a run of project ${JSON.stringify(process.spec.label)}, not of ${JSON.stringify(projectName)} (${join(dir, PROJECT_FILE)}); pull it from that project's directory`;
        return stopped(emit, 'WRONG_PROJECT', message, ExitCode.USAGE);
      }
      return downloadResults(
        {
          projectName,
          resultDir: projectResultDir(dir),
          metadata: cfsMetadataFromClient(options.client, options.colonyName),
          blobStore: options.blobStore,
          emit,
          ...(process === undefined ? {} : { process }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
        },
        { ...base, ...(process === undefined ? {} : { processId: process.processid }) },
      );
    },
    (result) => ({ type: 'done', result }),
  );
}

/** The named process, or the project's last finished run, or none (then the label is pulled). */
async function runToPull(options: PullResultsOptions, projectName: string): Promise<Process | undefined> {
  const call = options.signal === undefined ? {} : { signal: options.signal };
  let processId = options.processId;
  if (processId === undefined) {
    const last = await findLastRun({
      client: options.client,
      projectName,
      ...(options.colonyName === undefined ? {} : { colonyName: options.colonyName }),
      ...call,
    });
    processId = last?.processId;
  }
  return processId === undefined ? undefined : options.client.getProcess(processId, call);
}

/** project.yaml read and parsed without the checks of a run (a pull needs the name only); problems are an INVALID_PROJECT stop. */
export async function readProjectFile(dir: string, emit: (event: PollinatorEvent) => void): Promise<{ project: Project } | { stop: RunResult }> {
  let text: string;
  try {
    text = await readFile(join(dir, PROJECT_FILE), 'utf8');
  } catch (error) {
    const message = `${PROJECT_FILE} cannot be read in ${dir}: ${(error as Error).message}`;
    return { stop: stopped(emit, 'INVALID_PROJECT', message, ExitCode.INVALID_PROJECT) };
  }
  const parsed = parseProject(text);
  if (!parsed.ok) {
    const message = parsed.issues.map(formatProjectIssue).join('\n');
    emit({ type: 'error', code: 'INVALID_PROJECT', message, exitCode: ExitCode.INVALID_PROJECT, issues: parsed.issues });
    const result: RunResult = {
      processId: undefined,
      state: 'not-submitted',
      exitCode: ExitCode.INVALID_PROJECT,
      detached: false,
      error: { code: 'INVALID_PROJECT', message },
    };
    return { stop: result };
  }
  return { project: parsed.project };
}
