// The executor side of a forward: answers the client's OPENs by connecting to
// the job's port where the job runs (`address()`: the node, the pod, or
// loopback) and relaying bytes. Only the ports the spec allows are ever
// connected; every refusal goes back to the user as a RESET with a reason.
import { connect, type Socket } from 'node:net';
import type { RelayEvent } from './forward-events';
import { DEFAULT_MAX_STREAMS, StreamMux } from './forward-mux';
import { describeLinkEnd } from './link-errors';
import type { ForwardStream } from './forward-stream';
import type { ForwardLink, LinkEnd } from './link-types';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface ForwardRelayOptions {
  link: ForwardLink;
  /** Ports of the job the client may reach (from the spec's POLLINATOR_FORWARD_PORTS). */
  allowedPorts: readonly number[];
  /** Where the job runs, asked at each OPEN (a job may move nodes between runs); undefined = not known yet. */
  address: () => Promise<string | undefined>;
  onEvent?: (event: RelayEvent) => void;
  /** Streams at once (default 64); an OPEN beyond is refused with a RESET. */
  maxStreams?: number;
  connectTimeoutMs?: number;
  windowBytes?: number;
  maxWriteBytes?: number;
}

export interface ForwardRelay {
  /** Closes the link and every connection; the client sees `reason` (e.g. "the job finished"). */
  close(reason?: string): Promise<void>;
  /** Settles once the link ended; never rejects. */
  readonly ended: Promise<LinkEnd>;
}

export function serveForwardRelay(options: ForwardRelayOptions): ForwardRelay {
  const emit = options.onEvent ?? (() => undefined);
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const mux: StreamMux = new StreamMux({
    link: options.link,
    role: 'relay',
    ...(options.windowBytes === undefined ? {} : { windowBytes: options.windowBytes }),
    ...(options.maxWriteBytes === undefined ? {} : { maxWriteBytes: options.maxWriteBytes }),
    onOpen: (stream) => {
      void answerOpen(stream);
    },
    onFinished: (stream, outcome) => {
      // Refusals were reported as 'stream-refused' already.
      if (!stream.opened) return;
      emit(outcome.kind === 'closed' ? { type: 'stream-closed', streamId: stream.id } : { type: 'stream-closed', streamId: stream.id, reason: outcome.reason });
    },
  });
  const ended = mux.ended.then((end) => {
    emit({ type: 'ended', end, message: describeLinkEnd(end) });
    return end;
  });

  function refuse(stream: ForwardStream, reason: string): void {
    emit({ type: 'stream-refused', streamId: stream.id, port: stream.port, reason });
    stream.reset(reason);
  }

  async function answerOpen(stream: ForwardStream): Promise<void> {
    const port = stream.port;
    if (!options.allowedPorts.includes(port)) {
      const allowed = options.allowedPorts.length === 0 ? 'it allows none' : `it allows ${options.allowedPorts.join(', ')}`;
      return refuse(stream, `port ${port} is not forwarded for this process: ${allowed} (add \`tunnel: {port: ${port}}\` to project.yaml and run again)`);
    }
    if (mux.streamCount > maxStreams) {
      return refuse(stream, `the job's side already relays ${maxStreams} connections, its limit: close some and retry`);
    }
    let address: string | undefined;
    try {
      address = await withTimeout(options.address(), connectTimeoutMs, `no answer within ${connectTimeoutMs} ms`);
    } catch (error) {
      return refuse(stream, `the executor could not tell where the job runs: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (address === undefined) return refuse(stream, 'the executor does not know where the job runs (it may still be starting, or its backend names no node for it): retry in a moment');
    if (stream.isDone) return;
    try {
      const socket = await connectWithTimeout(address, port, connectTimeoutMs);
      if (!stream.attach(socket)) return;
      mux.markOpened(stream);
      emit({ type: 'stream-opened', streamId: stream.id, address, port });
    } catch (error) {
      refuse(stream, `nothing answers on port ${port} of the job (${address}): ${error instanceof Error ? error.message : String(error)}; is the job's server started and listening on that port?`);
    }
  }

  return {
    ended,
    async close(reason?: string) {
      await mux.close(reason);
      await ended;
    },
  };
}

/** A TCP connection, or a rejection after `timeoutMs` (a node that drops SYNs would otherwise hang for minutes). */
function connectWithTimeout(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
  });
}

/** `promise`, or a rejection with `message` after `timeoutMs` (a backend that hangs must not hold a connection open forever). */
function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
