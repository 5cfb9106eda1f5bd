import type { CommandContext } from '../context';
import { connectColony } from '../runtime/colony';
import { renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';

export interface PlanOptions {
  all?: boolean;
}

/**
 * `pollinator plan` (= `run --dry-run`): load the project, plan the syncs of
 * src and data against what the colony has, and print every file with its
 * action and reason (ignored files name the rule), the totals and the
 * function spec. Changes nothing: no upload, no snapshot, no submit.
 */
export async function run(context: CommandContext, options: PlanOptions): Promise<number> {
  const { output } = context;
  // A broken project.yaml stops here, before any server starts or state is created.
  const { loadProject } = await import('@pollinator/spec-builder');
  await loadProject(context.cwd);
  const connection = await connectColony(context, { executor: false, readOnly: true });
  const blobStore = await connection.blobStore();
  const { runProject } = await import('@pollinator/core');
  const renderer = new RunRenderer(output, { showPlanEntries: true, showUnchanged: options.all === true });
  const execution = runProject({
    dir: context.cwd,
    client: connection.client,
    colonyName: connection.colonyName,
    blobStore,
    signal: context.signal,
    dryRun: true,
  });
  for await (const event of execution) renderer.handle(event);
  const result = await execution.result;
  renderer.finish();
  if (renderer.errors.length > 0) renderRunErrors(output, renderer.errors, undefined);
  else if (!output.isJson) {
    output.line('');
    output.line(output.colors.dim(`Nothing was changed. \`pollinator run\` uploads the files above and submits the spec to ${connection.description}.`));
  }
  return result.exitCode;
}
