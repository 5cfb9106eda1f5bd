import type { ProcessSummary } from '@pollinator/core';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { table } from '../render/format';
import type { ColonyConnection } from './colony';
import { ago } from './lookups';
import { requireProject } from './project-here';

/** The shortest prefix accepted: shorter ones match too much to be a reference. */
export const MIN_PREFIX_LENGTH = 4;
/** What the server returns at most per state (`getprocessesmsg` caps `count` at 100). */
const LISTED_PER_STATE = 100;
const LAST = '@last';

/**
 * Turns what a user typed for a process into its full id: a full id, a
 * unique prefix of one (at least 4 hex digits), or `@last` (the last run of
 * the project in the current directory). Every command that takes a process
 * id goes through here. A full id is returned as is (the command's own
 * request says whether the process exists); a prefix is matched against the
 * colony's processes of every state.
 */
export async function resolveProcessRef(context: CommandContext, connection: ColonyConnection, reference: string): Promise<string> {
  const typed = reference.trim().toLowerCase();
  if (typed === LAST) return lastRun(context, connection);
  if (/^[0-9a-f]{64}$/.test(typed)) return typed;
  if (new RegExp(`^[0-9a-f]{${MIN_PREFIX_LENGTH},63}$`).test(typed)) return byPrefix(context, connection, typed);
  throw new CliError(`"${reference}" is not a process reference`, {
    why: `a process is named by its id (64 hexadecimal digits), a unique prefix of it (at least ${MIN_PREFIX_LENGTH} hex digits), or @last`,
    fix: '`pollinator ps` lists the processes of the colony; `@last` is the last run of the project in this directory.',
    exitCode: CliExitCode.USAGE,
    code: 'USAGE',
  });
}

/** `@last`: the newest process submitted for the project in the current directory, in any state. */
async function lastRun(context: CommandContext, connection: ColonyConnection): Promise<string> {
  const loaded = await requireProject(context, '`@last`', 'or name the process by its id (`pollinator ps` lists them)');
  const projectName = loaded.project.projectName;
  const { findLastRun } = await import('@pollinator/core/process-summary');
  // Also a run still waiting or running: `logs @last --follow` right after `run --detach`.
  const last = await findLastRun({ client: connection.client, projectName, colonyName: connection.colonyName, includeUnfinished: true, signal: context.signal });
  if (last === undefined) {
    throw new CliError(`Project ${projectName} has no runs yet`, {
      why: `${connection.description} has no process of project ${projectName}, so \`@last\` names nothing`,
      fix: '`pollinator run` starts one; `pollinator ps --all` lists the processes of every project.',
      exitCode: CliExitCode.USAGE,
      code: 'NOT_FOUND',
    });
  }
  context.output.debug(`@last is ${last.processId} (${last.state}, submitted ${last.submissionTime})`);
  return last.processId;
}

/** A prefix: unique among the processes the colony lists, or an explained error. */
async function byPrefix(context: CommandContext, connection: ColonyConnection, prefix: string): Promise<string> {
  const { listProcesses } = await import('@pollinator/core/process-summary');
  const unreadable: string[] = [];
  const processes = await listProcesses({
    client: connection.client,
    colonyName: connection.colonyName,
    state: 'all',
    count: LISTED_PER_STATE,
    signal: context.signal,
    // A process the client cannot decode still has an id worth matching.
    onUnreadable: (process) => {
      if (process.processId !== undefined) unreadable.push(process.processId);
    },
  });
  const matches = uniqueById(processes.filter((process) => process.processId.startsWith(prefix)));
  const unreadableMatches = [...new Set(unreadable.filter((id) => id.startsWith(prefix)))].filter(
    (id) => !matches.some((process) => process.processId === id),
  );
  const count = matches.length + unreadableMatches.length;
  if (count === 1) return matches[0]?.processId ?? (unreadableMatches[0] as string);
  if (count === 0) {
    throw new CliError(`No process id starts with ${prefix}`, {
      why: `looked at the ${LISTED_PER_STATE} newest processes of each state (waiting, running, success, failed, cancelled) in ${connection.description}`,
      fix: `\`pollinator ps\` lists them; an older process needs its full id${connection.mode === 'embedded' ? ', and a process of another colony is not on the embedded default (`pollinator config`)' : ''}.`,
      exitCode: CliExitCode.USAGE,
      code: 'NOT_FOUND',
    });
  }
  throw new CliError(`${count} processes start with ${prefix}`, {
    why: 'a prefix has to name one process',
    fix: 'Type more digits of the id you mean.',
    details: ambiguityRows(matches, unreadableMatches),
    exitCode: CliExitCode.USAGE,
    code: 'AMBIGUOUS_ID',
  });
}

/** The same process can show up twice when it changed state between the per-state listings. */
function uniqueById(processes: ProcessSummary[]): ProcessSummary[] {
  const seen = new Map<string, ProcessSummary>();
  for (const process of processes) if (!seen.has(process.processId)) seen.set(process.processId, process);
  return [...seen.values()];
}

/** One line per candidate: id, state, project, submitted (newest first). */
export function ambiguityRows(matches: ProcessSummary[], unreadable: string[] = [], now = Date.now()): string[] {
  const sorted = [...matches].sort((a, b) => Date.parse(b.submissionTime) - Date.parse(a.submissionTime));
  const rows = sorted.map((process) => [process.processId, process.state, process.label || '(no project)', `submitted ${ago(process.submissionTime, now)}`.trim()]);
  for (const id of unreadable) rows.push([id, '?', '(unreadable)', '']);
  return table(rows).split('\n').map((line) => line.trimEnd());
}
