// The sending half of a channel link: whole writes coalesced into appends
// (never splitting one write), at most `window` sequences in flight, a
// client-side token bucket, the same sequence retried after "rate limit
// exceeded" (with backoff) and after a transient failure (the reader drops a
// duplicate), and the next channel once one has carried its share.
import { ColoniesClientError, channelRefusal, type ColoniesClient } from '@pollinator/colonies-client';
import { forwardChannelIndex, forwardChannelName, type ForwardDirection } from '@pollinator/spec-builder';
import { ForwardLinkError } from './link-errors';
import type { LinkEnd } from './link-types';
import { delay, type TokenBucket } from './token-bucket';

export interface LinkLayout {
  /** Appends one channel carries before the next (FORWARD_ENTRIES_PER_CHANNEL). */
  entriesPerChannel: number;
  /** Channels per direction (FORWARD_CHANNELS_PER_DIRECTION). */
  channelsPerDirection: number;
}

export interface SenderContext {
  client: ColoniesClient;
  processId: string;
  direction: ForwardDirection;
  layout: LinkLayout;
  maxAppendBytes: number;
  window: number;
  bucket: TokenBucket;
  /** Aborted when the link ends. */
  signal: AbortSignal;
  notice(text: string): void;
  /** Why an append was refused, as the link's end (the link knows the process and the role). */
  refusedEnd(error: unknown, channel: string): Promise<LinkEnd>;
  /** Ends the link (idempotent). */
  end(end: LinkEnd): void;
}

interface QueuedWrite {
  bytes: Uint8Array;
  resolve(): void;
  reject(error: Error): void;
}

const RATE_BACKOFF_FIRST_MS = 50;
const RATE_BACKOFF_MAX_MS = 1000;
/** Transient failures (network, 5xx the client marks retryable) of one append before the link gives up. */
const MAX_TRANSIENT_RETRIES = 5;

export class LinkSender {
  readonly #context: SenderContext;
  readonly #queue: QueuedWrite[] = [];
  readonly #inFlight = new Set<number>();
  readonly #idleWaiters: Array<() => void> = [];
  #queuedBytes = 0;
  #inFlightBytes = 0;
  #nextSequence = 0;
  #pumping = false;
  #stopped: Error | undefined;

  constructor(context: SenderContext) {
    this.#context = context;
  }

  get pendingBytes(): number {
    return this.#queuedBytes + this.#inFlightBytes;
  }

  /** True once the link knows where to start (writes before that wait in the queue). */
  get started(): boolean {
    return this.#nextSequence > 0;
  }

