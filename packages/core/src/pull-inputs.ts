import { join, resolve } from 'node:path';
import { cfsMetadataFromClient, type IgnoreOptions } from '@pollinator/cfs-sync';
import { projectPaths } from '@pollinator/spec-builder';
import { startRun, type PollinatorRun } from './event-channel';
import type { PollinatorEvent, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { syncTarget } from './project-sync';
import { readProjectFile, type ProjectDownloadOptions } from './pull-results';
import { PROJECT_IGNORE_FILE } from './run-project-inputs';
import { aborted, failedAt } from './run-stop';

export interface PullInputsOptions extends ProjectDownloadOptions {
  /** Ignore rules (the project's root `.pollinatorignore` applies as for a run). */
  ignore?: IgnoreOptions;
}

/**
 * Downloads the project's src and data labels into `cfs/src` and `cfs/data`
 * (`pollinator pull --inputs`): download-only, the remote version wins and a
 * local edit is kept as a visible backup; local files the remote lacks are left
 * alone. The way out of a `REMOTE_CHANGED` stop that takes the remote copies.
 * Events: `sync.plan`, `sync.progress`, `sync.file`, `sync.done` (src, then
 * data), `done` (exit code 0, or 65 / 74).
 */
export function pullInputs(options: PullInputsOptions): PollinatorRun<PollinatorEvent, RunResult> {
  return startRun<PollinatorEvent, RunResult>(
    async (emit) => {
      const dir = resolve(options.dir);
      const project = await readProjectFile(dir, emit);
      if ('stop' in project) return project.stop;
      const paths = projectPaths(project.project.projectName);
      const metadata = cfsMetadataFromClient(options.client, options.colonyName);
      const ignore: IgnoreOptions = {
        ...options.ignore,
        extraIgnoreFiles: [join(dir, PROJECT_IGNORE_FILE), ...(options.ignore?.extraIgnoreFiles ?? [])],
      };
      for (const target of ['src', 'data'] as const) {
        if (options.signal?.aborted) return aborted(emit);
        try {
          await syncTarget({
            target,
            dir: join(dir, 'cfs', target),
            label: target === 'src' ? paths.srcLabel : paths.dataLabel,
            keepLocal: false,
            direction: 'download',
            metadata,
            store: options.blobStore,
            emit,
            ignore,
            symlinks: project.project.sync?.symlinks ?? 'skip',
            symlinkRoot: dir,
            ...(options.signal === undefined ? {} : { signal: options.signal }),
            ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
          });
        } catch (error) {
          if (options.signal?.aborted) return aborted(emit);
          return failedAt(emit, error, 'download', `downloading cfs/${target}`);
        }
      }
      return { processId: undefined, state: 'not-submitted', exitCode: ExitCode.SUCCESS, detached: false };
    },
    (result) => ({ type: 'done', result }),
  );
}
