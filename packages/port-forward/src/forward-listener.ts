// The client side of a forward: a TCP listener on 127.0.0.1 (never another
// interface: whoever reaches the port reaches the job) whose every connection
// becomes one stream over the link to the job's `remotePort`.
import { createServer, type Server, type Socket } from 'node:net';
import { ForwardError } from './forward-errors';
import type { ForwardEvent } from './forward-events';
import { DEFAULT_MAX_STREAMS, StreamMux } from './forward-mux';
import { describeLinkEnd } from './link-errors';
import type { ForwardLink, LinkEnd } from './link-types';

export interface ForwardListenerOptions {
  link: ForwardLink;
  remotePort: number;
  /** 0 = any free port (read it from `port`). */
  localPort: number;
  onEvent?: (event: ForwardEvent) => void;
  /** Connections at once (default 64, the relay's default limit); more are closed at once with a 'refused' event. */
  maxStreams?: number;
  /** Per-stream credit window (default 4 MiB; both sides must agree). */
  windowBytes?: number;
  maxWriteBytes?: number;
}

export interface ForwardListener {
  /** The local port (on 127.0.0.1) that reaches the job's port. */
  readonly port: number;
  /** Stops listening, closes every connection and the link; the relay sees `reason`. */
  close(reason?: string): Promise<void>;
  /** Settles once the link ended (closed, process ended, refused, …); never rejects. */
  readonly ended: Promise<LinkEnd>;
}

/** Listens on 127.0.0.1:`localPort`; resolves once listening, rejects when the port cannot be bound. */
export async function createForwardListener(options: ForwardListenerOptions): Promise<ForwardListener> {
  const emit = options.onEvent ?? (() => undefined);
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const mux = new StreamMux({
    link: options.link,
    role: 'client',
    ...(options.windowBytes === undefined ? {} : { windowBytes: options.windowBytes }),
    ...(options.maxWriteBytes === undefined ? {} : { maxWriteBytes: options.maxWriteBytes }),
    onOpened: (stream) => emit({ type: 'connection-opened', streamId: stream.id }),
    onFinished: (stream, outcome) => {
      if (outcome.kind === 'closed') emit({ type: 'connection-closed', streamId: stream.id });
      else if (outcome.by === 'peer' && !stream.opened) emit({ type: 'refused', streamId: stream.id, reason: outcome.reason });
      else emit({ type: 'connection-closed', streamId: stream.id, reason: outcome.reason });
    },
  });
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => accept(socket));
  const ended = mux.ended.then(async (end) => {
    await closeServer(server);
    emit({ type: 'ended', end, message: describeLinkEnd(end) });
    return end;
  });

  function accept(socket: Socket): void {
    if (mux.isEnded) {
      // The link is gone and the server is closing: a connection that slipped in gets nothing to talk to.
      socket.destroy();
      return;
    }
    if (mux.streamCount >= maxStreams) {
      socket.destroy();
      // streamId 0: the connection never became a stream.
      emit({ type: 'refused', streamId: 0, reason: `this forward already carries its limit of ${maxStreams} connections: close some and retry` });
      return;
    }
    const stream = mux.openStream(options.remotePort);
    stream.attach(socket);
    emit({ type: 'connection', streamId: stream.id });
  }

  try {
    await listen(server, options.localPort);
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    await mux.close(`the local port could not be opened: ${cause}`);
    throw new ForwardError(
      'FORWARD_LOCAL_PORT_UNAVAILABLE',
      `cannot listen on 127.0.0.1:${options.localPort} (${cause}): choose another local port (e.g. ${options.localPort === 0 ? 8000 : options.localPort + 1}:${options.remotePort}), or 0 for any free one`,
      { details: { localPort: options.localPort }, cause: error },
    );
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.localPort;
  emit({ type: 'listening', host: '127.0.0.1', port, remotePort: options.remotePort });
  return {
    port,
    ended,
    async close(reason?: string) {
      // Stop accepting first; the server's close completes once the mux has dropped every connection.
      const closing = closeServer(server);
      await mux.close(reason);
      await closing;
      await ended;
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
