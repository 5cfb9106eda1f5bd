import type { PollinatorEvent, PollinatorRun, ResultSyncedEvent, RunResult } from '@pollinator/core';
import type { CommandContext } from '../context';
import { CliError, usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';
import { connectColony, type ColonyConnection } from '../runtime/colony';
import { withProcess } from '../runtime/lookups';
import { resolveProcessRef } from '../runtime/process-ref';
import { requireProject } from '../runtime/project-here';

export interface PullOptions {
  inputs?: boolean;
}

/**
 * `pollinator pull [<id>]`: download a run's results into the project's
 * `cfs/result` — only downloads, never uploads (a file that exists only
 * locally stays local). Without an id, the project's last run; with one,
 * that run's result snapshot. A run without a result snapshot (submitted or
 * executed by a tool that does not record one) falls back to the project's
 * shared result label, with a warning. `--inputs` downloads the remote
 * cfs/src and cfs/data instead. Remote wins; local edits are kept as backups.
 */
export async function run(context: CommandContext, idArgument: string | undefined, options: PullOptions): Promise<number> {
  const { project } = await requireProject(context, '`pollinator pull`', 'pull downloads into the cfs/ directory of a project');
  if (options.inputs === true && idArgument !== undefined) {
    throw usageError(
      '`pull --inputs` takes no process id',
      'It downloads the latest cfs/src and cfs/data of the project in this directory; `pollinator rerun <id>` runs a past run again on its own inputs.',
    );
  }
  const connection = await connectColony(context, { readOnly: true });
  const core = await import('@pollinator/core');
  const common = {
    dir: context.cwd,
    client: connection.client,
    colonyName: connection.colonyName,
    blobStore: await connection.blobStore(),
    signal: context.signal,
  };
  if (options.inputs === true) return render(context, core.pullInputs(common));

  const processId = idArgument === undefined ? await lastFinishedRun(context, connection, project.projectName) : await resolveProcessRef(context, connection, idArgument);
  if (processId !== undefined) await checkRun(context, connection, processId, project.projectName);
  return render(context, core.pullResults({ ...common, ...(processId === undefined ? {} : { processId }) }));
}

/**
 * `pull` without an id: the project's last *finished* run (one still running
 * has no results yet; `pull @last` names it anyway). `undefined` when the
 * project has none: core then pulls the shared label, with a warning.
 */
async function lastFinishedRun(context: CommandContext, connection: ColonyConnection, projectName: string): Promise<string | undefined> {
  const { findLastRun } = await import('@pollinator/core');
  const last = await findLastRun({ client: connection.client, projectName, colonyName: connection.colonyName, signal: context.signal });
  return last?.processId;
}

/** The run must be this project's; a run still going is pulled with a warning. */
async function checkRun(context: CommandContext, connection: ColonyConnection, processId: string, projectName: string): Promise<void> {
  const { getProcessSummary } = await import('@pollinator/core');
  const summary = await withProcess(context, connection, processId, () =>
    getProcessSummary({ client: connection.client, processId, signal: context.signal }),
  );
  if (summary.label !== '' && summary.label !== projectName) {
    throw new CliError(`Process ${processId} belongs to project ${summary.label}`, {
      why: `this directory is project ${projectName}`,
      fix: `Run \`pollinator pull ${processId}\` in the directory of project ${summary.label} (or with \`-C <its dir>\`).`,
      exitCode: CliExitCode.USAGE,
      code: 'WRONG_PROJECT',
    });
  }
  if (summary.state === 'waiting' || summary.state === 'running') {
    context.output.warn(`process ${processId} is still ${summary.state}: it has no results yet, or only some`);
  }
  context.output.info(`Results of process ${processId} (${summary.state})`);
}

async function render(context: CommandContext, pulling: PollinatorRun<PollinatorEvent, RunResult>): Promise<number> {
  const { output } = context;
  const renderer = new RunRenderer(output);
  const synced: ResultSyncedEvent[] = [];
  for await (const event of pulling) {
    renderer.handle(event);
    if (event.type === 'result.synced') synced.push(event);
  }
  const result = await pulling.result;
  renderer.finish();
  if (renderer.errors.length > 0) renderRunErrors(output, renderer.errors, undefined);
  for (const event of synced) describeSource(context, event);
  return result.exitCode;
}

/** Where the files came from: the run's own snapshot, or the shared label. */
function describeSource(context: CommandContext, event: ResultSyncedEvent): void {
  const { output } = context;
  for (const skipped of event.skipped ?? []) output.warn(`skipped ${skipped.path}: ${skipped.reason}`);
  const source = event.source;
  if (source === undefined) return;
  if (source.kind === 'snapshot') output.info(`from the result snapshot ${source.snapshotId} of process ${source.processId}`);
  else output.info(`from the shared result label ${source.label}${source.fallback ? ' (this run recorded no result snapshot)' : ''}`);
}
