import type { ServerResponse } from 'node:http';
import { PollinatorError } from '@pollinator/errors';
import { ColoniesClientError } from '@pollinator/colonies-client';
import { DashboardError } from './dashboard-errors';

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  response.writeHead(status, { ...NO_STORE, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** What an error becomes on the wire: a status and `{error:{code,message}}` (never a stack). */
export function errorReply(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof DashboardError) return { status: error.status, code: error.code, message: error.message };
  if (ColoniesClientError.isInstance(error)) {
    // The colony's own "not found" is a 404 here too; an unreachable colony is a 502 the page explains.
    const status =
      /not found|does not exist/i.test(error.message) ? 404 : error.code === 'COLONIES_NETWORK_ERROR' || error.code === 'COLONIES_TIMEOUT' ? 502 : 500;
    const code = status === 502 ? 'DASHBOARD_COLONY_UNREACHABLE' : error.code;
    const message = status === 502 ? `the colony is not reachable: ${error.message}` : error.message;
    return { status, code, message };
  }
  if (PollinatorError.isInstance(error)) return { status: 500, code: error.code, message: error.message };
  return { status: 500, code: 'DASHBOARD_INTERNAL', message: `internal error: ${(error as Error)?.message ?? String(error)}` };
}

export function sendError(response: ServerResponse, error: unknown, asJson: boolean): void {
  const reply = errorReply(error);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  // A refused Host or a cross-site request gets a plain message: whatever sent it is not our page.
  const refusal = reply.code === 'DASHBOARD_FOREIGN_HOST' || reply.code === 'DASHBOARD_CROSS_SITE';
  if (asJson && !refusal) {
    sendJson(response, reply.status, { error: { code: reply.code, message: reply.message } });
    return;
  }
  const text = `${reply.message}\n`;
  response.writeHead(reply.status, { ...NO_STORE, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** Starts a Server-Sent Events stream; returns a writer that says whether the client is still there. */
export function startEventStream(response: ServerResponse): { send(event: string, data: unknown, id?: string): boolean; comment(text: string): void } {
  response.writeHead(200, { ...NO_STORE, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
  response.flushHeaders();
  return {
    send(event, data, id) {
      if (response.destroyed || response.writableEnded) return false;
      const json = JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
      response.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${json}\n\n`);
      return true;
    },
    comment(text) {
      if (!response.destroyed && !response.writableEnded) response.write(`: ${text}\n\n`);
    },
  };
}
