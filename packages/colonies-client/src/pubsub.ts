// `/pubsub` WebSocket subscriptions (colonies-protocol.md §3.7).
//
// The server knows one target state per subscription (several subscribe frames
// may share a socket), needs a positive `timeout`, pushes the current state at
// once when the process is already in it, and drops the TCP connection without
// a close frame when the timeout expires. Error frames do not close the socket.
import WebSocket from 'ws';
import { decodePayloadText } from './envelope';
import {
  ColoniesAbortError,
  ColoniesArgumentError,
  ColoniesBadReplyError,
  ColoniesClientError,
  ColoniesError,
  ColoniesNetworkError,
  ColoniesReplyTooLargeError,
  ColoniesTimeoutError,
} from './errors';
import { parseLosslessJson } from './lossless-json';
import { getProcess } from './process-calls';
import { decodeProcess } from './process-decoding';
import type { RpcCore } from './rpc-core';
import { sleep } from './transport';
import { isTerminalProcessState, TERMINAL_PROCESS_STATES, type Process, type ProcessState } from './types';

export interface SubscribeProcessOptions {
  /** Target states: one subscribe frame each. */
  states: readonly ProcessState[];
  /** Sent as is; current servers fill it from the process when empty, ≤1.8 required it. */
  executorType?: string;
  colonyName?: string;
  /** Subscription lifetime in seconds (> 0; default 60). The server drops the socket after it. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** Time allowed to open the socket, ms (default 10 000). */
  connectTimeoutMs?: number;
}

export interface SubscribeProcessesOptions {
  executorType: string;
  state: ProcessState;
  colonyName?: string;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  connectTimeoutMs?: number;
}

export interface WatchProcessOptions {
  /** States to report (default: all). Repeated signals of the same state are reported once. */
  states?: readonly ProcessState[];
  signal?: AbortSignal;
  /** Lifetime of each subscription before resubscribing, seconds (default 60). */
  timeoutSeconds?: number;
  /** `auto` (default): WebSocket, falling back to polling when it cannot connect. */
  mode?: 'auto' | 'websocket' | 'polling';
  /** Polling period in ms when polling (default 1000). */
  pollIntervalMs?: number;
  /** Consecutive failed WebSocket connects before `auto` falls back to polling (default 2). */
  maxWebSocketFailures?: number;
}

export interface WaitForProcessOptions extends Omit<WatchProcessOptions, 'states'> {
  /** Overall limit in ms; rejects with a `ColoniesTimeoutError`. */
  timeoutMs?: number;
}

const ALL_STATES: readonly ProcessState[] = [0, 1, 2, 3, 4];

/** A push/pull queue turned into an async iterator. */
class Channel<T> {
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

interface SocketSubscription {
  msgtype: 'subscribeprocessmsg' | 'subscribeprocessesmsg';
  frames: Record<string, unknown>[];
  timeoutSeconds: number;
  signal?: AbortSignal;
  connectTimeoutMs: number;
}

function checkTimeout(timeoutSeconds: number): void {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new ColoniesArgumentError('subscriptions need a positive integer timeoutSeconds (the server closes at once on 0)');
  }
}

