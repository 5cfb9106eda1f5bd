/**
 * Log streaming for a Job: one follow stream per pod container, merged in
 * arrival order. With several streams every line is prefixed like
 * `kubectl logs --prefix` (`[pod/<pod>/<container>] `) and only whole lines
 * are emitted (the last partial line is flushed, with a newline, when its
 * container ends); with one stream the bytes pass through as they come (cut
 * only at UTF-8 character boundaries).
 *
 * The cursor records, per stream, how many bytes of the container's output
 * have been emitted. Resuming re-opens each stream and skips that many bytes,
 * which is exact because a container's log only grows. A follow stream that
 * ends while its container still runs (a dropped connection, an API server
 * timeout) is re-opened the same way.
 */
import type { IncomingMessage } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { BackendError, isFinalJobStatus, type JobStatus, type LogChunk, type LogCursor } from '@pollinator/core';
import { BACKEND_NAME, type JobLayout } from './job-manifest';
import { sortPods } from './job-status';
import { statusCode } from './kubernetes-client';

export interface LogSource {
  pods(): Promise<V1Pod[]>;
  status(): Promise<JobStatus>;
  open(pod: string, container: string, signal: AbortSignal): Promise<IncomingMessage>;
  /** Resolves when the job's objects may have changed (or after `timeoutMs`). */
  nextChange(timeoutMs: number, signal: AbortSignal): Promise<void>;
}

export interface FollowOptions {
  /** After the job is final, how long to wait for open streams to end (ms). */
  drainTimeoutMs?: number;
  /** Delay before re-opening a stream that ended early or failed (ms). */
  retryDelayMs?: number;
}

type Offsets = Record<string, number>;

/** Longest partial line held back in prefixed mode before it is emitted anyway. */
export const MAX_LINE_BYTES = 64 * 1024;

export function decodeCursor(cursor: LogCursor): Offsets {
  if (!cursor) return {};
  try {
    const parsed = JSON.parse(cursor) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const offsets: Offsets = {};
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error('bad offset');
        offsets[key] = value;
      }
      return offsets;
    }
  } catch {
    // fall through
  }
  throw new BackendError(BACKEND_NAME, `invalid log cursor ${JSON.stringify(cursor).slice(0, 80)}`);
}

export function encodeCursor(offsets: Offsets): LogCursor {
  const keys = Object.keys(offsets).sort();
  return JSON.stringify(Object.fromEntries(keys.map((key) => [key, offsets[key]])));
}

