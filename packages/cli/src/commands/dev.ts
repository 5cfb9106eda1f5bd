import type { CommandContext } from '../context';
import { notAvailable } from '../runtime/libraries';

export async function run(_context: CommandContext): Promise<number> {
  throw notAvailable('dev');
}
