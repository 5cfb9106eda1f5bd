// The receiving half of a channel link: the peer's direction read by push
// (`subscribechannelmsg`, re-subscribed at every timeout) or, when WebSockets
// fail, by polling `channelreadmsg`; entries from anyone but the peer are
// ignored, the rest ordered by sequence without duplicates, and the next
// channel read once the current one has delivered its whole range.
import { channelRefusal, ColoniesClientError, ColoniesNetworkError, ColoniesReplyTooLargeError, type ChannelEntry, type ColoniesClient } from '@pollinator/colonies-client';
import { forwardChannelIndex, forwardChannelName, type ForwardDirection } from '@pollinator/spec-builder';
import type { LinkLayout } from './link-sender';
import { ReorderLimitError, SequenceReorder, type ReorderLimits } from './sequence-reorder';
import { delay } from './token-bucket';

export interface ReceiverTiming {
  /** Lifetime of one subscription, s (the server then sends `[]` and we subscribe again). */
  subscribeTimeoutSeconds: number;
  /** Past the timeout without `[]`: the subscription ended silently (the process may have closed). */
  silentGraceMs: number;
  /** Polling period when WebSockets fail, ms. */
  pollIntervalMs: number;
}

export interface ReceiverContext {
  client: ColoniesClient;
  processId: string;
  /** The peer's sending direction. */
  direction: ForwardDirection;
  layout: LinkLayout;
  timing: ReceiverTiming;
  peerId: string;
  /** Aborted when the link ends or stops reading. */
  signal: AbortSignal;
  notice(text: string): void;
  deliver(payload: Uint8Array): void;
  /** The peer appended `end` (no reason) or `error` (reason). */
  peerClosed(reason?: string): void;
  /** A subscription ended without its `[]`: ask whether the process is still running. */
  checkProcess(): Promise<void>;
  /** A read or subscription was refused: end the link accordingly. */
  refused(error: unknown, channel: string): Promise<void>;
  /** The peer has filled every channel of its direction: nothing more can come. */
  exhausted(): void;
  /** The peer broke the protocol (e.g. too much held behind a gap): end the link with this plain reason. */
  violated(message: string): void;
  /** How much may wait behind a gap (default: sequence-reorder's limits). */
  reorderLimits?: Partial<ReorderLimits>;
}

/** Where reading starts: the first sequence expected and its channel's log index. */
export interface ReadStart {
  sequence: number;
  index: number;
}

/** Consecutive WebSocket failures before falling back to polling. */
const MAX_SOCKET_FAILURES = 2;
/** Entries one poll asks for: a subscription's first frame holds all the log has, which polling bounds. */
const POLL_LIMIT = 16;
/** Consecutive failed polls (network, 502/503) before the link gives up. */
const MAX_POLL_FAILURES = 8;

/** A failure worth another try: the network, or a server answer the client marks retryable that is no channel refusal. */
function isTransient(error: unknown): boolean {
  return ColoniesNetworkError.isInstance(error) || (ColoniesClientError.isInstance(error) && error.retryable && channelRefusal(error) === undefined);
}

export class LinkReceiver {
  readonly #context: ReceiverContext;
  readonly #reorder: SequenceReorder<ChannelEntry>;
  /** Log index at which each held (early) entry was seen: where to re-read from while a gap lasts. */
  readonly #heldIndex = new Map<number, number>();
  #channel: number;
  #cursor: number;
  #closed = false;

  constructor(context: ReceiverContext, start: ReadStart) {
    this.#context = context;
    this.#reorder = new SequenceReorder<ChannelEntry>(start.sequence, (entry) => entry.payload?.byteLength ?? 0, context.reorderLimits);
    this.#channel = forwardChannelIndex(start.sequence, context.layout.entriesPerChannel);
    this.#cursor = start.index;
  }

