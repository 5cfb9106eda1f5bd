import { describe, expect, it } from 'vitest';
import {
  concatRecords,
  decodeRecords,
  encodeRecord,
  type ForwardRecord,
  MAX_DATA_BYTES,
  MAX_REASON_BYTES,
  RecordDecodeError,
  RecordKind,
} from './forward-records';

function raw(kind: number, streamId: number, body: number[] | Uint8Array, declaredLength?: number): Uint8Array {
  const bytes = new Uint8Array(9 + body.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, kind);
  view.setUint32(1, streamId);
  view.setUint32(5, declaredLength ?? body.length);
  bytes.set(body, 9);
  return bytes;
}

describe('forward records', () => {
  it('round-trips every kind, several per payload', () => {
    const records: ForwardRecord[] = [
      { kind: RecordKind.OPEN, streamId: 1, port: 8888 },
      { kind: RecordKind.OPENED, streamId: 1 },
      { kind: RecordKind.DATA, streamId: 1, data: new Uint8Array([1, 2, 3]) },
      { kind: RecordKind.END, streamId: 1 },
      { kind: RecordKind.RESET, streamId: 4_000_000_000, reason: 'port 22 is not forwarded — ü' },
      { kind: RecordKind.CREDIT, streamId: 2, bytes: 0xff_ff_ff_ff },
    ];
    const payload = concatRecords(records.map(encodeRecord));
    expect(decodeRecords(payload)).toEqual(records);
  });

  it('is big-endian: [u8 kind][u32 streamId][u32 length][body]', () => {
    expect([...encodeRecord({ kind: RecordKind.OPEN, streamId: 0x01020304, port: 0x1f90 })]).toEqual([1, 1, 2, 3, 4, 0, 0, 0, 2, 0x1f, 0x90]);
  });

  it('carries DATA up to 256 KiB and refuses to encode more or nothing', () => {
    const data = new Uint8Array(MAX_DATA_BYTES).fill(7);
    const [record] = decodeRecords(encodeRecord({ kind: RecordKind.DATA, streamId: 9, data }));
    expect(record).toMatchObject({ kind: RecordKind.DATA, streamId: 9 });
    expect(Buffer.from((record as { data: Uint8Array }).data).equals(data)).toBe(true);
    expect(() => encodeRecord({ kind: RecordKind.DATA, streamId: 9, data: new Uint8Array(MAX_DATA_BYTES + 1) })).toThrow(RangeError);
    expect(() => encodeRecord({ kind: RecordKind.DATA, streamId: 9, data: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodeRecord({ kind: RecordKind.OPENED, streamId: 0 })).toThrow(RangeError);
  });

  it('cuts a long RESET reason on a character boundary', () => {
    const reason = 'é'.repeat(MAX_REASON_BYTES);
    const [record] = decodeRecords(encodeRecord({ kind: RecordKind.RESET, streamId: 1, reason }));
    expect(record).toEqual({ kind: RecordKind.RESET, streamId: 1, reason: 'é'.repeat(MAX_REASON_BYTES / 2) });
  });

  it.each([
    ['an unknown kind', raw(9, 1, []), 'unknown record kind 9'],
    ['kind 0', raw(0, 1, []), 'unknown record kind 0'],
    ['stream 0', raw(RecordKind.DATA, 0, [1]), 'DATA record for stream 0'],
    ['an OPEN with a 3-byte body', raw(RecordKind.OPEN, 1, [0, 80, 0]), 'OPEN record of 3 bytes (allowed 2 … 2)'],
    ['an OPEN to port 0', raw(RecordKind.OPEN, 1, [0, 0]), 'OPEN record for port 0 on stream 1'],
    ['an empty DATA', raw(RecordKind.DATA, 1, []), 'DATA record of 0 bytes (allowed 1 … 262144)'],
    ['a DATA over 256 KiB', raw(RecordKind.DATA, 1, [], MAX_DATA_BYTES + 1), 'DATA record of 262145 bytes (allowed 1 … 262144)'],
    ['a length of 4 GiB', raw(RecordKind.DATA, 1, [], 0xff_ff_ff_ff), 'DATA record of 4294967295 bytes (allowed 1 … 262144)'],
    ['a DATA cut short', raw(RecordKind.DATA, 1, [1, 2], 5), 'DATA record of 5 bytes is cut short (2 present)'],
    ['a header cut short', new Uint8Array([3, 0, 0, 0, 1]), 'a record header is cut short (5 of 9 bytes)'],
    ['a CREDIT of 0', raw(RecordKind.CREDIT, 1, [0, 0, 0, 0]), 'CREDIT of 0 bytes on stream 1'],
    ['a RESET reason over 1 KiB', raw(RecordKind.RESET, 1, new Uint8Array(MAX_REASON_BYTES + 1)), 'RESET record of 1025 bytes (allowed 0 … 1024)'],
    ['an END with a body', raw(RecordKind.END, 1, [1]), 'END record of 1 bytes (allowed 0 … 0)'],
  ])('refuses %s', (_name, payload, message) => {
    expect(() => decodeRecords(payload)).toThrow(new RecordDecodeError(message));
  });

  it('refuses a bad record after good ones (the payload is all or nothing)', () => {
    const payload = concatRecords([encodeRecord({ kind: RecordKind.END, streamId: 1 }), raw(77, 1, [])]);
    expect(() => decodeRecords(payload)).toThrow(RecordDecodeError);
  });

  it('decodes a record inside a larger buffer (a view with an offset)', () => {
    const inner = encodeRecord({ kind: RecordKind.CREDIT, streamId: 3, bytes: 1000 });
    const outer = new Uint8Array(inner.length + 5);
    outer.set(inner, 5);
    expect(decodeRecords(outer.subarray(5))).toEqual([{ kind: RecordKind.CREDIT, streamId: 3, bytes: 1000 }]);
  });
});
