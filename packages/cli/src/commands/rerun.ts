import { join, resolve } from 'node:path';
import type { RerunProcessOptions } from '@pollinator/core';
import type { CommandContext } from '../context';
import { tildify } from '../config/paths';
import { connectColony } from '../runtime/colony';
import { followRun } from '../runtime/follow-run';
import { withProcess } from '../runtime/lookups';
import { resolveProcessRef } from '../runtime/process-ref';
import { projectIn } from '../runtime/project-here';
import { VERSION } from '../version';

export interface RerunOptions {
  detach?: boolean;
  cancelOnInterrupt?: boolean;
  output?: string;
}

/**
 * `pollinator rerun <id>`: submits a past run's recorded spec again — the same
 * src and data snapshots, so the job sees the same inputs byte for byte —
 * from any directory, follows it like `run` and exits like `run`. The new
 * run's results go to `-o <dir>`; else, in the directory of the same
 * project, its `cfs/result`; else `./<first 12 digits of the new id>-result/`.
 */
export async function run(context: CommandContext, idArgument: string, options: RerunOptions): Promise<number> {
  const started = Date.now();
  const detach = options.detach === true;
  const connection = await connectColony(context, { executor: !detach });
  const processId = await resolveProcessRef(context, connection, idArgument);
  const core = await import('@pollinator/core');
  const original = await withProcess(context, connection, processId, () =>
    core.getProcessSummary({ client: connection.client, processId, signal: context.signal }),
  );
  const fixedDir = await resultDir(context, options.output, original.label);
  context.output.info(
    `Rerunning process ${processId}${original.label === '' ? '' : ` of ${original.label}`} with its recorded spec, src and data`,
  );

  const rerunOptions: RerunProcessOptions = {
    client: connection.client,
    processId,
    colonyName: connection.colonyName,
    blobStore: await connection.blobStore(),
    follow: !detach,
    cancelOnAbort: options.cancelOnInterrupt === true,
    signal: context.signal,
    toolVersion: VERSION,
    // The default directory is named by the new id, known once the rerun is submitted.
    outputDir: fixedDir ?? ((newProcessId) => join(context.cwd, `${newProcessId.slice(0, 12)}-result`)),
  };
  const followed = await followRun(context, connection, core.rerunProcess(rerunOptions), {
    detach,
    cancelOnInterrupt: options.cancelOnInterrupt === true,
    started,
  });
  return followed.exitCode;
}

/**
 * Where the results go when that does not depend on the new id: `-o`, or the
 * project directory we are in when it is the same project. `undefined`: the
 * `<id>-result` directory.
 */
async function resultDir(context: CommandContext, output: string | undefined, projectName: string): Promise<string | undefined> {
  if (output !== undefined) return resolve(context.cwd, output);
  // A broken project.yaml here is no reason to refuse a rerun from elsewhere: it just is not this project.
  const here = await projectIn(context.cwd).catch((error: unknown) => {
    context.output.debug(`project.yaml in ${context.cwd} not used: ${(error as Error).message}`);
    return undefined;
  });
  if (here !== undefined && here.project.projectName === projectName) return join(context.cwd, 'cfs', 'result');
  if (here !== undefined) {
    context.output.info(`${tildify(context.cwd, context.env)} is project ${here.project.projectName}, not ${projectName}: the results go to a directory of their own`);
  }
  return undefined;
}
