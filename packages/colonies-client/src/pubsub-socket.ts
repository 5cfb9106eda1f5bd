// One `/pubsub` WebSocket: open it, send signed subscribe frames, hand every
// server frame over decoded (an error frame as a `ColoniesError`), and say
// how it ended. Process subscriptions (pubsub.ts) and channel subscriptions
// (channel-subscription.ts) differ only in what a frame means and when they
// are done, so both build on this.
import { createRequire } from 'node:module';
import type WebSocket from 'ws';
import { decodePayloadText } from './envelope';
import { ColoniesBadReplyError, ColoniesError, ColoniesNetworkError, ColoniesReplyTooLargeError } from './errors';
import { parseLosslessJson } from './lossless-json';
import type { RpcCore } from './rpc-core';

/** A push/pull queue turned into an async iterator. */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private done = false;
  private error: Error | undefined;

  push(item: T): void {
    if (this.done) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
    } else this.items.push(item);
  }

  end(error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    if (this.waiter && this.items.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      if (error !== undefined) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.done) {
      if (this.error !== undefined) {
        const e = this.error;
        this.error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }
}

export interface PubsubSocketHandlers {
  /** Sent once the socket is open (after the subscribe frames). */
  opened(): void;
  /** A non-error frame's payload, decoded to JSON text. */
  frame(payloadText: string): void;
  /** An error frame (the server keeps the socket open after it). */
  errorFrame(error: ColoniesError): void;
  /** The socket is gone: `error` when it could not open, a frame was too large or unreadable; else dropped after opening. */
  closed(error?: Error): void;
}

/**
 * `ws`, loaded on the first subscription rather than at import: it costs a
 * one-request command (`pollinator status`) tens of milliseconds of start-up
 * and only subscriptions use it. A CommonJS package, so `require` loads it
 * synchronously and the socket is still returned at once.
 */
let webSocketClass: typeof WebSocket | undefined;
function loadWebSocket(): typeof WebSocket {
  webSocketClass ??= createRequire(import.meta.url)('ws') as typeof WebSocket;
  return webSocketClass;
}

/** Signs the frames first (a missing key is an argument error, not a network one), then opens the socket. */
export function openPubsubSocket(
  core: RpcCore,
  what: string,
  frames: ReadonlyArray<{ msgtype: string; fields: Record<string, unknown> }>,
  connectTimeoutMs: number,
  handlers: PubsubSocketHandlers,
): WebSocket {
  const envelopes = frames.map((f) => JSON.stringify(core.signEnvelope(f.msgtype, f.fields)));
  let opened = false;
  let closed = false;
  const close = (error?: Error) => {
    if (closed) return;
    closed = true;
    if (ws.readyState !== ws.CLOSED) ws.terminate();
    handlers.closed(error);
  };
  const ws = new (loadWebSocket())(core.pubsubUrl, {
    handshakeTimeout: connectTimeoutMs,
    perMessageDeflate: false,
    rejectUnauthorized: !core.skipTlsVerify,
    maxPayload: core.maxReplyBytes,
  });
  ws.on('open', () => {
    opened = true;
    for (const e of envelopes) ws.send(e);
    handlers.opened();
  });
  ws.on('message', (data: WebSocket.RawData) => {
    if (closed) return;
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
    let payloadText: string;
    let failure: ColoniesError | undefined;
    try {
      const envelope = JSON.parse(text) as { payload?: unknown; error?: unknown };
      if (typeof envelope.payload !== 'string') throw new Error('no payload');
      payloadText = decodePayloadText(envelope.payload);
      if (envelope.error === true) failure = errorFrame(what, payloadText);
    } catch (error) {
      close(new ColoniesBadReplyError(what, 101, 'unreadable event frame', error));
      return;
    }
    if (failure !== undefined) handlers.errorFrame(failure);
    else handlers.frame(payloadText);
  });
  ws.on('error', (error: Error & { code?: unknown }) => {
    // A frame over maxPayload: ws closes the socket (1009); say why instead of ending quietly.
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') close(new ColoniesReplyTooLargeError(what, core.maxReplyBytes));
    // Before 'open': the WebSocket could not be established (blocked, refused, no upgrade).
    else if (!opened) close(new ColoniesNetworkError(what, `WebSocket ${core.pubsubUrl}: ${error.message}`, false, error));
    else close();
  });
  ws.on('close', () => {
    if (!opened) close(new ColoniesNetworkError(what, `WebSocket ${core.pubsubUrl} closed before opening`, false));
    else close();
  });
  return ws;
}

function errorFrame(what: string, payloadText: string): ColoniesError {
  const failure = (parseLosslessJson(payloadText) ?? {}) as { status?: unknown; message?: unknown };
  return new ColoniesError({
    status: typeof failure.status === 'number' ? failure.status : 500,
    httpStatus: 101,
    serverMessage: typeof failure.message === 'string' ? failure.message : '',
    payloadtype: what,
    envelope: true,
    retryable: false,
  });
}
