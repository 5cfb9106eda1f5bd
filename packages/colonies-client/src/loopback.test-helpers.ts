// A loopback HTTP + WebSocket server whose behaviour each test scripts:
// replay of recorded exchanges, or misbehaviour on purpose (drops, 502, stalls).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ReceivedRequest {
  method: string;
  path: string;
  body: string;
}

export type HttpHandler = (request: ReceivedRequest, res: ServerResponse, raw: IncomingMessage) => unknown;
export type WsHandler = (socket: WebSocket, request: IncomingMessage) => void;

export interface LoopbackServer {
  url: string;
  pubsubUrl: string;
  /** Every HTTP request received, in order. */
  requests: ReceivedRequest[];
  onHttp(handler: HttpHandler): void;
  onWebSocket(handler: WsHandler | undefined): void;
  /** Refuse WebSocket upgrades with this HTTP status (simulates a proxy that blocks them). */
  blockWebSockets(status: number | undefined): void;
  /** Number of TCP connections accepted so far (keep-alive check). */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startLoopbackServer(): Promise<LoopbackServer> {
  let httpHandler: HttpHandler = (_req, res) => {
    res.writeHead(500).end('no handler');
  };
  let wsHandler: WsHandler | undefined;
  let blockStatus: number | undefined;
  let connections = 0;
  const sockets = new Set<Socket>();
  const requests: ReceivedRequest[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method ?? '', path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      Promise.resolve(httpHandler(received, res, req)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(599).end(String(error));
      });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (blockStatus !== undefined || !wsHandler || req.url !== '/pubsub') {
      socket.end(`HTTP/1.1 ${blockStatus ?? 404} Blocked\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const handler = wsHandler;
    wss.handleUpgrade(req, socket, head, (ws) => handler(ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    pubsubUrl: `ws://127.0.0.1:${port}/pubsub`,
    requests,
    onHttp(handler) {
      httpHandler = handler;
    },
    onWebSocket(handler) {
      wsHandler = handler;
    },
    blockWebSockets(status) {
      blockStatus = status;
    },
    get connections() {
      return connections;
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Colonies reply envelope body. */
export function replyBody(payloadtype: string, payloadJson: string): string {
  return JSON.stringify({ payloadtype, payload: Buffer.from(payloadJson).toString('base64'), error: false });
}

/** A Colonies error envelope body. */
export function errorBody(status: number, message: string): string {
  return JSON.stringify({
    payloadtype: 'error',
    payload: Buffer.from(JSON.stringify({ status, message })).toString('base64'),
    error: true,
  });
}

/** Decodes a received request envelope (payload JSON parsed plainly). */
export function decodeRequest(body: string): { payloadtype: string; payload: string; signature: string; json: Record<string, unknown> } {
  const env = JSON.parse(body) as { payloadtype: string; payload: string; signature: string };
  return { ...env, json: JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as Record<string, unknown> };
}
