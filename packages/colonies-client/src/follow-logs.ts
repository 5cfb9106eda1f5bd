// followLogs: every log entry of a process exactly once, in order.
//
// Cursor: the exact int64 `timestamp` of the last entry yielded (the server
// returns entries with `timestamp > since`). When a page comes back full, the
// next query starts one nanosecond earlier and skips the entries at the cursor
// already yielded, so entries sharing a timestamp across a page boundary are
// not lost. Termination: the process state is read *before* each drain; once
// it was terminal before a drain, that drain saw every log (the server refuses
// logs on a closed process), so the iteration ends after it.
import { ColoniesAbortError, ColoniesArgumentError } from './errors';
import { getLogs } from './log-calls';
import { getProcess } from './process-calls';
import type { RpcCore } from './rpc-core';
import { sleep } from './transport';
import { isTerminalProcessState, type Log } from './types';

const MAX_COUNT = 500;

export interface FollowLogsOptions {
  signal?: AbortSignal;
  /** Start after this timestamp (exclusive), e.g. to resume; default: from the first entry. */
  since?: bigint;
  /** Entries per request, 1–500 (default 200). */
  pageSize?: number;
  /** Pause between polls when nothing is new, in ms (default 500). */
  pollIntervalMs?: number;
}

export async function* followLogs(
  core: RpcCore,
  processId: string,
  options: FollowLogsOptions = {},
): AsyncGenerator<Log, void, undefined> {
  const { signal } = options;
  const pageSize = options.pageSize ?? 200;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    throw new ColoniesArgumentError(`followLogs: pageSize must be 1–500, got ${pageSize}`);
  }
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  let cursor = options.since ?? 0n;
  /** How many entries with timestamp === cursor were yielded (for the overlap after a full page). */
  let seenAtCursor = 0;
  let lastPageFull = false;
  let colonyName: string | undefined;

  for (;;) {
    if (signal?.aborted) throw new ColoniesAbortError('followLogs', signal.reason);
    const process = await getProcess(core, processId, { signal });
    colonyName ??= process.spec.conditions.colonyname;
    const terminalBeforeDrain = isTerminalProcessState(process.state);

    // Drain everything available now.
    let count = pageSize;
    for (;;) {
      const overlap = lastPageFull && seenAtCursor > 0 && cursor > 0n;
      const page = await getLogs(
        core,
        { processId, colonyName, count, since: overlap ? cursor - 1n : cursor },
        { signal },
      );
      let skip = 0;
      if (overlap) {
        while (skip < page.length && skip < seenAtCursor && page[skip]!.timestamp === cursor) skip++;
      }
      const fresh = skip > 0 ? page.slice(skip) : page;
      for (const entry of fresh) {
        if (entry.timestamp === cursor) seenAtCursor++;
        else {
          cursor = entry.timestamp;
          seenAtCursor = 1;
        }
        yield entry;
      }
      lastPageFull = page.length >= count;
      if (!lastPageFull) break;
      if (fresh.length > 0) count = pageSize;
      else if (count < MAX_COUNT) {
        // A full page of entries at the cursor, all seen already: widen the window.
        count = Math.min(MAX_COUNT, count * 2);
      } else {
        // More than 500 entries share one nanosecond: step past them (cannot happen on a real clock).
        lastPageFull = false;
        seenAtCursor = 0;
        count = pageSize;
      }
    }

    if (terminalBeforeDrain) return;
    await sleep(pollIntervalMs, signal, 'followLogs');
  }
}