function openSubscription(core: RpcCore, sub: SocketSubscription): AsyncIterableIterator<Process> {
  const channel = new Channel<Process>();
  const what = sub.msgtype;
  const { signal } = sub;
  let ws: WebSocket | undefined;
  let opened = false;
  let guard: NodeJS.Timeout | undefined;

  const cleanup = () => {
    if (guard) clearTimeout(guard);
    signal?.removeEventListener('abort', onAbort);
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
  };
  const finish = (error?: Error) => {
    cleanup();
    channel.end(error);
  };
  const onAbort = () => finish(new ColoniesAbortError(what, signal?.reason));

  if (signal?.aborted) {
    channel.end(new ColoniesAbortError(what, signal.reason));
  } else {
    // Sign first: a missing key is an argument error, not a network one.
    let envelopes: string[];
    try {
      envelopes = sub.frames.map((f) => JSON.stringify(core.signEnvelope(sub.msgtype, f)));
    } catch (error) {
      envelopes = [];
      channel.end(error as Error);
    }
    if (envelopes.length > 0) {
      signal?.addEventListener('abort', onAbort, { once: true });
      ws = new WebSocket(core.pubsubUrl, {
        handshakeTimeout: sub.connectTimeoutMs,
        perMessageDeflate: false,
        rejectUnauthorized: !core.skipTlsVerify,
        maxPayload: core.maxReplyBytes,
      });
      ws.on('open', () => {
        opened = true;
        for (const e of envelopes) ws!.send(e);
        // The server drops the socket at the timeout; do it ourselves a little later if it does not.
        guard = setTimeout(() => finish(), sub.timeoutSeconds * 1000 + 5000);
      });
      ws.on('message', (data: WebSocket.RawData) => {
        const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
        try {
          const envelope = JSON.parse(text) as { payloadtype?: unknown; payload?: unknown; error?: unknown };
          if (typeof envelope.payload !== 'string') throw new Error('no payload');
          const payloadText = decodePayloadText(envelope.payload);
          if (envelope.error === true) {
            const payload = parseLosslessJson(payloadText);
            const failure = (payload ?? {}) as { status?: unknown; message?: unknown };
            finish(
              new ColoniesError({
                status: typeof failure.status === 'number' ? failure.status : 500,
                httpStatus: 101,
                serverMessage: typeof failure.message === 'string' ? failure.message : '',
                payloadtype: what,
                envelope: true,
                retryable: false,
              }),
            );
            return;
          }
          channel.push(decodeProcess(what, payloadText));
        } catch (error) {
          finish(ColoniesClientError.isInstance(error) ? error : new ColoniesBadReplyError(what, 101, 'unreadable event frame', error));
        }
      });
      ws.on('error', (error: Error & { code?: unknown }) => {
        // A frame over maxPayload: ws closes the socket (1009); say why instead of ending quietly.
        if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') finish(new ColoniesReplyTooLargeError(what, core.maxReplyBytes));
        // Before 'open': the WebSocket could not be established (blocked, refused, no upgrade).
        else if (!opened) finish(new ColoniesNetworkError(what, `WebSocket ${core.pubsubUrl}: ${error.message}`, false, error));
        else finish();
      });
      ws.on('close', () => {
        if (!opened) finish(new ColoniesNetworkError(what, `WebSocket ${core.pubsubUrl} closed before opening`, false));
        else finish();
      });
    }
  }

  const iterator: AsyncIterableIterator<Process> = {
    next: () => channel.next(),
    return: async () => {
      finish();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

export function subscribeProcess(
  core: RpcCore,
  processId: string,
  options: SubscribeProcessOptions,
): AsyncIterableIterator<Process> {
  const timeoutSeconds = options.timeoutSeconds ?? 60;
  checkTimeout(timeoutSeconds);
  if (options.states.length === 0) throw new ColoniesArgumentError('subscribeProcess: give at least one state');
  const colonyname = core.colony(options.colonyName);
  return openSubscription(core, {
    msgtype: 'subscribeprocessmsg',
    frames: [...new Set(options.states)].map((state) => ({
      colonyname,
      processid: processId,
      executortype: options.executorType ?? '',
      state,
      timeout: timeoutSeconds,
    })),
    timeoutSeconds,
    signal: options.signal,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
  });
}

export function subscribeProcesses(core: RpcCore, options: SubscribeProcessesOptions): AsyncIterableIterator<Process> {
  const timeoutSeconds = options.timeoutSeconds ?? 60;
  checkTimeout(timeoutSeconds);
  return openSubscription(core, {
    msgtype: 'subscribeprocessesmsg',
    frames: [
      { colonyname: core.colony(options.colonyName), executortype: options.executorType, state: options.state, timeout: timeoutSeconds },
    ],
    timeoutSeconds,
    signal: options.signal,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
  });
}

export async function* watchProcess(
  core: RpcCore,
  processId: string,
  options: WatchProcessOptions = {},
): AsyncGenerator<Process, void, undefined> {
  const { signal } = options;
  const want = new Set<number>(options.states ?? ALL_STATES);
  const timeoutSeconds = options.timeoutSeconds ?? 60;
  checkTimeout(timeoutSeconds);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const maxFailures = options.maxWebSocketFailures ?? 2;
  let mode = options.mode ?? 'auto';
  let last: number | undefined;
  let failures = 0;

  // Subscribe to the wanted states and always to the terminal ones (to know when to stop).
  const subscribed = [...new Set<ProcessState>([...(options.states ?? ALL_STATES), ...TERMINAL_PROCESS_STATES])];

  let process = await getProcess(core, processId, { signal });
  const colonyName = process.spec.conditions.colonyname;
  const executorType = process.spec.conditions.executortype;

  for (;;) {
    if (process.state !== last) {
      last = process.state;
      if (want.has(process.state)) yield process;
    }
    if (isTerminalProcessState(process.state)) return;

    if (mode === 'polling') {
      await sleep(pollIntervalMs, signal, 'watchProcess');
      process = await getProcess(core, processId, { signal });
      continue;
    }

    try {
      for await (const event of subscribeProcess(core, processId, {
        states: subscribed,
        executorType,
        colonyName,
        timeoutSeconds,
        signal,
      })) {
        failures = 0;
        if (event.processid !== processId) continue;
        if (event.state !== last) {
          last = event.state;
          if (want.has(event.state)) yield event;
        }
        if (isTerminalProcessState(event.state)) return;
      }
      failures = 0;
    } catch (error) {
      if (!ColoniesNetworkError.isInstance(error)) throw error; // abort, server error frame, bad frame
      failures++;
      if (mode === 'auto' && failures >= maxFailures) mode = 'polling';
      else await sleep(Math.min(5000, 250 * 2 ** failures), signal, 'watchProcess');
    }
    // The socket ended (subscription timeout or failure): resynchronise, changes may have been missed.
    process = await getProcess(core, processId, { signal });
  }
}

export async function waitForProcess(
  core: RpcCore,
  processId: string,
  states: readonly ProcessState[] = TERMINAL_PROCESS_STATES,
  options: WaitForProcessOptions = {},
): Promise<Process> {
  const { timeoutMs, ...watch } = options;
  const controller = new AbortController();
  const outer = options.signal;
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs);
  try {
    if (outer?.aborted) throw new ColoniesAbortError('waitForProcess', outer.reason);
    let last: Process | undefined;
    for await (const p of watchProcess(core, processId, { ...watch, states: ALL_STATES, signal: controller.signal })) {
      last = p;
      if (states.includes(p.state) || isTerminalProcessState(p.state)) return p;
    }
    if (last) return last;
    return await getProcess(core, processId, { signal: outer });
  } catch (error) {
    if (timedOut) throw new ColoniesTimeoutError('waitForProcess', timeoutMs ?? 0);
    throw error;
  } finally {
    if (timer) clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

