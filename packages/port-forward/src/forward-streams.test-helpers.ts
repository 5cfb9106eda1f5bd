// Real loopback servers and clients for the streams tests: an HTTP server
// that serves and hashes bytes, a raw TCP helper, and a forward (listener +
// relay) over an in-memory link.
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ForwardEvent, RelayEvent } from './forward-events';
import { createForwardListener, type ForwardListener } from './forward-listener';
import { serveForwardRelay, type ForwardRelay, type ForwardRelayOptions } from './forward-relay';
import { createMemoryLinkPair, type MemoryLinkOptions } from './memory-link';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic-size random content, addressed as `/bytes/<size>/<seed>` so 20 downloads differ. */
const contents = new Map<string, Buffer>();
export function contentFor(size: number, seed: number): Buffer {
  const key = `${size}/${seed}`;
  let content = contents.get(key);
  if (content === undefined) {
    content = randomBytes(size);
    contents.set(key, content);
  }
  return content;
}

export interface TestHttpServer {
  port: number;
  /** Server-side sockets, to look at backpressure. */
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** GET /bytes/<size>/<seed> → those bytes; POST /hash → `<length> <sha256>` of the body. */
export async function startHttpServer(): Promise<TestHttpServer> {
  const sockets = new Set<Socket>();
  const server: HttpServer = createHttpServer((incoming, reply) => {
    const match = /^\/bytes\/(\d+)\/(\d+)$/.exec(incoming.url ?? '');
    if (incoming.method === 'GET' && match !== null) {
      const body = contentFor(Number(match[1]), Number(match[2]));
      reply.writeHead(200, { 'content-length': body.length });
      reply.end(body);
      return;
    }
    if (incoming.method === 'POST' && incoming.url === '/hash') {
      const hash = createHash('sha256');
      let length = 0;
      incoming.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
      });
      incoming.on('end', () => reply.end(`${length} ${hash.digest('hex')}`));
      return;
    }
    reply.writeHead(404).end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    sockets,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function listenOnLoopback(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A TCP server that answers each connection after the client's half-close: `got <n> bytes <sha256>`, then ends. */
export async function startHalfCloseServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const hash = createHash('sha256');
    let length = 0;
    socket.on('data', (chunk) => {
      hash.update(chunk);
      length += chunk.length;
    });
    socket.on('end', () => socket.end(`got ${length} bytes ${hash.digest('hex')}`));
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** GET over a fresh connection to 127.0.0.1:port; resolves with the body. */
export function httpGet(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve(Buffer.concat(chunks)));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

export function httpPost(port: number, path: string, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-length': body.length } }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Connects to 127.0.0.1:port and resolves once connected. */
export function connectLocal(port: number, allowHalfOpen = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves once the socket is closed (by either side). */
export function socketClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.on('error', () => undefined);
    socket.once('close', () => resolve());
  });
}

/** Everything the socket sends until its end. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

export interface MemoryForward {
  listener: ForwardListener;
  relay: ForwardRelay;
  forwardEvents: ForwardEvent[];
  relayEvents: RelayEvent[];
  /** Resolves with the first event of `type` (already seen or to come). */
  nextForwardEvent<T extends ForwardEvent['type']>(type: T, predicate?: (event: Extract<ForwardEvent, { type: T }>) => boolean): Promise<Extract<ForwardEvent, { type: T }>>;
  close(): Promise<void>;
}

/** A listener and a relay joined by a memory link: the whole streams layer without a colony. */
export async function startMemoryForward(options: {
  remotePort: number;
  relay?: Partial<Omit<ForwardRelayOptions, 'link'>>;
  maxStreams?: number;
  link?: MemoryLinkOptions;
  /** The listener's largest write (the relay's comes with `relay`). */
  maxWriteBytes?: number;
}): Promise<MemoryForward> {
  const [clientLink, executorLink] = createMemoryLinkPair(options.link);
  const forwardEvents: ForwardEvent[] = [];
  const relayEvents: RelayEvent[] = [];
  const waiters: Array<() => void> = [];
  const relay = serveForwardRelay({
    link: executorLink,
    allowedPorts: [options.remotePort],
    address: async () => '127.0.0.1',
    onEvent: (event) => relayEvents.push(event),
    ...options.relay,
  });
  const listener = await createForwardListener({
    link: clientLink,
    remotePort: options.remotePort,
    localPort: 0,
    ...(options.maxStreams === undefined ? {} : { maxStreams: options.maxStreams }),
    ...(options.maxWriteBytes === undefined ? {} : { maxWriteBytes: options.maxWriteBytes }),
    onEvent: (event) => {
      forwardEvents.push(event);
      for (const waiter of waiters.splice(0)) waiter();
    },
  });
  return {
    listener,
    relay,
    forwardEvents,
    relayEvents,
    async nextForwardEvent(type, predicate) {
      for (;;) {
        const found = forwardEvents.find((event) => event.type === type && (predicate === undefined || predicate(event as never)));
        if (found !== undefined) return found as never;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async close() {
      await listener.close();
      await relay.close();
    },
  };
}
