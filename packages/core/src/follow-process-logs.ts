/**
 * The log side of following one process: the exact int64 cursor (each line
 * once, in order), a drain of every page after it, and the dev-server's
 * wait (follow-process-wait.ts), which turns into a drain for good when the
 * server refuses it. Also when the server last answered, for the connection
 * timeout, and the times the schedule needs (follow-process-schedule.ts).
 */
import type { Log } from '@pollinator/colonies-client';
import type { LogEvent, PollinatorEvent } from './events';
import type { FollowClient } from './follow-process';
import type { FollowObservation } from './follow-process-schedule';
import { forgetLogWait, isUnknownMessage, waitForLogs } from './follow-process-wait';

/** Log entries per `getlogsmsg` call (the server's maximum). */
export const LOG_PAGE = 500;

export interface FollowLogOptions {
  client: FollowClient;
  processId: string;
  colonyName: string | undefined;
  signal: AbortSignal | undefined;
  /** False: no log is read (drains read nothing). */
  wantLogs: boolean;
  /** How long the dev-server may hold one wait, ms. */
  waitMs: number;
  emit: (event: PollinatorEvent) => void;
}

export class FollowLogReader {
  readonly #options: FollowLogOptions;
  #cursor = 0n;
  mode: FollowObservation['mode'];
  /** Last time the server answered (the connection timeout counts from here). */
  lastContact = Date.now();
  linesAt = -Infinity;
  logReadAt = -Infinity;

  constructor(options: FollowLogOptions, mode: FollowObservation['mode']) {
    this.#options = options;
    this.mode = mode;
  }

  /** Reads every line after the cursor; how many there were. */
  async drain(): Promise<number> {
    const { client, processId, colonyName, signal, wantLogs } = this.#options;
    if (!wantLogs) return 0;
    const colony = colonyName === undefined ? {} : { colonyName };
    let total = 0;
    for (;;) {
      this.logReadAt = Date.now();
      const logs: Log[] = await client.getLogs({ processId, since: this.#cursor, count: LOG_PAGE, ...colony }, { signal });
      this.lastContact = Date.now();
      this.#emit(logs);
      total += logs.length;
      if (logs.length < LOG_PAGE) return total;
    }
  }

  /** The dev-server's wait while the process is in `state`; a server that does not know it turns following back to polling. */
  async wait(state: number): Promise<number> {
    const { client, processId, colonyName, signal, waitMs } = this.#options;
    this.logReadAt = Date.now();
    try {
      const logs = await waitForLogs(client, { processId, colonyName, since: this.#cursor, count: LOG_PAGE, state, waitMs }, signal);
      this.lastContact = Date.now();
      this.#emit(logs);
      return logs.length;
    } catch (error) {
      if (!isUnknownMessage(error)) throw error;
      forgetLogWait(client);
      this.mode = 'poll';
      return this.drain();
    }
  }

  #emit(logs: Log[]): void {
    for (const log of logs) {
      this.#options.emit(logEvent(log));
      this.#cursor = log.timestamp;
    }
    if (logs.length > 0) this.linesAt = Date.now();
  }
}

function logEvent(log: Log): LogEvent {
  return {
    type: 'log',
    processId: log.processid,
    message: log.message,
    timestamp: log.timestamp.toString(),
    executorName: log.executorname,
  };
}
