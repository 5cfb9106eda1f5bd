import { ColoniesError } from '@pollinator/colonies-client';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import type { ColonyConnection } from './colony';

/** How the Colonies server words "no such process" (it has no code for it). */
const PROCESS_NOT_FOUND = /not found|does not exist|no such|failed to get process/i;

/** A server error about a process that does not exist, explained. */
export function explainProcessError(error: unknown, processId: string, connection: ColonyConnection): unknown {
  // Only the server's refusal: a local "no such file" is not an unknown process.
  if (ColoniesError.isInstance(error) && PROCESS_NOT_FOUND.test(error.message)) {
    return new CliError(`No process ${processId}`, {
      why: `${connection.description} does not know it`,
      fix: `\`pollinator ps\` lists its processes${connection.mode === 'embedded' ? '; a process submitted to another colony is not visible on the embedded default (check `pollinator config`)' : ''}.`,
      exitCode: CliExitCode.USAGE,
      code: 'NOT_FOUND',
      cause: error,
    });
  }
  return error;
}

/** Runs `body`, turning "process not found" replies into a clear error. */
export async function withProcess<T>(
  context: CommandContext,
  connection: ColonyConnection,
  processId: string,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    context.output.debug(`request about ${processId} failed: ${(error as Error).message}`);
    throw explainProcessError(error, processId, connection);
  }
}

/** RFC 3339 from the server → a short local time; '' for unset (year 1). */
export function formatTime(text: string): string {
  if (text === '' || text.startsWith('0001-')) return '';
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Milliseconds between two RFC 3339 times (undefined when one is unset). */
export function between(start: string, end: string): number | undefined {
  if (start === '' || start.startsWith('0001-') || end === '' || end.startsWith('0001-')) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `3m ago` for a past RFC 3339 time. */
export function ago(text: string, now = Date.now()): string {
  if (text === '' || text.startsWith('0001-')) return '';
  const ms = now - Date.parse(text);
  if (!Number.isFinite(ms)) return '';
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  return `${Math.round(hours / 24)}d ago`;
}
