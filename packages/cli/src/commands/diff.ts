import type { CommandContext } from '../context';
import { formatRunDiff } from '../render/run-record-diff';
import { connectColony } from '../runtime/colony';
import { withProcess } from '../runtime/lookups';
import { resolveProcessRef } from '../runtime/process-ref';

/**
 * `pollinator diff <a> <b>`: what differs between two runs — spec fields,
 * src and data files (by checksum, through their snapshots), image digest,
 * exit codes, run times. `--json` prints the RunDiff as one object. Exits 0
 * whether or not they differ (the output says how).
 */
export async function run(context: CommandContext, first: string, second: string): Promise<number> {
  const connection = await connectColony(context, { readOnly: true });
  const a = await resolveProcessRef(context, connection, first);
  const b = await resolveProcessRef(context, connection, second);
  const { diffRunRecords, getRunRecord } = await import('@pollinator/core');
  const read = (processId: string) =>
    withProcess(context, connection, processId, () => getRunRecord({ client: connection.client, processId, signal: context.signal }));
  const [recordA, recordB] = await Promise.all([read(a), read(b)]);
  const diff = await diffRunRecords({ client: connection.client, a: recordA, b: recordB, colonyName: connection.colonyName, signal: context.signal });
  const { output } = context;
  if (output.isJson) output.json({ type: 'run.diff', ...diff });
  else output.result(formatRunDiff(diff, output.stdoutColors));
  return 0;
}
