// `pollinator ui`: the dashboard's HTTP server on 127.0.0.1. It serves the
// prebuilt single-page app and a JSON API under /api/ that talks to the colony
// with this machine's key: the key signs here and never leaves the process;
// the browser only holds the per-session token of the printed link.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import { DashboardError } from './dashboard-errors';
import { sendError } from './http-replies';
import { checkHost, checkSameOrigin, checkToken, sameToken, sessionCookie } from './request-guard';
import { routeApi, type ApiContext } from './api-routes';
import { defaultWebDir, serveStatic } from './static-files';

export interface DashboardServerOptions {
  /** Signs every call; its key stays in this process. */
  client: ColoniesClient;
  /** Colony to show (default: the client's). */
  colonyName?: string;
  /** Where result files are read (the embedded blob directory or S3); without it, downloads answer 503. */
  blobStore?: () => Promise<BlobStore>;
  /** 0 (default) = any free port. */
  port?: number;
  /** Directory of the built app (default `dist/web` of this package). */
  webDir?: string;
  /** The session token (default: 32 random bytes, hex). */
  token?: string;
  /** How often live streams ask the colony for news (default 300 ms). */
  pollIntervalMs?: number;
  /** Version of the tool serving the dashboard, recorded in re-runs (`POLLINATOR_CLI_VERSION`). */
  toolVersion?: string;
}

export interface DashboardServer {
  readonly port: number;
  readonly token: string;
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** The link to open: `http://127.0.0.1:PORT/?token=…`. */
  readonly link: string;
  /**
   * Requests being answered right now, live streams included: an open page
   * keeps its runs or log stream open, so the embedded default's background
   * service does not stop itself for being idle under someone looking at it.
   */
  openRequests(): number;
  /** Ends live streams, stops listening and closes every connection. */
  close(): Promise<void>;
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const webDir = options.webDir ?? defaultWebDir();
  const closing = new AbortController();
  let port = 0;
  let openRequests = 0;
  const context = (): ApiContext => ({
    client: options.client,
    ...(options.colonyName === undefined ? {} : { colonyName: options.colonyName }),
    ...(options.blobStore === undefined ? {} : { blobStore: options.blobStore }),
    pollIntervalMs: options.pollIntervalMs ?? 300,
    ...(options.toolVersion === undefined ? {} : { toolVersion: options.toolVersion }),
  });
  const server = createServer((request, response) => {
    const requestAbort = new AbortController();
    const abort = () => requestAbort.abort();
    openRequests += 1;
    response.once('close', () => (openRequests -= 1));
    response.once('close', abort);
    closing.signal.addEventListener('abort', abort, { once: true });
    response.once('close', () => closing.signal.removeEventListener('abort', abort));
    handle(request, response, { port, token, webDir, api: context(), signal: requestAbort.signal }).catch((error: unknown) => {
      if (requestAbort.signal.aborted && !response.headersSent) return void response.destroy();
      sendError(response, error, (request.url ?? '').startsWith('/api/'));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    port,
    token,
    url,
    link: `${url}?token=${token}`,
    openRequests: () => openRequests,
    close: async () => {
      closing.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

interface RequestScope {
  port: number;
  token: string;
  webDir: string;
  api: ApiContext;
  signal: AbortSignal;
}

async function handle(request: IncomingMessage, response: ServerResponse, scope: RequestScope): Promise<void> {
  checkHost(request, scope.port);
  checkSameOrigin(request, scope.port);
  const url = new URL(request.url ?? '/', `http://127.0.0.1:${scope.port}`);
  const method = request.method ?? 'GET';
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    checkToken(request, scope.port, scope.token);
    await routeApi(request, response, url, { ...scope.api, signal: scope.signal });
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    throw new DashboardError('DASHBOARD_METHOD_NOT_ALLOWED', 405, `${method} is not allowed on ${url.pathname}`);
  }
  const given = url.searchParams.get('token');
  if (given !== null) {
    // The link's token becomes the session cookie, and the token leaves the address bar (and the history).
    if (!sameToken(given, scope.token)) {
      throw new DashboardError('DASHBOARD_TOKEN_REQUIRED', 403, 'this link has a wrong or old token: open the link `pollinator ui` printed this time');
    }
    url.searchParams.delete('token');
    response.writeHead(303, { 'set-cookie': sessionCookie(scope.port, scope.token), location: `${url.pathname}${url.search}`, 'cache-control': 'no-store' });
    response.end();
    return;
  }
  const processId = url.searchParams.get('processid');
  if (url.pathname === '/process' && processId !== null && processId !== '') {
    // ColonyOS's dashboard links a run as /process?processid=<id> (so does `pollinator run` given COLONYOS_DASHBOARD_URL): its page here.
    response.writeHead(303, { location: `/#/runs/${encodeURIComponent(processId)}`, 'cache-control': 'no-store' });
    response.end();
    return;
  }
  await serveStatic(response, scope.webDir, url.pathname, method);
}
