import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ColoniesClient } from '@pollinator/colonies-client';
import { cfsMetadataFromClient, type BlobStore } from '@pollinator/cfs-sync';
import { formatProjectIssue, parseProject, PROJECT_FILE } from '@pollinator/spec-builder';
import { startRun, type PollinatorRun } from './event-channel';
import type { PollinatorEvent, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { downloadResults } from './run-project';

export interface PullResultsOptions {
  /** Project directory (its project.yaml names the project). */
  dir: string;
  client: ColoniesClient;
  blobStore: BlobStore;
  /** Default the client's colony. */
  colonyName?: string;
  signal?: AbortSignal;
  stateDir?: string | false;
}

/**
 * Downloads `/pollinator/<project>/result` into `<dir>/cfs/result` (remote
 * wins; local edits are kept as visible backups), as `pollinator pull` does
 * and as `runProject` does after a run. Events: `sync.plan`, `sync.progress`,
 * `sync.file`, `sync.done`, `result.synced`, `done` (exit code 0, or 65 / 74).
 */
export function pullResults(options: PullResultsOptions): PollinatorRun<PollinatorEvent, RunResult> {
  return startRun<PollinatorEvent, RunResult>(
    async (emit) => {
      const dir = resolve(options.dir);
      const base: RunResult = { processId: undefined, state: 'not-submitted', exitCode: ExitCode.SUCCESS, detached: false };
      let text: string;
      try {
        text = await readFile(join(dir, PROJECT_FILE), 'utf8');
      } catch (error) {
        const message = `${PROJECT_FILE} cannot be read in ${dir}: ${(error as Error).message}`;
        emit({ type: 'error', code: 'INVALID_PROJECT', message, exitCode: ExitCode.INVALID_PROJECT });
        return { ...base, exitCode: ExitCode.INVALID_PROJECT, error: { code: 'INVALID_PROJECT', message } };
      }
      const parsed = parseProject(text);
      if (!parsed.ok) {
        const message = parsed.issues.map(formatProjectIssue).join('\n');
        emit({ type: 'error', code: 'INVALID_PROJECT', message, exitCode: ExitCode.INVALID_PROJECT, issues: parsed.issues });
        return { ...base, exitCode: ExitCode.INVALID_PROJECT, error: { code: 'INVALID_PROJECT', message } };
      }
      const metadata = cfsMetadataFromClient(options.client, options.colonyName);
      return downloadResults(parsed.project, dir, metadata, options, emit, base);
    },
    (result) => ({ type: 'done', result }),
  );
}
