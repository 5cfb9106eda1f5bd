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

/** Two linked ends: `[a, b]`; `a.write` arrives at `b.read()` and the other way round. */
export function createMemoryLinkPair(options: MemoryLinkOptions = {}): [ForwardLink, ForwardLink] {
  const maxAppendBytes = options.maxAppendBytes ?? 512 * 1024;
  const maxUnreadBytes = options.maxUnreadBytes ?? 4 * 1024 * 1024;
  const sides: [Side, Side] = [createSide(), createSide()];
  return [createEnd(sides[0], sides[1]), createEnd(sides[1], sides[0])];

  /** `own` = what this end reads (the peer writes into it); `peer` = what the peer reads. */
  function createEnd(own: Side, peer: Side): ForwardLink {
    let pendingBytes = 0;

    function closeBoth(end: { by: 'us'; reason?: string }): void {
      // Our reader ends at once (close stops reading); the peer reads what we sent, then the end.
      own.finished = true;
      own.queue = [];
      own.unreadBytes = 0;
      wake(own);
      for (const writer of own.waitingWriters.splice(0)) writer();
      peer.finished = true;
      wake(peer);
      for (const writer of peer.waitingWriters.splice(0)) writer();
      settle(own, end.reason === undefined ? { kind: 'closed', by: 'us' } : { kind: 'closed', by: 'us', reason: end.reason });
      settle(peer, end.reason === undefined ? { kind: 'closed', by: 'peer' } : { kind: 'closed', by: 'peer', reason: end.reason });
    }

    return {
      async write(records: Uint8Array): Promise<void> {
        if (records.length > maxAppendBytes) {
          throw new RangeError(`a write of ${records.length} bytes is over the link's ${maxAppendBytes}-byte append limit`);
        }
        if (peer.finished || own.settled) throw linkEnded();
        pendingBytes += records.length;
        try {
          while (peer.unreadBytes >= maxUnreadBytes && !peer.finished) {
            await new Promise<void>((resolve) => peer.waitingWriters.push(resolve));
          }
          if (peer.finished) throw linkEnded();
          // A copy: the writer may reuse its buffer, as it may after a real append.
          peer.queue.push(records.slice());
          peer.unreadBytes += records.length;
          wake(peer);
        } finally {
          pendingBytes -= records.length;
        }
        // Resolve on a later turn, like an append's reply, so writers cannot starve the reader.
        await new Promise<void>((resolve) => setImmediate(resolve));
      },

      read(): AsyncIterable<Uint8Array> {
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
      },

      get pendingBytes() {
        return pendingBytes;
      },

      async close(reason?: string): Promise<void> {
        if (own.settled) return;
        closeBoth(reason === undefined ? { by: 'us' } : { by: 'us', reason });
      },

      get ended() {
        return own.ended;
      },
    };
  }
}
