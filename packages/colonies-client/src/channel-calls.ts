// Process channels (Colonies v1.9+): sequenced messages between a process's
// submitter and its assigned executor. The rules below were recorded from a
// real v1.9.12 server (conformance rpc/12-channels.json); the server keeps
// channels in memory only and deletes them when the process closes.
import { isObject, toBigInt } from './convert';
import { ColoniesArgumentError, ColoniesBadReplyError, ColoniesError } from './errors';
import { read, write, type RpcCore } from './rpc-core';
import type { CallOptions } from './transport';

/** The server's limits (pkg/constants of v1.9.12). */
export const CHANNEL_LIMITS = {
  /** Largest payload of one append, bytes (one more is refused). */
  maxPayloadBytes: 10 * 1024 * 1024,
  /** Entries one channel keeps; the next append is refused ("channel log is full"), nothing is trimmed. */
  maxEntries: 10_000,
  /** Channels one process may have. */
  maxChannels: 100,
  /** Appends per second per process, shared by both parties and all channels… */
  appendsPerSecond: 100,
  /** …after a burst of this many. */
  appendBurst: 500,
} as const;

export interface ChannelAppend {
  processId: string;
  /** A channel the spec declared (`FunctionSpec.channels`). */
  name: string;
  /**
   * The sender's sequence number. The server neither checks nor orders by it
   * across senders: readers must order and de-duplicate themselves.
   */
  sequence: bigint | number;
  /** The sequence of the other side's message this one answers (0 or absent: none). */
  inReplyTo?: bigint | number;
  /** Absent: an entry without payload (`payload: null` when read). */
  payload?: Uint8Array;
  /** `data` (default), `end` or `error` close a stream by convention; any other text is stored as given. */
  type?: string;
}

export interface ChannelRead {
  processId: string;
  name: string;
  /** A 0-based index into the channel's log (not a sequence number): entries from this one on. Default 0. */
  fromIndex?: number;
  /** At most this many entries; 0 or absent: all. */
  limit?: number;
}

export interface ChannelEntry {
  sequence: bigint;
  /** 0n when the append named none. */
  inReplyTo: bigint;
  /** RFC 3339 with nanoseconds, as the server sent it. */
  timestamp: string;
  senderId: string;
  /** null when the append had no payload. */
  payload: Uint8Array | null;
  /** `data`, `end`, `error` or what the sender gave. */
  type: string;
  /** Only on the server's slow-subscriber notice. */
  error?: string;
}

/** Why the server refused a channel call, when it is one of the refusals a sender must handle. */
export type ChannelRefusal =
  | 'rate-limited'
  | 'log-full'
  | 'payload-too-large'
  | 'too-many-channels'
  | 'channel-not-found'
  | 'process-not-found'
  | 'not-authorized';

const REFUSALS: Array<[ChannelRefusal, number, RegExp]> = [
  ['rate-limited', 500, /rate limit exceeded/i],
  ['log-full', 500, /channel log is full/i],
  ['payload-too-large', 500, /exceeds maximum size/i],
  ['too-many-channels', 500, /too many channels/i],
  ['channel-not-found', 404, /channel not found/i],
  ['process-not-found', 404, /process not found/i],
  ['not-authorized', 403, /not authorized|access denied/i],
];

/**
 * Classifies a channel call's error. The server answers most refusals with
 * status 500 and only its message tells them apart (a rate limit is worth
 * waiting for; a full log or a closed process is not).
 */
export function channelRefusal(error: unknown): ChannelRefusal | undefined {
  if (!ColoniesError.isInstance(error)) return undefined;
  for (const [refusal, status, pattern] of REFUSALS) {
    if (error.status === status && pattern.test(error.serverMessage)) return refusal;
  }
  return undefined;
}

function int64(value: bigint | number, what: string): bigint | number {
  if (typeof value === 'bigint' || Number.isSafeInteger(value)) return value;
  throw new ColoniesArgumentError(`${what} must be a whole number (an int64), got ${value}`);
}

/** `channelappendmsg`. Never retried: a repeated append is a second entry. */
export async function appendChannel(core: RpcCore, message: ChannelAppend, options?: CallOptions): Promise<void> {
  if (message.name === '') throw new ColoniesArgumentError('appendChannel: name must not be empty (the server answers "Channel not found")');
  const bytes = message.payload?.byteLength ?? 0;
  if (bytes > CHANNEL_LIMITS.maxPayloadBytes) {
    throw new ColoniesArgumentError(`appendChannel: the payload is ${bytes} bytes; the server refuses more than ${CHANNEL_LIMITS.maxPayloadBytes}`);
  }
  const fields: Record<string, unknown> = {
    processid: message.processId,
    name: message.name,
    sequence: int64(message.sequence, 'appendChannel: sequence'),
  };
  const inReplyTo = message.inReplyTo === undefined ? 0 : int64(message.inReplyTo, 'appendChannel: inReplyTo');
  if (inReplyTo !== 0 && inReplyTo !== 0n) fields.inreplyto = inReplyTo;
  if (message.payload !== undefined) fields.payload = Buffer.from(message.payload).toString('base64');
  if (message.type !== undefined && message.type !== 'data') fields.payloadtype = message.type;
  await write(core, 'channelappendmsg', fields, options);
}

/** `channelreadmsg`: entries `[fromIndex, fromIndex + limit)` of the channel's log, in the server's order. */
export async function readChannel(core: RpcCore, query: ChannelRead, options?: CallOptions): Promise<ChannelEntry[]> {
  const fromIndex = query.fromIndex ?? 0;
  const limit = query.limit ?? 0;
  if (!Number.isSafeInteger(fromIndex) || fromIndex < 0) throw new ColoniesArgumentError(`readChannel: fromIndex must be a whole number ≥ 0, got ${fromIndex}`);
  if (!Number.isSafeInteger(limit) || limit < 0) throw new ColoniesArgumentError(`readChannel: limit must be a whole number ≥ 0, got ${limit}`);
  const reply = await read(core, 'channelreadmsg', { processid: query.processId, name: query.name, afterseq: fromIndex, limit }, options);
  if (reply === null) return [];
  if (!Array.isArray(reply)) throw new ColoniesBadReplyError('channelreadmsg', 200, 'expected a JSON array of channel entries');
  return reply.map((raw) => toChannelEntry(raw));
}

/** One entry of a `channelreadmsg` reply (or a subscription push). */
export function toChannelEntry(raw: unknown): ChannelEntry {
  if (!isObject(raw)) throw new ColoniesBadReplyError('channelreadmsg', 200, 'a channel entry is not a JSON object');
  const payload = raw.payload;
  if (payload !== null && payload !== undefined && typeof payload !== 'string') {
    throw new ColoniesBadReplyError('channelreadmsg', 200, 'a channel entry\'s payload is not base64 text');
  }
  const entry: ChannelEntry = {
    sequence: toBigInt(raw.sequence),
    inReplyTo: toBigInt(raw.inreplyto),
    timestamp: typeof raw.timestamp === 'string' ? raw.timestamp : '',
    senderId: typeof raw.senderid === 'string' ? raw.senderid : '',
    payload: typeof payload === 'string' ? new Uint8Array(Buffer.from(payload, 'base64')) : null,
    type: typeof raw.type === 'string' && raw.type !== '' ? raw.type : 'data',
  };
  if (typeof raw.error === 'string' && raw.error !== '') entry.error = raw.error;
  return entry;
}
