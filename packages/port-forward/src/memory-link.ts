// Two ForwardLinks joined in memory: what one writes, the other reads, in
// order, with the same end rules as a channel link. For tests of the streams
// layer and of its users (core, cli) that need a forward without a colony.
import { ForwardLinkError } from './link-errors';
import type { ForwardLink, LinkEnd } from './link-types';

/** As the channel link rejects a write after its end. */
function linkEnded(): ForwardLinkError {
  return new ForwardLinkError('FORWARD_LINK_ENDED', 'the forward link has ended');
}

export interface MemoryLinkOptions {
  /** Largest single write (default 512 KiB, the channel link's default): a larger one rejects, as a too-large append would. */
  maxAppendBytes?: number;
  /** Bytes a reader may leave unread before writes wait (default 4 MiB): the link's backpressure. */
  maxUnreadBytes?: number;
}

interface Side {
  queue: Uint8Array[];
  unreadBytes: number;
  /** Set once the peer closed: the reader drains `queue`, then ends. */
  finished: boolean;
  /** Wakes a reader waiting for data or the end. */
  wakeReader: (() => void) | undefined;
  /** Writers waiting for the reader to drain below maxUnreadBytes. */
  waitingWriters: Array<() => void>;
  resolveEnded: (end: LinkEnd) => void;
  ended: Promise<LinkEnd>;
  settled: boolean;
  reading: boolean;
}

function createSide(): Side {
  let resolveEnded!: (end: LinkEnd) => void;
  const ended = new Promise<LinkEnd>((resolve) => {
    resolveEnded = resolve;
  });
  return {
    queue: [],
    unreadBytes: 0,
    finished: false,
    wakeReader: undefined,
    waitingWriters: [],
    resolveEnded,
    ended,
    settled: false,
    reading: false,
  };
}

function settle(side: Side, end: LinkEnd): void {
  if (side.settled) return;
  side.settled = true;
  side.resolveEnded(end);
}

function wake(side: Side): void {
  const wakeReader = side.wakeReader;
  side.wakeReader = undefined;
  wakeReader?.();
}

/** Our reader ends at once (close stops reading); the peer reads what we sent, then the end. */
function closeBoth(own: Side, peer: Side, reason: string | undefined): void {
  own.finished = true;
  own.queue = [];
  own.unreadBytes = 0;
  wake(own);
  for (const writer of own.waitingWriters.splice(0)) writer();
  peer.finished = true;
  wake(peer);
  for (const writer of peer.waitingWriters.splice(0)) writer();
  settle(own, reason === undefined ? { kind: 'closed', by: 'us' } : { kind: 'closed', by: 'us', reason });
  settle(peer, reason === undefined ? { kind: 'closed', by: 'peer' } : { kind: 'closed', by: 'peer', reason });
}

/** Queues `records` for the peer's reader, waiting while it has maxUnreadBytes unread. */
async function writeToPeer(own: Side, peer: Side, records: Uint8Array, maxUnreadBytes: number): Promise<void> {
  if (peer.finished || own.settled) throw linkEnded();
  while (peer.unreadBytes >= maxUnreadBytes && !peer.finished) {
    await new Promise<void>((resolve) => peer.waitingWriters.push(resolve));
  }
  if (peer.finished) throw linkEnded();
  // A copy: the writer may reuse its buffer, as it may after a real append.
  peer.queue.push(records.slice());
  peer.unreadBytes += records.length;
  wake(peer);
}

/** What the peer wrote to `own`, in order, until the link ends; one reader. */
function readSide(own: Side): AsyncIterable<Uint8Array> {
  if (own.reading) throw new Error('read() of a memory link may be called once');
  own.reading = true;
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = own.queue.shift();
        if (next !== undefined) {
          own.unreadBytes -= next.length;
          for (const writer of own.waitingWriters.splice(0)) writer();
          yield next;
          continue;
        }
        if (own.finished) return;
        await new Promise<void>((resolve) => {
          own.wakeReader = resolve;
        });
      }
    },
  };
}

/** One end: `own` = what this end reads (the peer writes into it); `peer` = what the peer reads. */
function createMemoryEnd(own: Side, peer: Side, limits: Required<MemoryLinkOptions>): ForwardLink {
  let pendingBytes = 0;
  return {
    async write(records: Uint8Array): Promise<void> {
      if (records.length > limits.maxAppendBytes) {
        throw new RangeError(`a write of ${records.length} bytes is over the link's ${limits.maxAppendBytes}-byte append limit`);
      }
      pendingBytes += records.length;
      try {
        await writeToPeer(own, peer, records, limits.maxUnreadBytes);
      } finally {
        pendingBytes -= records.length;
      }
      // Resolve on a later turn, like an append's reply, so writers cannot starve the reader.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    read: () => readSide(own),
    get pendingBytes() {
      return pendingBytes;
    },
    async close(reason?: string): Promise<void> {
      if (!own.settled) closeBoth(own, peer, reason);
    },
    get ended() {
      return own.ended;
    },
  };
}

/** Two linked ends: `[a, b]`; `a.write` arrives at `b.read()` and the other way round. */
export function createMemoryLinkPair(options: MemoryLinkOptions = {}): [ForwardLink, ForwardLink] {
  const limits = { maxAppendBytes: options.maxAppendBytes ?? 512 * 1024, maxUnreadBytes: options.maxUnreadBytes ?? 4 * 1024 * 1024 };
  const sides: [Side, Side] = [createSide(), createSide()];
  return [createMemoryEnd(sides[0], sides[1], limits), createMemoryEnd(sides[1], sides[0], limits)];
}
