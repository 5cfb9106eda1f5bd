/**
 * The dev-server's log wait (`pollinatorwaitlogsmsg`, issue #20): a
 * `getlogsmsg` the server holds until a line arrives or the process changes
 * state. Real Colonies servers (v1.9.12 has no log push) are never sent it:
 * it is used only when `versionmsg` names the dev-server, asked once per
 * client; an older dev-server that refuses it turns following back to polling.
 */
import { ColoniesError, type ColoniesClient, type Log } from '@pollinator/colonies-client';
import type { FollowClient } from './follow-process';

/** A follow client that may also talk to the dev-server's wait. */
type WaitClient = FollowClient & Partial<Pick<ColoniesClient, 'rpc' | 'version' | 'colonyName'>>;

export const WAIT_LOGS_MESSAGE = 'pollinatorwaitlogsmsg';
/** How `versionmsg` names the dev-server (dev-server.ts: `pollinator-dev-server-<version> …`). */
const DEV_SERVER_VERSION = /^pollinator-dev-server/;
/** The version question must not hold up following. */
const VERSION_TIMEOUT_MS = 3000;

const support = new WeakMap<object, Promise<boolean>>();

/** Whether the client's server holds log reads (the dev-server); false on any doubt. */
export function serverWaitsForLogs(client: FollowClient, colonyName: string | undefined): Promise<boolean> {
  const waitClient = client as WaitClient;
  if (typeof waitClient.rpc !== 'function' || typeof waitClient.version !== 'function') return Promise.resolve(false);
  if ((colonyName ?? waitClient.colonyName) === undefined) return Promise.resolve(false);
  let known = support.get(client);
  if (known === undefined) {
    known = waitClient
      .version({ timeoutMs: VERSION_TIMEOUT_MS })
      .then((info) => DEV_SERVER_VERSION.test(info.buildversion))
      .catch(() => false);
    support.set(client, known);
  }
  return known;
}

/** This client's server turned out not to know the wait: poll from now on. */
export function forgetLogWait(client: FollowClient): void {
  support.set(client, Promise.resolve(false));
}

/** A server that does not know the message (an older dev-server): 403 "invalid rpcMsg.PayloadType". */
export function isUnknownMessage(error: unknown): boolean {
  return ColoniesError.isInstance(error) && error.status === 403 && /PayloadType/i.test(error.serverMessage);
}

export interface WaitLogsQuery {
  processId: string;
  colonyName: string | undefined;
  since: bigint;
  count: number;
  /** The state the follower last saw: a different one ends the wait at once. */
  state: number;
  waitMs: number;
}

/** The lines after `since` (oldest first), once there are some, the state changed, or `waitMs` passed. */
export async function waitForLogs(client: FollowClient, query: WaitLogsQuery, signal: AbortSignal | undefined): Promise<Log[]> {
  const waitClient = client as WaitClient & Pick<ColoniesClient, 'rpc'>;
  const reply = await waitClient.rpc(
    WAIT_LOGS_MESSAGE,
    {
      colonyname: query.colonyName ?? waitClient.colonyName,
      processid: query.processId,
      count: query.count,
      since: query.since,
      state: query.state,
      waitms: query.waitMs,
    },
    // A read: safe to resend; the HTTP timeout must outlast the wait.
    { read: true, timeoutMs: query.waitMs + 15_000, ...(signal === undefined ? {} : { signal }) },
  );
  if (reply === null) return [];
  if (!Array.isArray(reply)) throw new TypeError(`${WAIT_LOGS_MESSAGE}: expected a list of log lines`);
  return reply.map((entry) => {
    const raw = entry as Record<string, unknown>;
    return { ...(raw as unknown as Log), timestamp: toTimestamp(raw.timestamp) };
  });
}

function toTimestamp(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  throw new TypeError(`${WAIT_LOGS_MESSAGE}: a log line without an exact timestamp`);
}

/**
 * For followers with a loop of their own (the dashboard's live log): the
 * lines after `query.since` once there are some, the state changed or
 * `waitMs` passed — or undefined when this server cannot hold the read
 * (a real Colonies server, an older dev-server), and the caller polls.
 */
export async function waitForNewLogs(client: FollowClient, query: WaitLogsQuery, signal: AbortSignal | undefined): Promise<Log[] | undefined> {
  if (!(await serverWaitsForLogs(client, query.colonyName))) return undefined;
  try {
    return await waitForLogs(client, query, signal);
  } catch (error) {
    if (!isUnknownMessage(error)) throw error;
    forgetLogWait(client);
    return undefined;
  }
}
