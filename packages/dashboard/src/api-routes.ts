// The JSON API under /api/ (docs/dashboard.md lists it).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import { isTerminalState, processStateName } from '@pollinator/core';
import { filesOverview, labelFiles, listExecutorViews } from './colony-api';
import { badRequest, DashboardError, notFound } from './dashboard-errors';
import { streamRunEvents } from './events-api';
import { sendJson } from './http-replies';
import { parseCursor, readLogPage, streamLog } from './logs-api';
import { rerunRun } from './rerun-api';
import { listResults, sendResultFile, sendResultsTar } from './results-api';
import { listRuns, runDetail } from './runs-api';

export interface ApiContext {
  client: ColoniesClient;
  colonyName?: string;
  blobStore?: () => Promise<BlobStore>;
  pollIntervalMs: number;
  /** Recorded in a re-run's spec as POLLINATOR_CLI_VERSION. */
  toolVersion?: string;
}

const PROCESS_ID = /^[0-9a-f]{64}$/;

function processIdOf(value: string | undefined): string {
  if (value === undefined || !PROCESS_ID.test(value)) throw badRequest(`"${value ?? ''}" is not a process id (64 hex digits)`);
  return value;
}

function only(method: string, request: IncomingMessage, pathname: string): void {
  const actual = request.method ?? 'GET';
  if (actual !== method && !(method === 'GET' && actual === 'HEAD')) {
    throw new DashboardError('DASHBOARD_METHOD_NOT_ALLOWED', 405, `${actual} is not allowed on ${pathname} (use ${method})`);
  }
}

function parseLimit(value: string | null): number {
  if (value === null || value === '') return 5000;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100_000) throw badRequest(`limit must be 1–100000, got "${value}"`);
  return Number(value);
}

export async function routeApi(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  context: ApiContext & { signal: AbortSignal },
): Promise<void> {
  const { client, colonyName, signal } = context;
  const parts = url.pathname.split('/').slice(2).map((part) => decodeURIComponent(part));
  const query = url.searchParams;
  const [resource, id, sub, ...rest] = parts;
  if (resource === 'runs' && id === undefined) {
    only('GET', request, url.pathname);
    const runsQuery = {
      ...(query.get('state') === null ? {} : { state: query.get('state')! }),
      ...(query.get('project') === null ? {} : { project: query.get('project')! }),
      ...(query.get('executor') === null ? {} : { executor: query.get('executor')! }),
      ...(query.get('q') === null ? {} : { q: query.get('q')! }),
    };
    return sendJson(response, 200, await listRuns(client, colonyName, runsQuery, signal));
  }
  if (resource === 'runs') {
    const processId = processIdOf(id);
    if (sub === undefined) {
      only('GET', request, url.pathname);
      return sendJson(response, 200, await runDetail(client, colonyName, processId, signal));
    }
    if (sub === 'log' && rest.length === 0) {
      only('GET', request, url.pathname);
      return sendJson(response, 200, await readLogPage(client, processId, parseCursor(query.get('after')), parseLimit(query.get('limit')), signal));
    }
    if (sub === 'log' && rest.join('/') === 'stream') {
      only('GET', request, url.pathname);
      // A reconnecting EventSource resumes from the last cursor it saw.
      const after = parseCursor(query.get('after') ?? (request.headers['last-event-id'] as string | undefined));
      return streamLog(response, { client, processId, after, pollIntervalMs: context.pollIntervalMs, signal });
    }
    if (sub === 'cancel' && rest.length === 0) {
      only('POST', request, url.pathname);
      const process = await client.getProcess(processId, { signal });
      if (isTerminalState(process.state)) {
        throw new DashboardError('DASHBOARD_ALREADY_ENDED', 409, `process ${processId} has already ended (${processStateName(process.state)})`);
      }
      await client.cancelProcess(processId, { signal });
      return sendJson(response, 202, { processId, cancelRequested: true });
    }
    if (sub === 'rerun' && rest.length === 0) {
      only('POST', request, url.pathname);
      const rerun = await rerunRun({
        client,
        processId,
        signal,
        ...(colonyName === undefined ? {} : { colonyName }),
        ...(context.toolVersion === undefined ? {} : { toolVersion: context.toolVersion }),
      });
      return sendJson(response, 201, rerun);
    }
    if (sub === 'results' && rest.length === 0) {
      only('GET', request, url.pathname);
      return sendJson(response, 200, await listResults(client, processId, signal));
    }
    if (sub === 'results.tar' && rest.length === 0) {
      only('GET', request, url.pathname);
      return sendResultsTar(response, { client, processId, signal, ...(context.blobStore === undefined ? {} : { blobStore: context.blobStore }) });
    }
    if (sub === 'results' && rest.length > 0) {
      only('GET', request, url.pathname);
      const path = rest.join('/');
      return sendResultFile(response, { client, processId, path, signal, ...(context.blobStore === undefined ? {} : { blobStore: context.blobStore }) });
    }
  }
  if (resource === 'executors' && id === undefined) {
    only('GET', request, url.pathname);
    return sendJson(response, 200, { executors: await listExecutorViews(client, colonyName, signal) });
  }
  if (resource === 'files' && id === undefined) {
    only('GET', request, url.pathname);
    const label = query.get('label');
    return sendJson(response, 200, label === null ? await filesOverview(client, colonyName, signal) : await labelFiles(client, colonyName, label, signal));
  }
  if (resource === 'events' && id === undefined) {
    only('GET', request, url.pathname);
    const eventsQuery = {
      ...(query.get('state') === null ? {} : { state: query.get('state')! }),
      ...(query.get('project') === null ? {} : { project: query.get('project')! }),
    };
    return streamRunEvents(response, { client, ...(colonyName === undefined ? {} : { colonyName }), query: eventsQuery, pollIntervalMs: context.pollIntervalMs, signal });
  }
  if (resource === 'session' && id === undefined) {
    only('GET', request, url.pathname);
    return sendJson(response, 200, { colonyName: colonyName ?? client.colonyName ?? '', serverUrl: client.url ?? '' });
  }
  throw notFound(`the API path ${url.pathname}`);
}
