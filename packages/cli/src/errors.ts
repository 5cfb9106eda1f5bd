import { CliExitCode } from './exit-codes';

const marker = Symbol.for('pollinator.error.CliError');

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
 * An error the CLI knows how to explain: what failed, why, and what to do.
 * Rendered as one paragraph (plus optional detail lines); a stack trace only
 * with `-v`.
 */
export class CliError extends Error {
  readonly [marker] = true;
  readonly why: string | undefined;
  readonly fix: string | undefined;
  readonly exitCode: number;
  readonly details: string[];
  readonly code: string;

  constructor(what: string, options: CliErrorOptions = {}) {
    super(what, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.why = options.why;
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? CliExitCode.INTERNAL;
    this.details = options.details ?? [];
    this.code = options.code ?? 'ERROR';
  }

  static isInstance(value: unknown): value is CliError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
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
