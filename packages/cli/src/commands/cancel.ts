import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { connectColony } from '../runtime/colony';
import { withProcess } from '../runtime/lookups';
import { resolveProcessRef } from '../runtime/process-ref';

export interface CancelOptions {
  wait?: boolean;
}

/** `pollinator cancel <id> [--wait]`. */
export async function run(context: CommandContext, idArgument: string, options: CancelOptions): Promise<number> {
  const connection = await connectColony(context);
  const processId = await resolveProcessRef(context, connection, idArgument);
  const core = await import('@pollinator/core/process-summary');
  const before = await withProcess(context, connection, processId, () =>
    core.getProcessSummary({ client: connection.client, processId, signal: context.signal }),
  );
  const { output } = context;
  if (before.state === 'success' || before.state === 'failed' || before.state === 'cancelled') {
    throw new CliError(`Process ${processId} has already ended`, {
      why: `its state is ${before.state}`,
      exitCode: CliExitCode.USAGE,
      code: 'ALREADY_ENDED',
    });
  }
  await withProcess(context, connection, processId, () => core.cancelProcess({ client: connection.client, processId, signal: context.signal }));
  if (output.isJson) output.json({ type: 'process.cancel-requested', processId });
  else output.step(`Asked the executor to cancel process ${processId}`);
  if (options.wait !== true) return 0;

  // Follow (without logs) until the process has stopped.
  const following = core.followProcess({ client: connection.client, processId, logs: false, signal: context.signal, pollIntervalMs: 250 });
  for await (const event of following) if (output.isJson && event.type !== 'log') output.json(event);
  const result = await following.result;
  if (!output.isJson) {
    if (result.state === 'cancelled') output.step('Cancelled');
    else output.warn(`The process ended as ${result.state} before the cancel took effect.`);
  }
  return result.state === 'cancelled' ? 0 : result.exitCode;
}
