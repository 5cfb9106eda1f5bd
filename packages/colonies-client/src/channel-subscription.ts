// `subscribechannelmsg` on `/pubsub` (Colonies v1.9+), as recorded from a
// real v1.9.12 server (conformance rpc/12-channels.json):
// - `afterseq` is a 0-based index into the channel's log (not a sequence);
// - one frame with every entry already there from that index on (only when
//   there are some), then one frame per live append (a one-element array);
// - `[]` when `timeout` seconds have passed (the socket stays open);
// - error frames (403, 404, …) keep the socket open;
// - when the process closes, the subscription ends without any frame.
// One subscription per socket here: the server serves a channel subscription
// inside its read loop, so a second frame would wait for the first to end.
import type WebSocket from 'ws';
import { toChannelEntry, type ChannelEntry } from './channel-calls';
import { ColoniesAbortError, ColoniesArgumentError, ColoniesBadReplyError, ColoniesClientError } from './errors';
import { parseLosslessJson } from './lossless-json';
import { EventQueue, openPubsubSocket } from './pubsub-socket';
import type { RpcCore } from './rpc-core';

const MSGTYPE = 'subscribechannelmsg';

export interface SubscribeChannelOptions {
  processId: string;
  /** A channel the spec declared. */
  name: string;
  /** 0-based index into the channel's log: entries from this one on (the server's `afterseq`). Default 0. */
  fromIndex?: number;
  /** Seconds until the server sends `[]` and the subscription ends (a whole number > 0; default 10). */
  timeoutSeconds?: number;
  /**
   * Milliseconds past the timeout without `[]` after which the subscription
   * counts as ended silently: the server says nothing when the process
   * closes (default 3000).
   */
  graceMs?: number;
  signal?: AbortSignal;
  /** Time allowed to open the socket, ms (default 10 000). */
  connectTimeoutMs?: number;
}

/**
 * How a channel subscription ended: `timeout` (the server's `[]`), `silent`
 * (no `[]` by timeout + grace, or the server dropped the socket: the process
 * has probably closed — ask it), `closed` (by us: `return()` or the signal).
 */
export type ChannelSubscriptionEnd = 'timeout' | 'silent' | 'closed';

/** Frames of entries in the server's order; iteration throws a `ColoniesError` on an error frame. */
export interface ChannelSubscription extends AsyncIterableIterator<ChannelEntry[]> {
  /** Set once iteration has ended without an error. */
  readonly endedBy: ChannelSubscriptionEnd | undefined;
}

function checkOptions(options: SubscribeChannelOptions): { fromIndex: number; timeoutSeconds: number } {
  const fromIndex = options.fromIndex ?? 0;
  const timeoutSeconds = options.timeoutSeconds ?? 10;
  if (options.name === '') throw new ColoniesArgumentError('subscribeChannel: name must not be empty (the server answers "Channel not found")');
  if (!Number.isSafeInteger(fromIndex) || fromIndex < 0) {
    throw new ColoniesArgumentError(`subscribeChannel: fromIndex must be a whole number ≥ 0, got ${fromIndex}`);
  }
  // 0 means 30 s to the server and a negative value ends at once: neither is what a caller means.
  if (!Number.isSafeInteger(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new ColoniesArgumentError(`subscribeChannel: timeoutSeconds must be a whole number > 0, got ${timeoutSeconds}`);
  }
  return { fromIndex, timeoutSeconds };
}

function decodeFrame(payloadText: string): ChannelEntry[] {
  const entries = parseLosslessJson(payloadText);
  if (!Array.isArray(entries)) throw new ColoniesBadReplyError(MSGTYPE, 101, 'expected a JSON array of channel entries');
  return entries.map((raw) => toChannelEntry(raw));
}

/** Opens one socket with one `subscribechannelmsg`; see the file comment for what arrives. */
export function subscribeChannel(core: RpcCore, options: SubscribeChannelOptions): ChannelSubscription {
  const { fromIndex, timeoutSeconds } = checkOptions(options);
  const graceMs = options.graceMs ?? 3000;
  const { signal } = options;
  const queue = new EventQueue<ChannelEntry[]>();
  let endedBy: ChannelSubscriptionEnd | undefined;
  let ws: WebSocket | undefined;
  let guard: NodeJS.Timeout | undefined;

  const finish = (how: ChannelSubscriptionEnd | Error) => {
    if (guard) clearTimeout(guard);
    signal?.removeEventListener('abort', onAbort);
    if (ws && ws.readyState !== ws.CLOSED) ws.terminate();
    if (typeof how === 'string') {
      endedBy ??= how;
      queue.end();
    } else queue.end(how);
  };
  const onAbort = () => finish(new ColoniesAbortError(MSGTYPE, signal?.reason));

  if (signal?.aborted) queue.end(new ColoniesAbortError(MSGTYPE, signal.reason));
  else {
    const fields = { processid: options.processId, name: options.name, afterseq: fromIndex, timeout: timeoutSeconds };
    try {
      ws = openPubsubSocket(core, MSGTYPE, [{ msgtype: MSGTYPE, fields }], options.connectTimeoutMs ?? 10_000, {
        opened: () => (guard = setTimeout(() => finish('silent'), timeoutSeconds * 1000 + graceMs)),
        frame: (payloadText) => {
          try {
            const entries = decodeFrame(payloadText);
            if (entries.length === 0) finish('timeout');
            else queue.push(entries);
          } catch (error) {
            finish(ColoniesClientError.isInstance(error) ? error : new ColoniesBadReplyError(MSGTYPE, 101, 'unreadable channel frame', error));
          }
        },
        errorFrame: (error) => finish(error),
        // Dropped after opening (no error): the same to a reader as a silent end.
        closed: (error) => finish(error ?? 'silent'),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    } catch (error) {
      queue.end(error as Error);
    }
  }

  const subscription: ChannelSubscription = {
    get endedBy() {
      return endedBy;
    },
    next: () => queue.next(),
    return: async () => {
      finish('closed');
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return subscription;
    },
  };
  return subscription;
}
