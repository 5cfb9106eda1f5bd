// The records that carry TCP streams over one forward link. Binary and
// big-endian: `[u8 kind][u32 streamId][u32 length][length bytes]`. A link
// payload is a whole number of records; the decoder checks every field
// against the kind's rules so a hostile or broken peer is caught here,
// before any stream state is touched.

/** Record kinds. Values are the wire bytes: never renumber. */
export const RecordKind = {
  /** Client → relay: open a stream to a port (body: u16 port). */
  OPEN: 1,
  /** Relay → client: the TCP connection is up (empty body). */
  OPENED: 2,
  /** Bytes of the stream (1 … MAX_DATA_BYTES). */
  DATA: 3,
  /** The sender will send no more bytes on this stream (TCP half-close; empty body). */
  END: 4,
  /** The stream is gone, with a UTF-8 reason for the user (≤ MAX_REASON_BYTES). */
  RESET: 5,
  /** The receiver wrote this many more bytes out to its socket (body: u32). */
  CREDIT: 6,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export const RECORD_HEADER_BYTES = 9;
/** Largest DATA body: small enough that a record always fits one channel append. */
export const MAX_DATA_BYTES = 256 * 1024;
/** Longest RESET reason we send or accept (a reason is a sentence, not a payload). */
export const MAX_REASON_BYTES = 1024;
/** Stream ids are u32 and start at 1 (0 is never a stream). */
export const MAX_STREAM_ID = 0xff_ff_ff_ff;

export type ForwardRecord =
  | { kind: typeof RecordKind.OPEN; streamId: number; port: number }
  | { kind: typeof RecordKind.OPENED; streamId: number }
  | { kind: typeof RecordKind.DATA; streamId: number; data: Uint8Array }
  | { kind: typeof RecordKind.END; streamId: number }
  | { kind: typeof RecordKind.RESET; streamId: number; reason: string }
  | { kind: typeof RecordKind.CREDIT; streamId: number; bytes: number };

/** A payload that breaks the record rules: the link it came on cannot be trusted any more. */
export class RecordDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordDecodeError';
  }
}

const KIND_NAMES: Record<number, string> = {
  1: 'OPEN',
  2: 'OPENED',
  3: 'DATA',
  4: 'END',
  5: 'RESET',
  6: 'CREDIT',
};

/** The name of a kind for messages ("DATA", or "kind 9" for an unknown one). */
export function recordKindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

function header(kind: RecordKind, streamId: number, bodyLength: number): Uint8Array {
  if (!Number.isInteger(streamId) || streamId < 1 || streamId > MAX_STREAM_ID) {
    throw new RangeError(`stream id ${streamId} is not 1 … ${MAX_STREAM_ID}`);
  }
  const bytes = new Uint8Array(RECORD_HEADER_BYTES + bodyLength);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, kind);
  view.setUint32(1, streamId);
  view.setUint32(5, bodyLength);
  return bytes;
}

/** Encodes one record. Throws RangeError for a record we would refuse from a peer (a bug on our side). */
export function encodeRecord(record: ForwardRecord): Uint8Array {
  switch (record.kind) {
    case RecordKind.OPEN: {
      if (!Number.isInteger(record.port) || record.port < 1 || record.port > 65_535) {
        throw new RangeError(`port ${record.port} is not 1 … 65535`);
      }
      const bytes = header(record.kind, record.streamId, 2);
      new DataView(bytes.buffer).setUint16(RECORD_HEADER_BYTES, record.port);
      return bytes;
    }
    case RecordKind.OPENED:
    case RecordKind.END:
      return header(record.kind, record.streamId, 0);
    case RecordKind.DATA: {
      if (record.data.length < 1 || record.data.length > MAX_DATA_BYTES) {
        throw new RangeError(`DATA of ${record.data.length} bytes is not 1 … ${MAX_DATA_BYTES}`);
      }
      const bytes = header(record.kind, record.streamId, record.data.length);
      bytes.set(record.data, RECORD_HEADER_BYTES);
      return bytes;
    }
    case RecordKind.RESET: {
      const reason = truncateUtf8(record.reason, MAX_REASON_BYTES);
      const bytes = header(record.kind, record.streamId, reason.length);
      bytes.set(reason, RECORD_HEADER_BYTES);
      return bytes;
    }
    case RecordKind.CREDIT: {
      if (!Number.isInteger(record.bytes) || record.bytes < 1 || record.bytes > 0xff_ff_ff_ff) {
        throw new RangeError(`CREDIT of ${record.bytes} bytes is not 1 … 2^32-1`);
      }
      const bytes = header(record.kind, record.streamId, 4);
      new DataView(bytes.buffer).setUint32(RECORD_HEADER_BYTES, record.bytes);
      return bytes;
    }
  }
}

