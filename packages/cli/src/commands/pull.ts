import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { connectColony } from '../runtime/colony';
import { checkProcessId, withProcess } from '../runtime/lookups';
import { renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';

/**
 * `pollinator pull [<id>]`: download the project's `cfs/result` from CFS
 * (remote wins; a local edit is kept as a visible backup). With a process
 * id, first checks that the process belongs to this project.
 */
export async function run(context: CommandContext, idArgument: string | undefined): Promise<number> {
  const { output } = context;
  const connection = await connectColony(context, { readOnly: true });
  const core = await import('@pollinator/core');

  if (idArgument !== undefined) {
    const processId = checkProcessId(idArgument);
    const summary = await withProcess(context, connection, processId, () =>
      core.getProcessSummary({ client: connection.client, processId, signal: context.signal }),
    );
    const { parseProject } = await import('@pollinator/spec-builder');
    const text = await readFile(join(context.cwd, 'project.yaml'), 'utf8').catch(() => undefined);
    const parsed = text === undefined ? undefined : parseProject(text);
    const projectName = parsed?.ok === true ? parsed.project.projectName : undefined;
    if (projectName !== undefined && summary.label !== '' && summary.label !== projectName) {
      throw new CliError(`Process ${processId} belongs to project ${summary.label}`, {
        why: `this directory is project ${projectName}`,
        fix: `Run \`pollinator pull ${processId}\` in the directory of project ${summary.label}.`,
        exitCode: CliExitCode.USAGE,
        code: 'WRONG_PROJECT',
      });
    }
    if (summary.state === 'waiting' || summary.state === 'running') {
      output.warn(`process ${processId} is still ${summary.state}: the results may be incomplete`);
    }
  }

  const renderer = new RunRenderer(output);
  const pulling = core.pullResults({
    dir: context.cwd,
    client: connection.client,
    colonyName: connection.colonyName,
    blobStore: await connection.blobStore(),
    signal: context.signal,
  });
  for await (const event of pulling) renderer.handle(event);
  const result = await pulling.result;
  renderer.finish();
  if (renderer.errors.length > 0) renderRunErrors(output, renderer.errors, undefined);
  return result.exitCode;
}