  /** Begins sending from `firstSequence` (known once the link has looked at its channels). */
  start(firstSequence: number): void {
    this.#nextSequence = firstSequence;
    void this.#pump();
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped);
    if (bytes.byteLength > this.#context.maxAppendBytes) {
      return Promise.reject(
        new ForwardLinkError('FORWARD_LINK_WRITE_TOO_LARGE', `a forward write of ${bytes.byteLength} bytes is larger than the link's ${this.#context.maxAppendBytes}-byte messages: write smaller records`),
      );
    }
    if (bytes.byteLength === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#queue.push({ bytes, resolve, reject });
      this.#queuedBytes += bytes.byteLength;
      void this.#pump();
    });
  }

  /** Refuses further writes and rejects the queued ones (in-flight appends finish or fail on their own). */
  stop(error: Error): void {
    this.#stopped ??= error;
    for (const write of this.#queue.splice(0)) write.reject(this.#stopped);
    this.#queuedBytes = 0;
    this.#wakeIdle();
  }

  /** Resolves once nothing is queued or in flight (or the sender stopped). */
  idle(): Promise<void> {
    if ((this.#queue.length === 0 && this.#inFlight.size === 0) || this.#stopped !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Appends a control entry (`end`, `error`) after everything queued, with the
   * next sequence. Resolves false when it could not be appended.
   */
  async sendControl(type: 'end' | 'error', payload?: Uint8Array): Promise<boolean> {
    await this.idle();
    this.stop(new ForwardLinkError('FORWARD_LINK_ENDED', 'the forward link is closing: no more writes'));
    if (this.#nextSequence === 0) return false;
    const sequence = this.#nextSequence++;
    return this.#append(sequence, payload, type);
  }

  #wakeIdle(): void {
    if (this.#queue.length > 0 && this.#stopped === undefined) return;
    if (this.#inFlight.size > 0 && this.#stopped === undefined) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /** Another append may start: within the window, and at once only when nothing is in flight or a full batch waits. */
  #canSend(): boolean {
    if (this.#stopped !== undefined || this.#nextSequence === 0 || this.#queue.length === 0) return false;
    const oldest = Math.min(this.#nextSequence, ...this.#inFlight);
    if (this.#nextSequence - oldest >= this.#context.window) return false;
    return this.#inFlight.size === 0 || this.#queuedBytes >= this.#context.maxAppendBytes;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#canSend()) {
        if (!(await this.#context.bucket.take(this.#context.signal))) return;
        if (!this.#canSend()) continue;
        this.#sendBatch(this.#takeBatch());
      }
    } finally {
      this.#pumping = false;
    }
  }

  #takeBatch(): QueuedWrite[] {
    const batch: QueuedWrite[] = [];
    let bytes = 0;
    while (this.#queue.length > 0 && bytes + this.#queue[0]!.bytes.byteLength <= this.#context.maxAppendBytes) {
      const write = this.#queue.shift()!;
      bytes += write.bytes.byteLength;
      batch.push(write);
    }
    this.#queuedBytes -= bytes;
    return batch;
  }

  #sendBatch(batch: QueuedWrite[]): void {
    const sequence = this.#nextSequence++;
    const payload = batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((write) => write.bytes));
    this.#inFlight.add(sequence);
    this.#inFlightBytes += payload.byteLength;
    void this.#append(sequence, payload, 'data').then((appended) => {
      this.#inFlight.delete(sequence);
      this.#inFlightBytes -= payload.byteLength;
      const failure = this.#stopped ?? new ForwardLinkError('FORWARD_LINK_ENDED', 'the forward link ended before this write was sent');
      for (const write of batch) {
        if (appended) write.resolve();
        else write.reject(failure);
      }
      this.#wakeIdle();
      void this.#pump();
    });
  }

  /** One append, retried as the refusal allows; false (and the link ended) when it cannot be. */
  async #append(sequence: number, payload: Uint8Array | undefined, type: string): Promise<boolean> {
    const { client, processId, direction, layout, signal } = this.#context;
    const index = forwardChannelIndex(sequence, layout.entriesPerChannel);
    const name = forwardChannelName(direction, index);
    if (index >= layout.channelsPerDirection) {
      const total = layout.channelsPerDirection * layout.entriesPerChannel;
      this.#context.end({
        kind: 'limit',
        message: `this forward has used all ${layout.channelsPerDirection} of its channels (${total} messages in one direction); the process cannot carry more forwarded traffic: start the job again to forward more`,
      });
      return false;
    }
    let backoff = RATE_BACKOFF_FIRST_MS;
    let transient = 0;
    for (;;) {
      if (signal.aborted) return false;
      try {
        await client.appendChannel({ processId, name, sequence, ...(payload === undefined ? {} : { payload }), type }, { signal });
        return true;
      } catch (error) {
        if (signal.aborted) return false;
        if (channelRefusal(error) === 'rate-limited') {
          this.#context.notice(`rate limited: waiting ${backoff} ms`);
          if (!(await delay(backoff, signal)) || !(await this.#context.bucket.take(signal))) return false;
          backoff = Math.min(RATE_BACKOFF_MAX_MS, backoff * 2);
          continue;
        }
        if (ColoniesClientError.isInstance(error) && error.retryable && channelRefusal(error) === undefined && transient < MAX_TRANSIENT_RETRIES) {
          transient += 1;
          if (!(await delay(RATE_BACKOFF_FIRST_MS * 2 ** transient, signal))) return false;
          continue;
        }
        this.#context.end(await this.#context.refusedEnd(error, name));
        return false;
      }
    }
  }
}
