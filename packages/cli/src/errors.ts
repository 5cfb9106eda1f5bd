import { defineErrorMarker, PollinatorError, type ErrorDetails } from '@pollinator/errors';
import { CliExitCode } from './exit-codes';

// The marker is `Symbol.for('pollinator.error.CliError')`, as before the error base existed.
const CLI_ERROR = defineErrorMarker<CliError>('CliError');

export interface CliErrorOptions {
  /** Why it failed, when known (one sentence). */
  why?: string;
  /** What the user can do about it (one or two sentences). */
  fix?: string;
  /** Process exit code; defaults to `CliExitCode.INTERNAL`. */
  exitCode?: number;
  /** Extra lines printed under the paragraph (e.g. every project.yaml problem). */
  details?: string[];
  cause?: unknown;
  /** Stable machine-readable code for `--json` consumers. */
  code?: string;
}

/**
 * The lines printed under the paragraph. `PollinatorError`'s `details` is a
 * record of facts; the CLI's were a list of lines before the base existed
 * (part of its API), and a list is also such a record.
 */
export type CliErrorDetails = string[] & ErrorDetails;

/**
 * An error the CLI knows how to explain: what failed, why, and what to do.
 * Rendered as one paragraph (plus optional detail lines); a stack trace only
 * with `-v`.
 */
export class CliError extends PollinatorError {
  /** Stable machine-readable code for `--json` consumers (`ERROR` when none was given). */
  declare readonly code: string;
  readonly why: string | undefined;
  readonly fix: string | undefined;
  readonly exitCode: number;
  /** Extra lines printed under the paragraph (empty when there are none). */
  declare readonly details: CliErrorDetails;

  constructor(what: string, options: CliErrorOptions = {}) {
    super(options.code ?? 'ERROR', what, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'CliError';
    this.why = options.why;
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? CliExitCode.INTERNAL;
    this.details = (options.details ?? []) as CliErrorDetails;
    CLI_ERROR.mark(this);
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static override isInstance(value: unknown): value is CliError {
    return CLI_ERROR.isMarked(value);
  }
}

/** Bad command-line usage (exit 64). */
export function usageError(what: string, fix?: string): CliError {
  return new CliError(what, { fix: fix ?? 'Run the command with --help to see its usage.', exitCode: CliExitCode.USAGE, code: 'USAGE' });
}

/** Thrown to end a command with an exit code without printing anything more. */
export class ExitSignal extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitSignal';
    this.exitCode = exitCode;
  }
}