/** Joins encoded records into one payload (one `ForwardLink.write`). */
export function concatRecords(records: readonly Uint8Array[]): Uint8Array {
  if (records.length === 1) return records[0]!;
  let total = 0;
  for (const record of records) total += record.length;
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const record of records) {
    joined.set(record, offset);
    offset += record.length;
  }
  return joined;
}

/** A reason cut to at most `limit` UTF-8 bytes on a character boundary. */
function truncateUtf8(text: string, limit: number): Uint8Array {
  const encoded = new TextEncoder().encode(text);
  if (encoded.length <= limit) return encoded;
  let end = limit;
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && (encoded[end]! & 0xc0) === 0x80) end -= 1;
  return encoded.subarray(0, end);
}

const BODY_RULES: Record<number, { min: number; max: number }> = {
  [RecordKind.OPEN]: { min: 2, max: 2 },
  [RecordKind.OPENED]: { min: 0, max: 0 },
  [RecordKind.DATA]: { min: 1, max: MAX_DATA_BYTES },
  [RecordKind.END]: { min: 0, max: 0 },
  [RecordKind.RESET]: { min: 0, max: MAX_REASON_BYTES },
  [RecordKind.CREDIT]: { min: 4, max: 4 },
};

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Every record of one link payload. Throws RecordDecodeError on an unknown
 * kind, stream id 0, a length outside the kind's rule, a record cut short, or
 * an OPEN to port 0 / a CREDIT of 0. DATA bodies are views into `payload`.
 */
export function decodeRecords(payload: Uint8Array): ForwardRecord[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const records: ForwardRecord[] = [];
  let offset = 0;
  while (offset < payload.length) {
    if (payload.length - offset < RECORD_HEADER_BYTES) {
      throw new RecordDecodeError(`a record header is cut short (${payload.length - offset} of ${RECORD_HEADER_BYTES} bytes)`);
    }
    const kind = view.getUint8(offset);
    const streamId = view.getUint32(offset + 1);
    const length = view.getUint32(offset + 5);
    const rule = BODY_RULES[kind];
    if (rule === undefined) throw new RecordDecodeError(`unknown record kind ${kind}`);
    if (streamId === 0) throw new RecordDecodeError(`${recordKindName(kind)} record for stream 0`);
    if (length < rule.min || length > rule.max) {
      throw new RecordDecodeError(`${recordKindName(kind)} record of ${length} bytes (allowed ${rule.min} … ${rule.max})`);
    }
    const start = offset + RECORD_HEADER_BYTES;
    if (payload.length - start < length) {
      throw new RecordDecodeError(`${recordKindName(kind)} record of ${length} bytes is cut short (${payload.length - start} present)`);
    }
    records.push(decodeBody(kind as RecordKind, streamId, payload.subarray(start, start + length), view, start));
    offset = start + length;
  }
  return records;
}

function decodeBody(kind: RecordKind, streamId: number, body: Uint8Array, view: DataView, start: number): ForwardRecord {
  switch (kind) {
    case RecordKind.OPEN: {
      const port = view.getUint16(start);
      if (port === 0) throw new RecordDecodeError(`OPEN record for port 0 on stream ${streamId}`);
      return { kind, streamId, port };
    }
    case RecordKind.OPENED:
    case RecordKind.END:
      return { kind, streamId };
    case RecordKind.DATA:
      return { kind, streamId, data: body };
    case RecordKind.RESET:
      return { kind, streamId, reason: utf8.decode(body) };
    case RecordKind.CREDIT: {
      const bytes = view.getUint32(start);
      if (bytes === 0) throw new RecordDecodeError(`CREDIT of 0 bytes on stream ${streamId}`);
      return { kind, streamId, bytes };
    }
  }
}
