// `GET /api/events`: the runs page's live updates. The colony has no push for
// "any process changed", so the dashboard polls it (one listing per state)
// and sends only what changed: `runs` once with the whole list, then `run`
// for each new or changed process.
import type { ServerResponse } from 'node:http';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type { RunSummary } from './api-types';
import { startEventStream } from './http-replies';
import { sleep } from './logs-api';
import { listRuns, type RunsQuery } from './runs-api';

function fingerprint(run: RunSummary): string {
  return JSON.stringify([run.state, run.retries, run.startTime, run.endTime, run.exitCode, run.cause, run.queue, run.executorName]);
}

export async function streamRunEvents(
  response: ServerResponse,
  options: { client: ColoniesClient; colonyName?: string; query: RunsQuery; pollIntervalMs: number; signal: AbortSignal },
): Promise<void> {
  const stream = startEventStream(response);
  const seen = new Map<string, string>();
  let first = true;
  while (!options.signal.aborted) {
    try {
      const { runs } = await listRuns(options.client, options.colonyName, options.query, options.signal);
      if (first) {
        if (!stream.send('runs', runs)) return;
        for (const run of runs) seen.set(run.processId, fingerprint(run));
        first = false;
      } else {
        for (const run of runs) {
          const print = fingerprint(run);
          if (seen.get(run.processId) === print) continue;
          seen.set(run.processId, print);
          if (!stream.send('run', run)) return;
        }
      }
    } catch (error) {
      if (options.signal.aborted) return;
      // The page shows it and keeps the stream: the colony may come back.
      stream.send('error', { code: 'DASHBOARD_COLONY_UNREACHABLE', message: `the colony did not answer: ${(error as Error).message}` });
    }
    await sleep(options.pollIntervalMs, options.signal);
  }
}
