import type { ProcessStateName, ProcessSummary } from '@pollinator/core';
import type { CommandContext } from '../context';
import { usageError } from '../errors';
import { formatDuration, table } from '../render/format';
import { connectColony } from '../runtime/colony';
import { ago, between } from '../runtime/lookups';
import { projectIn } from '../runtime/project-here';

export interface PsOptions {
  state?: ProcessStateName[];
  limit?: string;
  project?: string;
  all?: boolean;
}

/** The newest first: by submission time, then by id for a stable order. */
export function newestFirst(processes: ProcessSummary[]): ProcessSummary[] {
  return [...processes].sort(
    (a, b) => (Date.parse(b.submissionTime) || 0) - (Date.parse(a.submissionTime) || 0) || a.processId.localeCompare(b.processId),
  );
}

/**
 * Whose processes to list: `--project`, else (without `--all`) the project
 * of the current directory, else everyone's. A broken project.yaml here is
 * not ps's business: it says so and lists everyone's.
 */
async function projectScope(context: CommandContext, options: PsOptions): Promise<string | undefined> {
  if (options.project !== undefined) return options.project;
  if (options.all === true) return undefined;
  try {
    const here = await projectIn(context.cwd);
    if (here === undefined) return undefined;
    context.output.info(`Processes of project ${here.project.projectName} (this directory); \`pollinator ps --all\` lists every project's.`);
    return here.project.projectName;
  } catch (error) {
    context.output.warn(`project.yaml here cannot be read (${(error as Error).message.split('\n')[0]}): listing every project's processes.`);
    return undefined;
  }
}

/** `pollinator ps`: processes of the colony (of this project inside one), newest first, at most --limit. */
export async function run(context: CommandContext, options: PsOptions): Promise<number> {
  const limit = /^\d+$/.test(options.limit ?? '20') ? Number.parseInt(options.limit ?? '20', 10) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw usageError(`--limit must be 1–100, got "${options.limit}"`);
  const projectName = await projectScope(context, options);
  const connection = await connectColony(context);
  const { listProcesses } = await import('@pollinator/core/process-summary');
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
        ...(projectName === undefined ? {} : { projectName }),
      }),
    ),
  );
  // Each state's listing holds up to `limit`; together they are cut to exactly `limit`, newest first.
  const processes = newestFirst(lists.flat()).slice(0, limit);
  const { output } = context;
  if (output.isJson) {
    for (const process of processes) output.json({ type: 'process', ...process });
    return 0;
  }
  if (processes.length === 0) {
    output.line(`No processes${projectName === undefined ? '' : ` of project ${projectName}`}${options.state === undefined ? '' : ` in state ${options.state.join(', ')}`} in ${connection.description}.`);
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