/** Length of the longest prefix of `buffer` that ends on a UTF-8 character boundary. */
export function completeUtf8Length(buffer: Buffer): number {
  const length = buffer.length;
  // Look back at most 3 bytes for the start of an unfinished multi-byte character.
  for (let back = 1; back <= Math.min(3, length); back += 1) {
    const byte = buffer[length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? length - back : length;
  }
  return length;
}

interface StreamState {
  key: string;
  pod: string;
  container: string;
  /** Bytes of the container's output already emitted (the cursor). */
  emitted: number;
  /** Bytes received beyond `emitted`, not yet emitted. */
  hold: Buffer;
  /** Bytes still to skip on the current connection (already emitted before). */
  skip: number;
  phase: 'idle' | 'opening' | 'open' | 'eof' | 'done';
  /** The container has started at some point (its log exists). */
  started: boolean;
  retryAt: number;
  controller?: AbortController;
  response?: IncomingMessage;
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

export async function* followJobLogs(
  source: LogSource,
  layout: JobLayout,
  from: LogCursor,
  signal?: AbortSignal,
  options: FollowOptions = {},
): AsyncGenerator<LogChunk> {
  const offsets = decodeCursor(from);
  const prefixed = layout.nodes * layout.processesPerNode > 1;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const states = new Map<string, StreamState>();
  const queue: LogChunk[] = [];
  const internal = new AbortController();
  const onAbort = (): void => internal.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let wake: (() => void) | undefined;
  let rescan = true;
  const poke = (needRescan: boolean): void => {
    if (needRescan) rescan = true;
    wake?.();
  };

  const push = (state: StreamState, text: string, bytes: number): void => {
    state.emitted += bytes;
    offsets[state.key] = state.emitted;
    if (text) queue.push({ text, cursor: encodeCursor(offsets) });
  };

  const drain = (state: StreamState, final: boolean): void => {
    if (state.hold.length === 0) return;
    if (prefixed) {
      const prefix = `[pod/${state.pod}/${state.container}] `;
      const lastNewline = state.hold.lastIndexOf(0x0a);
      // A line longer than the cap (a progress bar redrawn with \r) is emitted in pieces.
      const cut = final ? state.hold.length : lastNewline >= 0 ? lastNewline + 1 : state.hold.length >= MAX_LINE_BYTES ? completeUtf8Length(state.hold) : 0;
      if (cut <= 0) return;
      const piece = state.hold.subarray(0, cut);
      state.hold = state.hold.subarray(cut);
      let text = piece.toString('utf8');
      const endsWithNewline = text.endsWith('\n');
      text = text
        .split('\n')
        .slice(0, endsWithNewline ? -1 : undefined)
        .map((line) => `${prefix}${line}\n`)
        .join('');
      push(state, text, piece.length);
    } else {
      const cut = final ? state.hold.length : completeUtf8Length(state.hold);
      if (cut === 0) return;
      const piece = state.hold.subarray(0, cut);
      state.hold = state.hold.subarray(cut);
      push(state, piece.toString('utf8'), piece.length);
    }
  };

  const finish = (state: StreamState): void => {
    if (state.phase === 'done') return;
    state.controller?.abort();
    drain(state, true);
    state.phase = 'done';
  };

  const open = (state: StreamState): void => {
    state.phase = 'opening';
    state.hold = Buffer.alloc(0);
    state.skip = state.emitted;
    const controller = new AbortController();
    state.controller = controller;
    const abortStream = (): void => controller.abort();
    internal.signal.addEventListener('abort', abortStream, { once: true });
    source.open(state.pod, state.container, controller.signal).then(
      (response) => {
        if (state.phase !== 'opening') {
          response.destroy();
          return;
        }
        state.phase = 'open';
        state.response = response;
        response.on('data', (chunk: Buffer) => {
          if (state.phase !== 'open') return;
          let data = chunk;
          if (state.skip > 0) {
            const skipped = Math.min(state.skip, data.length);
            state.skip -= skipped;
            data = data.subarray(skipped);
          }
          if (data.length === 0) return;
          state.hold = state.hold.length ? Buffer.concat([state.hold, data]) : data;
          drain(state, false);
          poke(false);
        });
        const ended = (): void => {
          internal.signal.removeEventListener('abort', abortStream);
          if (state.phase === 'open') state.phase = 'eof';
          poke(true);
        };
        response.on('end', ended);
        response.on('error', ended);
        response.on('close', ended);
      },
      (error: unknown) => {
        internal.signal.removeEventListener('abort', abortStream);
        if (state.phase !== 'opening') return;
        if (statusCode(error) === 404) {
          // The pod is gone: nothing more can be read.
          finish(state);
        } else {
          state.phase = 'idle';
          state.retryAt = Date.now() + (statusCode(error) === 400 ? retryDelayMs : retryDelayMs * 2);
        }
        poke(true);
      },
    );
  };

  let finalSince: number | undefined;
  try {
    while (!internal.signal.aborted) {
      if (rescan) {
        rescan = false;
        const [pods, status] = await Promise.all([source.pods(), source.status()]);
        const now = Date.now();
        const seen = new Set<string>();
        for (const pod of sortPods(pods)) {
          const podName = pod.metadata?.name ?? '';
          const podEnded = TERMINAL_PHASES.has(pod.status?.phase ?? '') || Boolean(pod.metadata?.deletionTimestamp);
          for (const containerStatus of pod.status?.containerStatuses ?? []) {
            const key = `${podName}/${containerStatus.name}`;
            seen.add(key);
            let state = states.get(key);
            if (!state) {
              state = { key, pod: podName, container: containerStatus.name, emitted: offsets[key] ?? 0, hold: Buffer.alloc(0), skip: 0, phase: 'idle', started: false, retryAt: 0 };
              states.set(key, state);
            }
            const started = Boolean(containerStatus.state?.running || containerStatus.state?.terminated || containerStatus.lastState?.terminated);
            state.started ||= started;
            const terminated = Boolean(containerStatus.state?.terminated) || podEnded;
            if (state.phase === 'eof') {
              if (terminated) finish(state);
              else {
                state.phase = 'idle';
                state.retryAt = now + retryDelayMs;
              }
            }
            if (state.phase === 'idle' && started && now >= state.retryAt) open(state);
          }
        }
        // Streams of pods that are gone cannot be read any more.
        for (const state of states.values()) {
          if (!seen.has(state.key) && (state.phase === 'idle' || state.phase === 'eof')) finish(state);
        }
        if (isFinalJobStatus(status)) {
          finalSince ??= now;
          const busy = [...states.values()].filter((state) => state.phase === 'open' || state.phase === 'opening' || state.phase === 'eof' || (state.phase === 'idle' && state.started && seen.has(state.key)));
          if (busy.length === 0 || now - finalSince > drainTimeoutMs) {
            for (const state of states.values()) finish(state);
            while (queue.length) yield queue.shift()!;
            return;
          }
        }
      }
      while (queue.length) yield queue.shift()!;
      if (internal.signal.aborted) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        const nextRetry = Math.min(...[...states.values()].filter((state) => state.phase === 'idle').map((state) => state.retryAt), Date.now() + 1000);
        void source.nextChange(Math.max(20, Math.min(1000, nextRetry - Date.now())), internal.signal).then(() => {
          rescan = true;
          resolve();
        });
      });
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    internal.abort();
    for (const state of states.values()) state.response?.destroy();
  }
}
