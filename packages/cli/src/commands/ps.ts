import type { ProcessStateName, ProcessSummary } from '@pollinator/core';
import type { CommandContext } from '../context';
import { usageError } from '../errors';
import { formatDuration, table } from '../render/format';
import { connectColony } from '../runtime/colony';
import { ago, between } from '../runtime/lookups';

export interface PsOptions {
  state?: ProcessStateName[];
  limit?: string;
  project?: string;
}

/** `pollinator ps`: processes of the colony, running and waiting first. */
export async function run(context: CommandContext, options: PsOptions): Promise<number> {
  const limit = Number.parseInt(options.limit ?? '20', 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw usageError(`--limit must be 1–100, got "${options.limit}"`);
  const connection = await connectColony(context);
  const { listProcesses } = await import('@pollinator/core');
  const states: Array<ProcessStateName | 'all'> = options.state === undefined || options.state.length === 0 ? ['all'] : options.state;
  // One process the client cannot decode must not hide the others: list them, then name it.
  const unreadable: string[] = [];
  const lists = await Promise.all(
    states.map((state) =>
      listProcesses({
        client: connection.client,
        state,
        count: limit,
        signal: context.signal,
        onUnreadable: (process) => {
          if (context.output.isJson) context.output.json({ type: 'unreadable-process', ...process });
          unreadable.push(`${process.processId ?? '(unknown id)'}: ${process.reason}`);
        },
        ...(options.project === undefined ? {} : { projectName: options.project }),
      }),
    ),
  );
  const processes: ProcessSummary[] = lists.flat();
  const { output } = context;
  if (output.isJson) {
    for (const process of processes) output.json({ type: 'process', ...process });
    return 0;
  }
  if (processes.length === 0) {
    output.line(`No processes${options.state === undefined ? '' : ` in state ${options.state.join(', ')}`} in ${connection.description}.`);
    warnUnreadable(context, unreadable);
    return 0;
  }
  const c = output.stdoutColors;
  const color = (state: string) =>
    state === 'success' ? c.green(state) : state === 'failed' ? c.red(state) : state === 'cancelled' ? c.yellow(state) : c.cyan(state);
  const rows = processes.map((process) => {
    const ran = between(process.startTime, process.endTime);
    return [
      process.processId,
      color(process.state),
      process.label,
      ago(process.submissionTime),
      ran === undefined ? '' : formatDuration(ran),
      process.exitCode === undefined ? '' : String(process.exitCode),
    ];
  });
  output.result(table(rows, ['PROCESS', 'STATE', 'PROJECT', 'SUBMITTED', 'RAN', 'EXIT'].map((header) => c.dim(header))));
  warnUnreadable(context, unreadable);
  return 0;
}

/** `1 process could not be read: <id>: <why>` after the listing (stderr). */
function warnUnreadable(context: CommandContext, unreadable: string[]): void {
  if (unreadable.length === 0) return;
  const count = unreadable.length === 1 ? '1 process' : `${unreadable.length} processes`;
  context.output.warn(`${count} could not be read: ${unreadable.join('; ')}`);
}
