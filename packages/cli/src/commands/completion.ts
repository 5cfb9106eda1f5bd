import type { CommandContext } from '../context';

/** Placeholder while this round's work lands: replaced by the real command. */
export async function run(_context: CommandContext): Promise<number> {
  throw new Error('pollinator completion: not implemented yet');
}
