// The link's parts that need no server: the token bucket, the sequence
// reorder buffer, and where a link starts on channels an earlier forward used.
import type { ChannelEntry } from '@pollinator/colonies-client';
import { describe, expect, it } from 'vitest';
import { readerStart, senderStart, unclosedOwnSession, type DirectionTail } from './link-start';
import { MAX_HELD_BYTES, MAX_HELD_ENTRIES, MAX_SEQUENCE_AHEAD, ReorderLimitError, SequenceReorder } from './sequence-reorder';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    now = 500;
    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
    now = 60_000;
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
  });

  it('take() waits for a token and gives up when the signal aborts', async () => {
    const bucket = new TokenBucket(1000, 1);
    expect(await bucket.take()).toBe(true);
    expect(await bucket.take()).toBe(true);
    const slow = new TokenBucket(0.001, 1);
    slow.tryTake();
    expect(await slow.take(AbortSignal.abort())).toBe(false);
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
  });
});

describe('SequenceReorder', () => {
  it('delivers in sequence order, holds early ones, drops duplicates and entries too far ahead', () => {
    const reorder = new SequenceReorder<string>();
    expect(reorder.accept(3, 'c')).toEqual([]);
    expect(reorder.lowestHeld).toBe(3);
    expect(reorder.accept(3, 'c again')).toEqual([]);
    expect(reorder.accept(1, 'a')).toEqual(['a']);
    expect(reorder.accept(1, 'a again')).toEqual([]);
    expect(reorder.accept(2, 'b')).toEqual(['b', 'c']);
    expect(reorder.next).toBe(4);
    expect(reorder.held).toBe(0);
    expect(reorder.accept(4 + MAX_SEQUENCE_AHEAD + 1, 'far')).toEqual([]);
    expect(reorder.accept(Number.NaN, 'nan')).toEqual([]);
    expect(reorder.held).toBe(0);
  });

  it('ends (throws) once more entries or bytes than a peer may have in flight wait behind a gap', () => {
    const entries = new SequenceReorder<string>(1, (item) => item.length, { maxHeldEntries: 3, maxHeldBytes: 100 });
    for (const sequence of [2, 3, 4]) expect(entries.accept(sequence, 'x')).toEqual([]);
    expect(() => entries.accept(5, 'x')).toThrow(ReorderLimitError);
    expect(() => entries.accept(5, 'x')).toThrow('more than 3 messages waiting behind a missing one (sequence 1)');
    // The missing one itself is always taken: it releases what waits.
    expect(entries.accept(1, 'a')).toEqual(['a', 'x', 'x', 'x']);
    const bytes = new SequenceReorder<string>(1, (item) => item.length, { maxHeldEntries: 10, maxHeldBytes: 100 });
    expect(bytes.accept(2, 'y'.repeat(60))).toEqual([]);
    expect(bytes.heldBytes).toBe(60);
    expect(() => bytes.accept(3, 'y'.repeat(41))).toThrow('more than 100 bytes waiting');
    expect(bytes.accept(1, 'a')).toHaveLength(2);
    expect(bytes.heldBytes).toBe(0);
  });

  it(`holds at most ${MAX_HELD_ENTRIES} entries and ${MAX_HELD_BYTES} bytes by default`, () => {
    const reorder = new SequenceReorder<Uint8Array>(1, (item) => item.byteLength);
    for (let sequence = 2; sequence <= MAX_HELD_ENTRIES + 1; sequence += 1) reorder.accept(sequence, new Uint8Array(1));
    expect(() => reorder.accept(MAX_HELD_ENTRIES + 2, new Uint8Array(1))).toThrow(ReorderLimitError);
    const large = new SequenceReorder<Uint8Array>(1, (item) => item.byteLength);
    large.accept(2, new Uint8Array(MAX_HELD_BYTES));
    expect(() => large.accept(3, new Uint8Array(1))).toThrow(ReorderLimitError);
  });
});

describe('where a link starts', () => {
  const layout = { entriesPerChannel: 5, channelsPerDirection: 3 };
  const entry = (sequence: number, senderId: string, type = 'data'): ChannelEntry => ({ sequence: BigInt(sequence), inReplyTo: 0n, timestamp: '', senderId, payload: null, type });
  const tail = (channel: number, entries: ChannelEntry[], first = 0): DirectionTail => ({
    channel,
    length: first + entries.length,
    tail: entries.map((value, offset) => ({ entry: value, index: first + offset })),
  });

  it('fresh channels: sequence 1 at index 0 for both', () => {
    expect(senderStart(tail(0, []), 'me', layout)).toBe(1);
    expect(readerStart(tail(0, []), 'peer', false, layout)).toEqual({ sequence: 1, index: 0 });
    expect(readerStart(tail(0, []), 'peer', true, layout)).toEqual({ sequence: 1, index: 0 });
  });

  it('the sender continues after its own highest sequence, ignoring other senders', () => {
    expect(senderStart(tail(1, [entry(6, 'me'), entry(99, 'other'), entry(7, 'me', 'end')], 0), 'me', layout)).toBe(8);
  });

  it('the reader starts after the peer\'s last close; the submitter also skips an unclosed earlier session', () => {
    const log = tail(0, [entry(1, 'peer'), entry(2, 'peer', 'end'), entry(3, 'peer'), entry(1, 'other', 'end')]);
    expect(readerStart(log, 'peer', false, layout)).toEqual({ sequence: 3, index: 2 });
    expect(readerStart(log, 'peer', true, layout)).toEqual({ sequence: 4, index: 3 });
    // A close that is the channel's last share: the next sequence is on the next channel, from its start.
    expect(readerStart(tail(0, [entry(5, 'peer', 'end')], 4), 'peer', false, layout)).toEqual({ sequence: 6, index: 0 });
    expect(readerStart(log, 'nobody', false, layout)).toEqual({ sequence: 1, index: 0 });
  });

  it('an earlier link on our side that never closed (an executor killed while a forward was live) is told apart from one that closed', () => {
    expect(unclosedOwnSession(tail(0, []), 'peer')).toBe(false);
    expect(unclosedOwnSession(tail(0, [entry(1, 'me'), entry(2, 'me', 'end')]), 'peer')).toBe(false);
    expect(unclosedOwnSession(tail(0, [entry(1, 'me'), entry(2, 'me', 'error')]), 'peer')).toBe(false);
    expect(unclosedOwnSession(tail(0, [entry(1, 'me', 'end'), entry(2, 'me')]), 'peer')).toBe(true);
    // A former executor's entries count as ours; the peer's own (hostile) appends on our side do not.
    expect(unclosedOwnSession(tail(0, [entry(1, 'former')]), 'peer')).toBe(true);
    expect(unclosedOwnSession(tail(0, [entry(1, 'me', 'end'), entry(2, 'peer')]), 'peer')).toBe(false);
  });
});
