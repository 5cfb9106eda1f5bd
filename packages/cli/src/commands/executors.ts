import type { ExecutorSummary } from '@pollinator/core';
import type { CommandContext } from '../context';
import { table } from '../render/format';
import { connectColony } from '../runtime/colony';
import { ago } from '../runtime/lookups';

interface ProjectConditions {
  executorNames: string[];
  executorType: string;
}

/** Whether an executor can take this project's job, and if not, why not. */
export function canRun(executor: ExecutorSummary, conditions: ProjectConditions | undefined): { ok: boolean; reason: string } {
  if (executor.state !== 'approved') return { ok: false, reason: `not approved (${executor.state})` };
  if (conditions === undefined) return { ok: true, reason: '' };
  if (executor.type !== conditions.executorType) return { ok: false, reason: `type ${executor.type}, the project asks for ${conditions.executorType}` };
  if (conditions.executorNames.length > 0 && !conditions.executorNames.includes(executor.name)) {
    return { ok: false, reason: `not in executorNames (${conditions.executorNames.join(', ')})` };
  }
  return { ok: true, reason: '' };
}

/** `pollinator executors`: the colony's executors, and which can run this project. */
export async function run(context: CommandContext): Promise<number> {
  const { output } = context;
  let conditions: ProjectConditions | undefined;
  let projectName: string | undefined;
  const { loadProject } = await import('@pollinator/spec-builder');
  try {
    const loaded = await loadProject(context.cwd);
    conditions = loaded.project.conditions;
    projectName = loaded.project.projectName;
  } catch (error) {
    // Outside a project (or with a broken one), list the executors without judging them.
    output.debug(`no project here: ${(error as Error).message.split('\n')[0]}`);
  }
  const connection = await connectColony(context);
  const { listExecutors } = await import('@pollinator/core/process-summary');
  const executors = await listExecutors({ client: connection.client, signal: context.signal });
  const judged = executors.map((executor) => ({ ...executor, ...(conditions === undefined ? {} : { canRun: canRun(executor, conditions) }) }));

  if (output.isJson) {
    for (const executor of judged) {
      output.json({
        ...executor,
        executorType: executor.type,
        type: 'executor',
        ...(executor.canRun === undefined ? {} : { canRun: executor.canRun.ok, reason: executor.canRun.reason || undefined }),
      });
    }
    return 0;
  }
  if (executors.length === 0) {
    output.line(`No executors in ${connection.description}.`);
    if (connection.mode === 'embedded') output.line('`pollinator run` and `pollinator dev` start a local one; `pollinator executor start` runs one in the foreground.');
    return 0;
  }
  const c = output.stdoutColors;
  const rows = judged.map((executor) => [
    executor.name,
    executor.type,
    executor.state === 'approved' ? executor.state : c.yellow(executor.state),
    ago(executor.lastHeardFrom) || c.dim('never'),
    ...(executor.canRun === undefined ? [] : [executor.canRun.ok ? c.green('yes') : `${c.red('no')} ${c.dim(executor.canRun.reason)}`]),
  ]);
  const header = ['NAME', 'TYPE', 'STATE', 'LAST SEEN', ...(conditions === undefined ? [] : [`CAN RUN ${projectName ?? ''}`.trim()])];
  output.result(table(rows, header.map((cell) => c.dim(cell))));
  if (conditions !== undefined && !judged.some((executor) => executor.canRun?.ok === true)) {
    output.warn('No executor can run this project: its job would wait in the queue. Check conditions.executorNames and executorType in project.yaml.');
  }
  return 0;
}
