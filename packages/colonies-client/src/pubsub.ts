// `/pubsub` WebSocket subscriptions (colonies-protocol.md §3.7).
//
// The server knows one target state per subscription (several subscribe frames
// may share a socket), needs a positive `timeout`, pushes the current state at
// once when the process is already in it, and drops the TCP connection without
// a close frame when the timeout expires. Error frames do not close the socket.
import type WebSocket from 'ws';
import {
  ColoniesAbortError,
  ColoniesArgumentError,
  ColoniesBadReplyError,
  ColoniesClientError,
  ColoniesNetworkError,
  ColoniesTimeoutError,
} from './errors';
import { getProcess } from './process-calls';
import { decodeProcess } from './process-decoding';
import { EventQueue, openPubsubSocket } from './pubsub-socket';
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
  const queue = new EventQueue<Process>();
  const what = sub.msgtype;
  const { signal } = sub;
  let ws: WebSocket | undefined;
  let guard: NodeJS.Timeout | undefined;

  const finish = (error?: Error) => {
    if (guard) clearTimeout(guard);
    signal?.removeEventListener('abort', onAbort);
    if (ws && ws.readyState !== ws.CLOSED) ws.terminate();
    queue.end(error);
  };
  const onAbort = () => finish(new ColoniesAbortError(what, signal?.reason));

  if (signal?.aborted) {
    queue.end(new ColoniesAbortError(what, signal.reason));
  } else {
    try {
      ws = openPubsubSocket(core, what, sub.frames.map((fields) => ({ msgtype: what, fields })), sub.connectTimeoutMs, {
        // The server drops the socket at the timeout; do it ourselves a little later if it does not.
        opened: () => (guard = setTimeout(() => finish(), sub.timeoutSeconds * 1000 + 5000)),
        frame: (payloadText) => {
          try {
            queue.push(decodeProcess(what, payloadText));
          } catch (error) {
            finish(ColoniesClientError.isInstance(error) ? error : new ColoniesBadReplyError(what, 101, 'unreadable event frame', error));
          }
        },
        errorFrame: (error) => finish(error),
        closed: (error) => finish(error),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    } catch (error) {
      // Signing failed (no key): an argument error, not a network one.
      queue.end(error as Error);
    }
  }

  const iterator: AsyncIterableIterator<Process> = {
    next: () => queue.next(),
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

