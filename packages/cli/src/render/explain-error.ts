import { CliError } from '../errors';
import { connectionLost, installationIncomplete, interrupted, isAbortError, isModuleNotFound, networkCode, unexpected } from './error-explanations';

/**
 * Without the table (a package of pollinator cannot be loaded): the rows that
 * need no package, in the table's order.
 */
function explainWithoutPackages(error: unknown): CliError {
  if (networkCode(error) !== undefined) return connectionLost(error);
  if (isModuleNotFound(error)) return installationIncomplete(error);
  if (isAbortError(error)) return interrupted(error);
  return unexpected(error);
}

/**
 * Turns anything thrown into a `CliError` with what failed, why, and what to
 * do. The table imports the error classes of every package, so it is loaded
 * only when something other than a `CliError` reaches the top: `pollinator
 * --help` and usage errors load none of them.
 */
export async function explainError(error: unknown): Promise<CliError> {
  if (CliError.isInstance(error)) return error;
  let classify: (thrown: unknown) => CliError;
  try {
    ({ classifyError: classify } = await import('./error-table'));
  } catch {
    return explainWithoutPackages(error);
  }
  return classify(error);
}
