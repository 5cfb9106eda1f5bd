import { createInterface } from 'node:readline/promises';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';

/**
 * Asks a yes/no question on the terminal (stderr), `no` by default. Without a
 * terminal to ask (a script, a pipe) it refuses instead of guessing: the
 * caller's `--yes` is the way to say yes there.
 */
export async function confirm(context: CommandContext, question: string, stdin: NodeJS.ReadStream = process.stdin): Promise<boolean> {
  if (stdin.isTTY !== true) {
    throw new CliError(`${question.replace(/\?$/, '')}: this needs a confirmation, and there is no terminal to ask`, {
      why: 'standard input is not a terminal',
      fix: 'Pass --yes to confirm without a question (or --dry-run to only see the list).',
      exitCode: CliExitCode.USAGE,
      code: 'CONFIRMATION_REQUIRED',
    });
  }
  const prompt = createInterface({ input: stdin, output: context.output.stderr });
  try {
    const answer = await prompt.question(`${question} [y/N] `, { signal: context.signal });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    prompt.close();
  }
}
