// Retry, timeout, abort, keep-alive and long-poll behaviour against a loopback
// server that misbehaves on purpose (drops connections, answers 502, stalls).
import type { ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { generatePrivateKey } from '@pollinator/crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ColoniesClient } from './client';
import { createColoniesClient } from './create-client';
import type { ColoniesClientOptions } from './client-options';
import {
  ColoniesAbortError,
  ColoniesBadReplyError,
  ColoniesError,
  ColoniesNetworkError,
  ColoniesTimeoutError,
} from './errors';
import { decodeRequest, errorBody, replyBody, startLoopbackServer, type LoopbackServer } from './loopback.test-helpers';
import { createNodeFetch, HttpTransport } from './transport';

const COLONY = '{"colonyid":"' + 'a'.repeat(64) + '","name":"dev"}';
const key = generatePrivateKey();
let server: LoopbackServer;

beforeAll(async () => {
  server = await startLoopbackServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.requests.length = 0;
});

function client(options: Partial<ColoniesClientOptions> = {}): ColoniesClient {
  return createColoniesClient({
    url: server.url,
    privateKey: key,
    colonyName: 'dev',
    timeoutMs: 2000,
    retry: { retries: 3, minDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
}

/** Answers the first `n` requests with `bad`, the rest with a good colony reply. */
function failFirst(n: number, bad: (res: ServerResponse) => void) {
  let count = 0;
  server.onHttp((_req, res) => {
    if (count++ < n) bad(res);
    else res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(replyBody('getcolonymsg', COLONY));
  });
}

const drop = (res: ServerResponse) => res.socket?.destroy();
const badGateway = (res: ServerResponse) =>
  res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');

describe('retries', () => {
  it('retries a read after 502 pages from a proxy, with backoff', async () => {
    failFirst(2, badGateway);
    const colony = await client().getColony();
    expect(colony.name).toBe('dev');
    expect(server.requests).toHaveLength(3);
  });

  it('retries a read after dropped connections, telling onRetry', async () => {
    failFirst(2, drop);
    const events: string[] = [];
    const c = client({ onRetry: (e) => events.push(`${e.payloadtype} #${e.attempt} ${e.error.name}`) });
    await expect(c.getColony()).resolves.toMatchObject({ name: 'dev' });
    expect(server.requests).toHaveLength(3);
    expect(events).toEqual(['getcolonymsg #1 ColoniesNetworkError', 'getcolonymsg #2 ColoniesNetworkError']);
  });

  it('gives up after the configured retries with the last typed error', async () => {
    failFirst(100, badGateway);
    const error = await client({ retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 } }).getColony().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColoniesError);
    expect(error).toMatchObject({ status: 502, httpStatus: 502, envelope: false, retryable: true, payloadtype: 'getcolonymsg' });
    expect(server.requests).toHaveLength(3);
  });

  it('never resends a submit after a 502', async () => {
    failFirst(100, badGateway);
    const error = await client()
      .submit({ funcname: 'execute', conditions: { executortype: 'container-executor' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ColoniesError', status: 502, retryable: true });
    expect(server.requests).toHaveLength(1);
  });

  it('never resends a close after the connection dropped mid-request', async () => {
    failFirst(100, drop);
    const error = await client().closeSuccessful('p'.repeat(64)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColoniesNetworkError);
    expect((error as ColoniesNetworkError).mayHaveBeenSent).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a Colonies 500 envelope (deterministic, e.g. unknown snapshot)', async () => {
    server.onHttp((_req, res) => res.writeHead(500).end(errorBody(500, 'snapshot not found')));
    const error = await client().getSnapshot({ name: 'nope' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 500, envelope: true, retryable: false, serverMessage: 'snapshot not found' });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a read answered 503 by the server', async () => {
    failFirst(1, (res) => res.writeHead(503).end(errorBody(503, 'paused')));
    await expect(client().getColony()).resolves.toMatchObject({ name: 'dev' });
    expect(server.requests).toHaveLength(2);
  });

  it('resends even a write when the connection was refused (nothing was sent)', async () => {
    const dead = await startLoopbackServer();
    const url = dead.url;
    await dead.close();
    const c = createColoniesClient({ url, privateKey: key, colonyName: 'dev', retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } });
    const error = await c.closeSuccessful('p'.repeat(64)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColoniesNetworkError);
    expect(error).toMatchObject({ code: 'COLONIES_NETWORK_ERROR', mayHaveBeenSent: false, retryable: true });
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('backs off exponentially with jitter, capped', () => {
    const mk = (random: number) =>
      new HttpTransport({ baseUrl: 'http://x', timeoutMs: 1, retry: { retries: 5, minDelayMs: 100, maxDelayMs: 1000 }, skipTlsVerify: false, random: () => random, fetch: fetch });
    const low = mk(0);
    const high = mk(0.999999);
    expect([1, 2, 3, 4, 5].map((a) => low.backoffMs(a))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((a) => high.backoffMs(a))).toEqual([100, 200, 400, 800, 1000]);
  });
});

describe('envelopes decide, not HTTP statuses', () => {
  it('an error envelope with HTTP 200 is an error', async () => {
    server.onHttp((_req, res) => res.writeHead(200).end(errorBody(403, 'Access denied')));
    await expect(client().getColony()).rejects.toMatchObject({ status: 403, httpStatus: 200, serverMessage: 'Access denied' });
  });

  it('a success envelope is a success whatever the HTTP status', async () => {
    server.onHttp((_req, res) => res.writeHead(500).end(replyBody('getcolonymsg', COLONY)));
    await expect(client().getColony()).resolves.toMatchObject({ name: 'dev' });
  });

  it('a 200 that is not an envelope is a bad reply, not a success', async () => {
    server.onHttp((_req, res) => res.writeHead(200).end('<html>captive portal</html>'));
    const error = await client({ retry: false }).getColony().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColoniesBadReplyError);
    expect(error).toMatchObject({ code: 'COLONIES_BAD_REPLY', retryable: false });
  });

  it('the 404 of an assign long-poll is null, other errors throw', async () => {
    server.onHttp((_req, res) => res.writeHead(404).end(errorBody(404, 'No process available for assignment')));
    await expect(client().assign({ timeout: -1 })).resolves.toBeNull();
    server.onHttp((_req, res) => res.writeHead(403).end(errorBody(403, 'Executor is not approved')));
    await expect(client().assign({ timeout: -1 })).rejects.toMatchObject({ status: 403, payloadtype: 'assignprocessmsg' });
    // A 404 page from a proxy (wrong URL) is an error, not "nothing to do".
    server.onHttp((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await expect(client().assign({ timeout: -1 })).rejects.toMatchObject({ status: 404, envelope: false });
  });
});

describe('timeouts and abort', () => {
  const stall = () => server.onHttp(() => undefined); // never answers

  it('times out a stalled write once, without resending', async () => {
    stall();
    const retries: number[] = [];
    const started = Date.now();
    const error = await client({ timeoutMs: 300, onRetry: (e) => retries.push(e.attempt) })
      .addLog('p'.repeat(64), 'x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColoniesTimeoutError);
    expect(error).toMatchObject({ code: 'COLONIES_TIMEOUT', timeoutMs: 300, payloadtype: 'addlogmsg' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(retries).toEqual([]);
    expect(server.requests.length).toBeLessThanOrEqual(1);
  });

  it('retries a stalled read, each attempt with its own timeout', async () => {
    stall();
    const retries: string[] = [];
    const error = await client({
      timeoutMs: 150,
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 1 },
      onRetry: (e) => retries.push(`${e.attempt} ${e.error.name}`),
    })
      .getProcess('p'.repeat(64))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColoniesTimeoutError);
    expect(retries).toEqual(['1 ColoniesTimeoutError', '2 ColoniesTimeoutError']);
  });

  it('a per-call timeout overrides the client default', async () => {
    stall();
    const started = Date.now();
    await expect(client({ timeoutMs: 10_000, retry: false }).getColony({ timeoutMs: 100 })).rejects.toBeInstanceOf(
      ColoniesTimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('aborts an in-flight call with an AbortError and does not retry', async () => {
    stall();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user pressed Ctrl-C')), 50);
    const error = await client({ timeoutMs: 10_000 }).getColony({ signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColoniesAbortError);
    expect((error as Error).name).toBe('AbortError');
    expect(server.requests.length).toBeLessThanOrEqual(1);
  });

  it('aborts during the backoff between retries', async () => {
    failFirst(100, badGateway);
    const controller = new AbortController();
    const c = client({ retry: { retries: 5, minDelayMs: 5000, maxDelayMs: 5000 } });
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(c.getColony({ signal: controller.signal })).rejects.toBeInstanceOf(ColoniesAbortError);
    expect(Date.now() - started).toBeLessThan(2000); // the backoff alone would be ≥ 2.5 s
    expect(server.requests.length).toBeLessThanOrEqual(1);
  });

  it('an already aborted signal sends nothing', async () => {
    await expect(client().getColony({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(ColoniesAbortError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('assign long-poll', () => {
  it('gives the HTTP request longer than the long-poll, even with a short client timeout', async () => {
    server.onHttp((req, res) => {
      const { json } = decodeRequest(req.body);
      expect(json).toMatchObject({ msgtype: 'assignprocessmsg', timeout: 1, colonyname: 'dev', availablecpu: '', availablemem: '' });
      setTimeout(() => res.writeHead(404).end(errorBody(404, 'No process available for assignment')), 1100);
    });
    const c = client({ timeoutMs: 200, assignMarginMs: 1000 });
    const started = Date.now();
    await expect(c.assign({ timeout: 1 })).resolves.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(server.requests).toHaveLength(1);
  });

  it('is aborted promptly by its signal', async () => {
    server.onHttp(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(client().assign({ timeout: 60 }, { signal: controller.signal })).rejects.toBeInstanceOf(ColoniesAbortError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('connections', () => {
  it('reuses one keep-alive connection for sequential calls', async () => {
    server.onHttp((_req, res) => res.writeHead(200).end(replyBody('getcolonymsg', COLONY)));
    const fresh = await startLoopbackServer();
    fresh.onHttp((_req, res) => res.writeHead(200).end(replyBody('getcolonymsg', COLONY)));
    const c = createColoniesClient({ url: fresh.url, privateKey: key, colonyName: 'dev' });
    for (let i = 0; i < 20; i++) await c.getColony();
    expect(fresh.requests).toHaveLength(20);
    expect(fresh.connections).toBe(1);
    await fresh.close();
  });

  it('uses node:http, not the global fetch, when given no fetch (lighter to load and per request)', async () => {
    server.onHttp((_req, res) => res.writeHead(200).end(replyBody('getcolonymsg', COLONY)));
    const spy = vi.spyOn(globalThis, 'fetch');
    await expect(client().getColony()).resolves.toMatchObject({ name: 'dev' });
    expect(spy).not.toHaveBeenCalled();
    expect(server.requests).toHaveLength(1);
  });

  it('uses an injected fetch', async () => {
    const seen: string[] = [];
    const c = createColoniesClient({
      url: 'http://colonies.invalid:50080',
      privateKey: key,
      colonyName: 'dev',
      fetch: async (url, init) => {
        seen.push(`${init.method} ${url}`);
        return { status: 200, statusText: 'OK', text: async () => replyBody('getcolonymsg', COLONY) };
      },
    });
    await c.getColony();
    expect(seen).toEqual(['POST http://colonies.invalid:50080/api']);
  });

  it('health: GET /health', async () => {
    server.onHttp((req, res) => res.writeHead(req.path === '/health' ? 200 : 404).end());
    await expect(client().health()).resolves.toBeUndefined();
    await expect(client().isHealthy()).resolves.toBe(true);
    server.onHttp((_req, res) => res.writeHead(503).end('down'));
    await expect(client({ retry: false }).isHealthy()).resolves.toBe(false);
  });
});

describe('with the node:http keep-alive adapter (createNodeFetch)', () => {
  const nodeClient = (options: Partial<ColoniesClientOptions> = {}) => client({ fetch: createNodeFetch(), ...options });

  it('retries reads after drops and 502s, never resends a write', async () => {
    failFirst(2, drop);
    await expect(nodeClient().getColony()).resolves.toMatchObject({ name: 'dev' });
    expect(server.requests).toHaveLength(3);
    server.requests.length = 0;
    failFirst(100, badGateway);
    await expect(nodeClient().addLog('p'.repeat(64), 'x')).rejects.toMatchObject({ status: 502, envelope: false });
    expect(server.requests).toHaveLength(1);
    server.requests.length = 0;
    failFirst(100, drop);
    const error = await nodeClient().closeSuccessful('p'.repeat(64)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'COLONIES_NETWORK_ERROR', mayHaveBeenSent: true });
    expect(server.requests).toHaveLength(1);
  });

  it('times out and aborts', async () => {
    server.onHttp(() => undefined);
    await expect(nodeClient({ timeoutMs: 200, retry: false }).getColony()).rejects.toBeInstanceOf(ColoniesTimeoutError);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(nodeClient().getColony({ signal: controller.signal })).rejects.toBeInstanceOf(ColoniesAbortError);
  });

  it('reuses one connection for sequential calls', async () => {
    const fresh = await startLoopbackServer();
    fresh.onHttp((_req, res) => res.writeHead(200).end(replyBody('getcolonymsg', COLONY)));
    const c = createColoniesClient({ url: fresh.url, privateKey: key, colonyName: 'dev', fetch: createNodeFetch() });
    for (let i = 0; i < 20; i++) await c.getColony();
    expect(fresh.connections).toBe(1);
    await fresh.close();
  });

  it('keeps a socket for a slow answer, and closes it after 4 s idle (as undici does)', { timeout: 20_000 }, async () => {
    const fresh = await startLoopbackServer();
    let delayMs = 4_500;
    fresh.onHttp((_req, res) => setTimeout(() => res.writeHead(200).end(replyBody('getcolonymsg', COLONY)), delayMs));
    const c = createColoniesClient({ url: fresh.url, privateKey: key, colonyName: 'dev', fetch: createNodeFetch(), timeoutMs: 10_000, retry: false });
    // Busy longer than the idle timeout (a long-poll): not cut.
    await expect(c.getColony()).resolves.toMatchObject({ name: 'dev' });
    delayMs = 0;
    await c.getColony();
    expect(fresh.connections).toBe(1);
    // Idle longer than it: the next call needs a new connection.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    await c.getColony();
    expect(fresh.connections).toBe(2);
    await fresh.close();
  });

  it('a connection that never comes up fails as never sent (as undici\'s connect timeout), and a write is retried', async () => {
    // A TCP server that accepts and never answers: the TLS handshake never ends.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const c = createColoniesClient({
      url: `https://127.0.0.1:${port}`,
      privateKey: key,
      colonyName: 'dev',
      fetch: createNodeFetch({ connectTimeoutMs: 100 }),
      retry: { retries: 1, minDelayMs: 5, maxDelayMs: 5 },
    });
    await expect(c.submit({ funcname: 'execute', conditions: { executortype: 't' } })).rejects.toMatchObject({
      code: 'COLONIES_NETWORK_ERROR',
      mayHaveBeenSent: false,
      message: expect.stringMatching(/UND_ERR_CONNECT_TIMEOUT/),
    });
    expect(sockets).toHaveLength(2);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('connection refused: typed, never sent', async () => {
    const dead = await startLoopbackServer();
    await dead.close();
    const c = createColoniesClient({ url: dead.url, privateKey: key, colonyName: 'dev', fetch: createNodeFetch(), retry: false });
    await expect(c.submit({ funcname: 'execute', conditions: { executortype: 't' } })).rejects.toMatchObject({
      code: 'COLONIES_NETWORK_ERROR',
      mayHaveBeenSent: false,
    });
  });
});
