// A run's log with the exact int64 cursor (the `timestamp` of the last entry
// received, as a string of digits: JSON numbers would round it), one page at a
// time or as a live Server-Sent Events stream that ends when the run does.
import type { ServerResponse } from 'node:http';
import type { ColoniesClient, Log } from '@pollinator/colonies-client';
import { isTerminalState, processStateName, summarizeProcess, waitForNewLogs } from '@pollinator/core';
import type { LogEntry, LogPage } from './api-types';
import { badRequest } from './dashboard-errors';
import { startEventStream } from './http-replies';

/** Entries per `getlogsmsg` (the server's maximum). */
const LOG_PAGE = 500;
/** How long one held log read may wait (the stream notices a closed browser through the abort signal meanwhile). */
const LOG_WAIT_MS = 10_000;

export function parseCursor(value: string | null | undefined): bigint {
  if (value === null || value === undefined || value === '') return 0n;
  if (!/^\d{1,20}$/.test(value)) throw badRequest(`after must be a log cursor (a string of digits from a previous reply), got "${value}"`);
  return BigInt(value);
}

function entry(log: Log): LogEntry {
  return { message: log.message, cursor: log.timestamp.toString(), executorName: log.executorname };
}

/** One page of the log after `after` (up to `limit` entries, several server pages). */
export async function readLogPage(client: ColoniesClient, processId: string, after: bigint, limit: number, signal?: AbortSignal): Promise<LogPage> {
  const call = signal === undefined ? {} : { signal };
  // State first: once it was terminal before the drain, the drain saw every entry (no logs after the end).
  const process = await client.getProcess(processId, call);
  const ended = isTerminalState(process.state);
  const colonyName = process.spec.conditions.colonyname;
  const entries: LogEntry[] = [];
  let cursor = after;
  let drained = false;
  while (entries.length < limit) {
    const count = Math.min(LOG_PAGE, limit - entries.length);
    const logs = await client.getLogs({ processId, colonyName, since: cursor, count }, call);
    for (const log of logs) {
      entries.push(entry(log));
      cursor = log.timestamp;
    }
    if (logs.length < count) {
      drained = true;
      break;
    }
  }
  return { entries, cursor: cursor.toString(), complete: ended && drained };
}

export interface LogStreamOptions {
  client: ColoniesClient;
  processId: string;
  after: bigint;
  pollIntervalMs: number;
  /** Aborts when the browser goes away or the dashboard stops. */
  signal: AbortSignal;
}

/**
 * Streams `log` events (id = cursor, so a reconnecting EventSource resumes
 * exactly with Last-Event-ID), `state` events on every change, then `end`.
 */
export async function streamLog(response: ServerResponse, options: LogStreamOptions): Promise<void> {
  const { client, processId, signal } = options;
  const stream = startEventStream(response);
  let cursor = options.after;
  let lastState = -1;
  const call = { signal };
  /** Sends `logs` in order and moves the cursor; false once the browser has gone. */
  const sendLogs = (logs: readonly Log[]): boolean => {
    for (const log of logs) {
      cursor = log.timestamp;
      if (!stream.send('log', entry(log), log.timestamp.toString())) return false;
    }
    return true;
  };
  while (!signal.aborted) {
    const process = await client.getProcess(processId, call);
    const ended = isTerminalState(process.state);
    if (process.state !== lastState) {
      lastState = process.state;
      stream.send('state', summarizeProcess(process));
    }
    for (;;) {
      const logs = await client.getLogs({ processId, colonyName: process.spec.conditions.colonyname, since: cursor, count: LOG_PAGE }, call);
      if (!sendLogs(logs)) return;
      if (logs.length < LOG_PAGE) break;
    }
    if (ended) {
      stream.send('end', { state: processStateName(process.state), cursor: cursor.toString() });
      response.end();
      return;
    }
    // As the CLI follows (core's follow logic): where the server can hold the read until a line comes or the
    // state changes (the dev-server, hence the embedded default), a line reaches the page as soon as the CLI's;
    // elsewhere (a real Colonies server) the page polls. The loop then re-reads the state and drains the log.
    const waited = await waitForNewLogs(
      client,
      { processId, colonyName: process.spec.conditions.colonyname, since: cursor, count: LOG_PAGE, state: process.state, waitMs: LOG_WAIT_MS },
      signal,
    ).catch((error: unknown) => {
      if (signal.aborted) return [];
      throw error;
    });
    if (waited === undefined) await sleep(options.pollIntervalMs, signal);
    else if (!sendLogs(waited)) return;
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
