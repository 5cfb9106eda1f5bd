// Where a link starts on channels that may already hold an earlier forward to
// the same process (the server never trims a channel): the sender continues
// after its own highest sequence, so its entries stay in order in the log;
// the reader starts after the peer's last `end`/`error` (an earlier session's
// close). The submitter, who always speaks first, also skips anything the
// executor left without a close (a session that crashed). The executor starts
// at the tail of the submitter's log when its own direction shows an earlier
// relay that never closed (an executor killed and re-attached while a forward
// was live): re-reading that session from its start would send requests the
// job has already had a second time. The live client's connections are then
// unknown here and get a RESET (forward-mux). A relay after a clean close
// still reads from that close, so a client that spoke first loses nothing.
import type { ChannelEntry, ColoniesClient } from '@pollinator/colonies-client';
import { forwardChannelIndex, forwardChannelName, type ForwardDirection } from '@pollinator/spec-builder';
import type { ReadStart } from './link-receiver';
import type { LinkLayout } from './link-sender';

/** Entries at the end of a direction looked at for the last session's close. */
const TAIL_ENTRIES = 64;

export interface DirectionTail {
  /** The last channel with entries (0 when all are empty). */
  channel: number;
  /** Its number of entries. */
  length: number;
  /** Its last entries, each with its log index. */
  tail: Array<{ entry: ChannelEntry; index: number }>;
}

interface ScanTarget {
  client: ColoniesClient;
  processId: string;
  direction: ForwardDirection;
  layout: LinkLayout;
  signal: AbortSignal;
}

/** The end of one direction's log: which channel, how long, its last entries. */
export async function scanDirection(target: ScanTarget): Promise<DirectionTail> {
  const { client, processId, direction, layout, signal } = target;
  const read = (channel: number, fromIndex: number, limit: number) =>
    client.readChannel({ processId, name: forwardChannelName(direction, channel), fromIndex, limit }, { signal });
  const channels = Array.from({ length: layout.channelsPerDirection }, (_, index) => index);
  const firsts = await Promise.all(channels.map((channel) => read(channel, 0, 1)));
  const channel = Math.max(0, channels.filter((index) => firsts[index]!.length > 0).at(-1) ?? 0);
  if (firsts[channel]!.length === 0) return { channel, length: 0, tail: [] };
  // The log's length by bisection: [low, high) brackets it (an entry at low - 1, none at high).
  let low = 1;
  let high = 1;
  while ((await read(channel, high, 1)).length > 0) {
    low = high + 1;
    high *= 2;
  }
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((await read(channel, middle, 1)).length > 0) low = middle + 1;
    else high = middle;
  }
  const length = low;
  const from = Math.max(0, length - TAIL_ENTRIES);
  const entries = await read(channel, from, 0);
  return { channel, length: from + entries.length, tail: entries.map((entry, offset) => ({ entry, index: from + offset })) };
}

/** The sender's first sequence: one past its own highest in the tail (1 on fresh channels). */
export function senderStart(tail: DirectionTail, ownId: string, layout: LinkLayout): number {
  let highest = 0;
  for (const { entry } of tail.tail) if (entry.senderId === ownId) highest = Math.max(highest, Number(entry.sequence));
  if (highest === 0 && tail.length > 0) highest = tail.channel * layout.entriesPerChannel;
  return highest + 1;
}

const isClose = (entry: ChannelEntry): boolean => entry.type === 'end' || entry.type === 'error';

/**
 * True when our own direction ends with an entry that is not a close from
 * anyone but the peer: an earlier link on our side (this executor before a
 * crash, or a former executor) was live and never said goodbye.
 */
export function unclosedOwnSession(ownTail: DirectionTail, peerId: string): boolean {
  const last = ownTail.tail.filter(({ entry }) => entry.senderId !== peerId).at(-1);
  return last !== undefined && !isClose(last.entry);
}

/** Where the reader starts; see the file comment. `skipUnclosed`: start after the peer's last entry, closed or not. */
export function readerStart(tail: DirectionTail, peerId: string, skipUnclosed: boolean, layout: LinkLayout): ReadStart {
  const fromPeer = tail.tail.filter(({ entry }) => entry.senderId === peerId);
  const close = fromPeer.findLast(({ entry }) => isClose(entry));
  const last = skipUnclosed ? fromPeer.at(-1) : close;
  if (last === undefined) return { sequence: 1, index: 0 };
  const sequence = Number(last.entry.sequence) + 1;
  const sameChannel = forwardChannelIndex(sequence, layout.entriesPerChannel) === tail.channel;
  return { sequence, index: sameChannel ? last.index + 1 : 0 };
}
