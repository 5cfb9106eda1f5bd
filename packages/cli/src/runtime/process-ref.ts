import type { CommandContext } from '../context';
import type { ColonyConnection } from './colony';
import { checkProcessId } from './lookups';

/**
 * Turns what a user typed for a process into its full id: a full id, a
 * unique prefix of one, or `@last` (the last run of the project in the
 * current directory). Every command that takes a process id goes through here.
 *
 * (Placeholder: full ids only, until the prefix and `@last` lookup lands.)
 */
export async function resolveProcessRef(
  _context: CommandContext,
  _connection: ColonyConnection,
  reference: string,
): Promise<string> {
  return checkProcessId(reference);
}