  /** Reads until the link ends or the peer closes. */
  async run(): Promise<void> {
    const { signal } = this.#context;
    let failures = 0;
    let polling = false;
    while (!signal.aborted && !this.#closed) {
      if (this.#channel >= this.#context.layout.channelsPerDirection) {
        this.#context.exhausted();
        return;
      }
      const name = forwardChannelName(this.#context.direction, this.#channel);
      try {
        if (polling) await this.#poll(name);
        else await this.#subscribe(name);
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        if (!polling && ColoniesReplyTooLargeError.isInstance(error)) {
          // The backlog from the read index is more than one frame may carry: poll it in bounded pages.
          polling = true;
          continue;
        }
        if (!isTransient(error) || (polling && failures >= MAX_POLL_FAILURES)) {
          await this.#context.refused(error, name);
          return;
        }
        failures += 1;
        if (!polling && failures >= MAX_SOCKET_FAILURES) {
          polling = true;
          failures = 0;
          this.#context.notice(`the WebSocket to the colony failed (${(error as Error).message}); reading the forward by polling instead`);
        } else await delay(Math.min(5000, 125 * 2 ** failures), signal);
      }
    }
  }

  /** The index to read from: back to the first entry after a gap while one lasts (a late append lands before it). */
  #readFrom(): number {
    const lowest = this.#reorder.lowestHeld;
    const index = lowest === undefined ? undefined : this.#heldIndex.get(lowest);
    return index === undefined ? this.#cursor : Math.min(index, this.#cursor);
  }

  async #subscribe(name: string): Promise<void> {
    const { client, processId, timing, signal } = this.#context;
    const fromIndex = this.#readFrom();
    const subscription = client.subscribeChannel({
      processId,
      name,
      fromIndex,
      timeoutSeconds: timing.subscribeTimeoutSeconds,
      graceMs: timing.silentGraceMs,
      signal,
    });
    this.#cursor = fromIndex;
    for await (const frame of subscription) {
      if (this.#acceptAll(frame)) return; // next channel, or the peer closed: this subscription is done
    }
    if (subscription.endedBy === 'silent') await this.#context.checkProcess();
  }

  async #poll(name: string): Promise<void> {
    const { client, processId, timing, signal } = this.#context;
    const fromIndex = this.#readFrom();
    const entries = await client.readChannel({ processId, name, fromIndex, limit: POLL_LIMIT }, { signal });
    const before = this.#reorder.next;
    this.#cursor = fromIndex;
    if (this.#acceptAll(entries)) return;
    if (this.#reorder.next === before && entries.length < POLL_LIMIT) await delay(timing.pollIntervalMs, signal);
  }

  /** True when reading this channel is over (moved on, or the peer closed). */
  #acceptAll(entries: ChannelEntry[]): boolean {
    for (const entry of entries) {
      const index = this.#cursor++;
      this.#accept(entry, index);
      if (this.#closed) return true;
    }
    const end = (this.#channel + 1) * this.#context.layout.entriesPerChannel;
    if (this.#reorder.next <= end) return false;
    this.#channel += 1;
    this.#cursor = 0;
    this.#heldIndex.clear();
    return true;
  }

  #accept(entry: ChannelEntry, index: number): void {
    // Only the process's other party may append, but it may be a former executor or a hostile job: trust the peer only.
    if (entry.senderId !== this.#context.peerId) return;
    const sequence = Number(entry.sequence);
    let ready: ChannelEntry[];
    try {
      ready = this.#reorder.accept(sequence, entry);
    } catch (error) {
      if (!(error instanceof ReorderLimitError)) throw error;
      this.#closed = true;
      this.#context.violated(error.message);
      return;
    }
    if (this.#reorder.lowestHeld !== undefined && !this.#heldIndex.has(sequence) && sequence >= this.#reorder.next) this.#heldIndex.set(sequence, index);
    for (const next of ready) {
      this.#heldIndex.delete(Number(next.sequence));
      if (this.#closed) return;
      if (next.type === 'data') {
        if (next.payload !== null && next.payload.byteLength > 0) this.#context.deliver(next.payload);
      } else if (next.type === 'end' || next.type === 'error') {
        this.#closed = true;
        const reason = next.type === 'error' ? Buffer.from(next.payload ?? new Uint8Array()).toString('utf8') : undefined;
        this.#context.peerClosed(reason);
      }
      // Other payload types are not part of a forward: skipped.
    }
  }
}
