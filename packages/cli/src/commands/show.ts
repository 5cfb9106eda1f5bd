import type { CommandContext } from '../context';
import { formatRunRecord } from '../render/run-record';
import { connectColony } from '../runtime/colony';
import { withProcess } from '../runtime/lookups';
import { resolveProcessRef } from '../runtime/process-ref';

/**
 * `pollinator show <id>`: the record of a run — times, executor, exit code,
 * the src and data snapshots it ran on, its result snapshot, the image and
 * digest, the git commit, the tool version, what it is a rerun of.
 * `--json` prints the RunRecord as one object.
 */
export async function run(context: CommandContext, idArgument: string): Promise<number> {
  const connection = await connectColony(context, { readOnly: true });
  const processId = await resolveProcessRef(context, connection, idArgument);
  const { getRunRecord } = await import('@pollinator/core/process-summary');
  const record = await withProcess(context, connection, processId, () =>
    getRunRecord({ client: connection.client, processId, signal: context.signal }),
  );
  const { output } = context;
  if (output.isJson) output.json({ type: 'run.record', ...record });
  else output.result(formatRunRecord(record, output.stdoutColors));
  return 0;
}
