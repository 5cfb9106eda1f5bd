import type { CommandContext } from '../context';
import { usageError } from '../errors';
import { createProgram } from '../program';
import { completionScript, SHELLS, type Shell } from './completion-scripts';

/**
 * `pollinator completion bash|zsh|fish`: prints the completion script for the
 * shell, generated from the command tree (so every command and option of this
 * version completes).
 */
export async function run(context: CommandContext, shell: string): Promise<number> {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw usageError(`No completion for the shell "${shell}"`, 'Use `pollinator completion bash`, `zsh` or `fish`.');
  }
  const program = createProgram({ invoke: async () => undefined });
  context.output.result(completionScript(shell as Shell, program));
  return 0;
}
