/**
 * One container's log, followed over as many connections as it takes.
 *
 * Phases: `idle` (not open; may be opened at `retryAt`), `opening`, `open`,
 * `eof` (the connection ended; whether the container did is decided at the
 * next rescan), `done` (nothing more will be read). `emitted` counts the
 * bytes of the container's output already emitted; a new connection skips
 * that many, which is exact because a container's log only grows.
 */
import type { IncomingMessage } from 'node:http';
import { framePlain, framePrefixed, type LogFrame } from './log-framing';
import { statusCode } from './kubernetes-client';

export type StreamPhase = 'idle' | 'opening' | 'open' | 'eof' | 'done';

/** What a stream needs from the follower that owns it. */
export interface StreamOwner {
  open(pod: string, container: string, signal: AbortSignal): Promise<IncomingMessage>;
  /** Called with each frame of text, after `emitted` has counted its bytes. */
  emit(stream: ContainerLogStream, text: string): void;
  /** Something happened; `rescan`: the follower must look at the pods again. */
  changed(rescan: boolean): void;
  /** Aborted when the follower stops: every connection closes. */
  readonly signal: AbortSignal;
  readonly retryDelayMs: number;
  /** Several streams: whole prefixed lines (see `log-framing.ts`). */
  readonly prefixed: boolean;
}

export class ContainerLogStream {
  readonly key: string;
  phase: StreamPhase = 'idle';
  /** The container has started at some point (its log exists). */
  started = false;
  retryAt = 0;
  /** Bytes of the container's output already emitted (the cursor). */
  #emitted: number;
  /** Bytes received beyond `emitted`, not yet emitted. */
  #held: Buffer = Buffer.alloc(0);
  /** Bytes still to skip on the current connection (already emitted before). */
  #skip = 0;
  #controller: AbortController | undefined;
  #response: IncomingMessage | undefined;

  constructor(
    readonly pod: string,
    readonly container: string,
    emitted: number,
    private readonly owner: StreamOwner,
  ) {
    this.key = `${pod}/${container}`;
    this.#emitted = emitted;
  }

  get emitted(): number {
    return this.#emitted;
  }

  /** Still has output to deliver: reading, about to, or not yet known to be over. */
  busy(present: boolean): boolean {
    if (this.phase === 'open' || this.phase === 'opening' || this.phase === 'eof') return true;
    return this.phase === 'idle' && this.started && present;
  }

  /**
   * Takes in the container's state from a rescan: a connection that ended
   * while the container runs is retried, one that ended with it is done; an
   * idle stream of a started container opens once its retry time has come.
   */
  observe(started: boolean, terminated: boolean, now: number): void {
    this.started ||= started;
    if (this.phase === 'eof') {
      if (terminated) this.finish();
      else this.#retryLater(now + this.owner.retryDelayMs);
    }
    if (this.phase === 'idle' && started && now >= this.retryAt) this.#open();
  }

  /** Nothing more will be read: emits what is held back (a partial last line too). */
  finish(): void {
    if (this.phase === 'done') return;
    this.#controller?.abort();
    this.#drain(true);
    this.phase = 'done';
  }

  destroy(): void {
    this.#response?.destroy();
  }

  #retryLater(at: number): void {
    this.phase = 'idle';
    this.retryAt = at;
  }

  #open(): void {
    this.phase = 'opening';
    this.#held = Buffer.alloc(0);
    this.#skip = this.#emitted;
    const controller = new AbortController();
    this.#controller = controller;
    const abortConnection = (): void => controller.abort();
    this.owner.signal.addEventListener('abort', abortConnection, { once: true });
    const release = (): void => this.owner.signal.removeEventListener('abort', abortConnection);
    this.owner.open(this.pod, this.container, controller.signal).then(
      (response) => this.#opened(response, release),
      (error: unknown) => this.#openFailed(error, release),
    );
  }

  #opened(response: IncomingMessage, release: () => void): void {
    if (this.phase !== 'opening') {
      release();
      response.destroy();
      return;
    }
    this.phase = 'open';
    this.#response = response;
    response.on('data', (chunk: Buffer) => this.#received(chunk));
    const ended = (): void => {
      release();
      if (this.phase === 'open') this.phase = 'eof';
      this.owner.changed(true);
    };
    response.on('end', ended);
    response.on('error', ended);
    response.on('close', ended);
  }

  #openFailed(error: unknown, release: () => void): void {
    release();
    if (this.phase !== 'opening') return;
    const code = statusCode(error);
    // 404: the pod is gone, nothing more can be read.
    if (code === 404) this.finish();
    else this.#retryLater(Date.now() + (code === 400 ? this.owner.retryDelayMs : this.owner.retryDelayMs * 2));
    this.owner.changed(true);
  }

  #received(chunk: Buffer): void {
    if (this.phase !== 'open') return;
    let data = chunk;
    if (this.#skip > 0) {
      const skipped = Math.min(this.#skip, data.length);
      this.#skip -= skipped;
      data = data.subarray(skipped);
    }
    if (data.length === 0) return;
    this.#held = this.#held.length ? Buffer.concat([this.#held, data]) : data;
    this.#drain(false);
    this.owner.changed(false);
  }

  #drain(final: boolean): void {
    if (this.#held.length === 0) return;
    const frame: LogFrame | undefined = this.owner.prefixed
      ? framePrefixed(this.#held, `[pod/${this.pod}/${this.container}] `, final)
      : framePlain(this.#held, final);
    if (!frame) return;
    this.#held = this.#held.subarray(frame.bytes);
    this.#emitted += frame.bytes;
    this.owner.emit(this, frame.text);
  }
}
