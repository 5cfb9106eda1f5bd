// "Re-run" on a run's page: core's rerunProcess (what `pollinator rerun`
// does), submitted and not followed: the page opens the new run and follows
// it there. A rerun needs no project directory and no blob store: the
// recorded spec names the snapshots of its inputs.
import type { ColoniesClient } from '@pollinator/colonies-client';
import { ExitCode, rerunProcess, type PollinatorEvent } from '@pollinator/core';
import type { RerunReply } from './api-types';
import { DashboardError } from './dashboard-errors';

export async function rerunRun(options: {
  client: ColoniesClient;
  colonyName?: string;
  processId: string;
  toolVersion?: string;
  signal?: AbortSignal;
}): Promise<RerunReply> {
  const { client, processId, signal } = options;
  // A missing process is a 404 (errorReply), like every other route; rerunProcess would only say "failed".
  await client.getProcess(processId, signal === undefined ? {} : { signal });
  const run = rerunProcess({
    client,
    processId,
    follow: false,
    ...(options.colonyName === undefined ? {} : { colonyName: options.colonyName }),
    ...(options.toolVersion === undefined ? {} : { toolVersion: options.toolVersion }),
    ...(signal === undefined ? {} : { signal }),
  });
  const events: PollinatorEvent[] = [];
  for await (const event of run) events.push(event);
  const result = await run.result;
  if (result.processId !== undefined) {
    const warnings = events.flatMap((event) => (event.type === 'warning' ? [{ ...(event.code === undefined ? {} : { code: event.code }), message: event.message }] : []));
    return { processId: result.processId, rerunOf: processId, warnings };
  }
  const error = events.find((event) => event.type === 'error');
  const fix = error?.type === 'error' && error.fix !== undefined ? ` ${error.fix}` : '';
  const message = `${result.error?.message ?? `process ${processId} was not rerun`}.${fix}`;
  if (result.error?.code === 'SNAPSHOT_REMOVED') throw new DashboardError('DASHBOARD_RERUN_REFUSED', 409, message);
  if (result.exitCode === ExitCode.CONNECTION_LOST) throw new DashboardError('DASHBOARD_COLONY_UNREACHABLE', 502, `the colony is not reachable: ${message}`);
  throw new DashboardError('DASHBOARD_RERUN_FAILED', 502, message);
}
