import type { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { errorField, textOf } from './error-explanations';
import type { Output } from './output';

// Anything thrown becomes a `CliError` in `explain-error.ts` (the table of
// error classes in `error-table.ts`); this file only prints one.

function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  return /[.!?]\)?$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** The error paragraph (without colours): `what: why. fix` plus detail lines. */
export function formatErrorParagraph(error: CliError): string {
  let text = error.message;
  text = error.why === undefined ? sentence(text) : `${text}: ${sentence(error.why)}`;
  if (error.fix !== undefined) text += ` ${sentence(error.fix)}`;
  return text;
}

/** Prints an error: one paragraph on stderr (plus details; the stack with -v); an `error` event with --json. */
export function renderError(output: Output, error: CliError, options: { jsonEvent?: boolean } = {}): number {
  output.close();
  const paragraph = formatErrorParagraph(error);
  const c = output.colors;
  // An interruption is what the user asked for, not an error: said plainly, without the red "Error:".
  const interrupted = error.exitCode === CliExitCode.CANCELLED;
  let out = interrupted ? `${c.yellow(paragraph)}\n` : `${c.red(c.bold('Error:'))} ${paragraph}\n`;
  for (const detail of error.details) out += `  ${detail}\n`;
  if (output.verbose) {
    let cause: unknown = error.cause ?? error;
    const seen = new Set<unknown>();
    while (cause !== undefined && cause !== null && !seen.has(cause)) {
      seen.add(cause);
      const stack = cause instanceof Error ? (cause.stack ?? cause.message) : textOf(cause, JSON.stringify(cause) ?? '');
      out += c.dim(`${stack}\n`);
      cause = errorField(cause, 'cause');
      if (cause !== undefined) out += c.dim('caused by: ');
    }
  } else if (error.exitCode === CliExitCode.INTERNAL) {
    out += c.dim('  (run with -v for the stack trace)\n');
  }
  output.rawStderr(out);
  if (output.isJson && options.jsonEvent !== false) {
    output.json({
      type: 'error',
      code: error.code,
      message: error.message,
      why: error.why,
      fix: error.fix,
      details: error.details.length > 0 ? error.details : undefined,
      exitCode: error.exitCode,
    });
  }
  return error.exitCode;
}
