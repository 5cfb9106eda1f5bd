import type { CommandContext } from '../context';
import { VERSION } from '../version';

export async function run(context: CommandContext): Promise<number> {
  const info = {
    pollinator: VERSION,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
  };
  if (context.output.isJson) context.output.json({ type: 'version', ...info });
  else context.output.result(`pollinator ${info.pollinator} (node ${info.node}, ${info.platform})`);
  return 0;
}
