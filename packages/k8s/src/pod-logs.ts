/**
 * Log streaming for a Job: one follow stream per pod container
 * (`container-log-stream.ts`), merged in arrival order. With several streams
 * every line is prefixed like `kubectl logs --prefix` (`[pod/<pod>/<container>] `)
 * and only whole lines are emitted (the last partial line is flushed, with a
 * newline, when its container ends); with one stream the bytes pass through
 * as they come (cut only at UTF-8 character boundaries). See `log-framing.ts`.
 *
 * The cursor (`log-cursor.ts`) records, per stream, how many bytes of the
 * container's output have been emitted. Resuming re-opens each stream and
 * skips that many bytes. A follow stream that ends while its container still
 * runs (a dropped connection, an API server timeout) is re-opened the same way.
 *
 * The follower rescans the pods whenever something may have changed, opens
 * and retires streams, and ends once the job is final and its streams have
 * drained (or `drainTimeoutMs` has passed).
 */
import type { IncomingMessage } from 'node:http';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { isFinalJobStatus, type JobStatus, type LogChunk, type LogCursor } from '@pollinator/backend';
import { ContainerLogStream, type StreamOwner } from './container-log-stream';
import { decodeCursor, encodeCursor, type LogOffsets } from './log-cursor';
import type { JobLayout } from './job-manifest';
import { sortPods } from './job-status';

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

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);
/** Bounds of one wait for a change (ms): short enough to retry streams on time. */
const MIN_WAIT_MS = 20;
const MAX_WAIT_MS = 1000;

export async function* followJobLogs(
  source: LogSource,
  layout: JobLayout,
  from: LogCursor,
  signal?: AbortSignal,
  options: FollowOptions = {},
): AsyncGenerator<LogChunk> {
  const follower = new JobLogFollower(source, layout, decodeCursor(from), options);
  const onAbort = (): void => follower.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    while (!follower.signal.aborted) {
      const ended = follower.rescanNeeded ? await follower.rescan() : false;
      yield* follower.queued();
      if (ended || follower.signal.aborted) return;
      await follower.nextChange();
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    follower.close();
  }
}

/** The state of one `followJobLogs` call: its streams and the chunks not yet yielded. */
class JobLogFollower implements StreamOwner {
  readonly prefixed: boolean;
  readonly retryDelayMs: number;
  readonly #drainTimeoutMs: number;
  readonly #stopped = new AbortController();
  readonly #streams = new Map<string, ContainerLogStream>();
  readonly #queue: LogChunk[] = [];
  rescanNeeded = true;
  #wake: (() => void) | undefined;
  /** When the job was first seen final. */
  #finalSince: number | undefined;

  constructor(
    private readonly source: LogSource,
    layout: JobLayout,
    private readonly offsets: LogOffsets,
    options: FollowOptions,
  ) {
    this.prefixed = layout.nodes * layout.processesPerNode > 1;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  }

  get signal(): AbortSignal {
    return this.#stopped.signal;
  }

  stop(): void {
    this.#stopped.abort();
  }

  close(): void {
    this.#stopped.abort();
    for (const stream of this.#streams.values()) stream.destroy();
  }

  open(pod: string, container: string, signal: AbortSignal): Promise<IncomingMessage> {
    return this.source.open(pod, container, signal);
  }

  emit(stream: ContainerLogStream, text: string): void {
    this.offsets[stream.key] = stream.emitted;
    if (text) this.#queue.push({ text, cursor: encodeCursor(this.offsets) });
  }

  changed(rescan: boolean): void {
    if (rescan) this.rescanNeeded = true;
    this.#wake?.();
  }

  /** Chunks emitted so far, including any that arrive while the consumer takes them. */
  *queued(): Generator<LogChunk> {
    while (this.#queue.length) yield this.#queue.shift()!;
  }

  /** Looks at the pods and the job's status again; true when following is over. */
  async rescan(): Promise<boolean> {
    this.rescanNeeded = false;
    const [pods, status] = await Promise.all([this.source.pods(), this.source.status()]);
    const now = Date.now();
    const present = this.#observePods(pods, now);
    // Streams of pods that are gone cannot be read any more.
    for (const stream of this.#streams.values()) {
      if (!present.has(stream.key) && (stream.phase === 'idle' || stream.phase === 'eof')) stream.finish();
    }
    if (!isFinalJobStatus(status)) return false;
    this.#finalSince ??= now;
    const busy = [...this.#streams.values()].some((stream) => stream.busy(present.has(stream.key)));
    if (busy && now - this.#finalSince <= this.#drainTimeoutMs) return false;
    for (const stream of this.#streams.values()) stream.finish();
    return true;
  }

  /** Waits until a stream or the job may have changed, or a stream's retry is due. */
  async nextChange(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      const retries = [...this.#streams.values()].filter((stream) => stream.phase === 'idle').map((stream) => stream.retryAt);
      const nextRetry = Math.min(...retries, Date.now() + MAX_WAIT_MS);
      const timeoutMs = Math.max(MIN_WAIT_MS, Math.min(MAX_WAIT_MS, nextRetry - Date.now()));
      void this.source.nextChange(timeoutMs, this.signal).then(() => {
        this.rescanNeeded = true;
        resolve();
      });
    });
    this.#wake = undefined;
  }

  /** Updates (and opens) the stream of every container; returns the keys present. */
  #observePods(pods: V1Pod[], now: number): Set<string> {
    const present = new Set<string>();
    for (const pod of sortPods(pods)) {
      const podName = pod.metadata?.name ?? '';
      const podEnded = TERMINAL_PHASES.has(pod.status?.phase ?? '') || Boolean(pod.metadata?.deletionTimestamp);
      for (const containerStatus of pod.status?.containerStatuses ?? []) {
        const stream = this.#stream(podName, containerStatus.name);
        present.add(stream.key);
        stream.observe(hasStarted(containerStatus), Boolean(containerStatus.state?.terminated) || podEnded, now);
      }
    }
    return present;
  }

  #stream(pod: string, container: string): ContainerLogStream {
    const key = `${pod}/${container}`;
    let stream = this.#streams.get(key);
    if (!stream) {
      stream = new ContainerLogStream(pod, container, this.offsets[key] ?? 0, this);
      this.#streams.set(key, stream);
    }
    return stream;
  }
}

function hasStarted(containerStatus: V1ContainerStatus): boolean {
  return Boolean(containerStatus.state?.running || containerStatus.state?.terminated || containerStatus.lastState?.terminated);
}
