import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';

export function notAvailable(what: string): CliError {
  return new CliError(`\`pollinator ${what}\` is not available in this build`, {
    why: 'the library it needs is not implemented yet',
    exitCode: CliExitCode.INTERNAL,
    code: 'NOT_AVAILABLE',
  });
}
