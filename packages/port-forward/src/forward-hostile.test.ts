// A hostile or broken peer: raw records written straight onto the link. Each
// breach must end the link with a reason (or refuse one stream with a RESET),
// never crash the process and never make it buffer without bound.
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { concatRecords, decodeRecords, encodeRecord, type ForwardRecord, MAX_DATA_BYTES, RecordKind } from './forward-records';
import { createForwardListener } from './forward-listener';
import { serveForwardRelay } from './forward-relay';
import { connectLocal, listenOnLoopback, socketClosed } from './forward-streams.test-helpers';
import type { ForwardLink } from './link-types';
import { createMemoryLinkPair } from './memory-link';
import { DEFAULT_WINDOW_BYTES, UNKNOWN_STREAM_REASON } from './forward-mux';
import { MAX_BYTES_BEFORE_OPENED } from './forward-stream';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server that accepts and holds connections (reads, never answers). */
async function startHoldingServer(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    // Flowing, so an END from the far side shows as 'end'.
    socket.resume();
  });
  const port = await listenOnLoopback(server);
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port, sockets };
}

/** The relay on one end of a memory link; the test writes raw payloads on the other. */
async function hostileClient(options: { maxStreams?: number; address?: () => Promise<string | undefined> } = {}) {
  const target = await startHoldingServer();
  const [raw, executorLink] = createMemoryLinkPair({ maxAppendBytes: 16 * 1024 * 1024 });
  const relay = serveForwardRelay({
    link: executorLink,
    allowedPorts: [target.port],
    address: options.address ?? (async () => '127.0.0.1'),
    ...(options.maxStreams === undefined ? {} : { maxStreams: options.maxStreams }),
  });
  cleanups.push(() => relay.close());
  const received = collectRecords(raw);
  return { raw, relay, target, received };
}

/** Every record the peer sends, as it arrives. */
function collectRecords(link: ForwardLink): { records: ForwardRecord[]; waitFor(predicate: (records: ForwardRecord[]) => boolean): Promise<void> } {
  const records: ForwardRecord[] = [];
  const waiters: Array<() => void> = [];
  void (async () => {
    for await (const payload of link.read()) {
      records.push(...decodeRecords(payload));
      for (const waiter of waiters.splice(0)) waiter();
    }
  })();
  return {
    records,
    async waitFor(predicate) {
      while (!predicate(records)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

function payload(...records: ForwardRecord[]): Uint8Array {
  return concatRecords(records.map(encodeRecord));
}

function header(kind: number, streamId: number, length: number): Uint8Array {
  const bytes = new Uint8Array(9);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, kind);
  view.setUint32(1, streamId);
  view.setUint32(5, length);
  return bytes;
}

async function expectEndedWith(raw: ForwardLink, reason: string): Promise<void> {
  expect(await raw.ended).toEqual({ kind: 'closed', by: 'peer', reason: `protocol error from the peer: ${reason}` });
}

describe('the relay against a hostile client', () => {
  it.each([
    ['an unknown kind', header(42, 1, 0), 'unknown record kind 42'],
    ['a length beyond the payload', header(RecordKind.DATA, 1, 100), 'DATA record of 100 bytes is cut short (0 present)'],
    ['a 4 GiB length', header(RecordKind.DATA, 1, 0xff_ff_ff_ff), 'DATA record of 4294967295 bytes (allowed 1 … 262144)'],
  ])('ends the link on %s', async (_name, bytes, reason) => {
    const { raw, relay } = await hostileClient();
    await raw.write(bytes);
    await expectEndedWith(raw, reason);
    expect(await relay.ended).toEqual({ kind: 'error', message: `protocol error from the peer: ${reason}` });
  });

  it('answers records for a stream it does not know with one RESET each and keeps the link (a client mid-session after an executor restart)', async () => {
    const { raw, relay, target, received } = await hostileClient();
    await raw.write(
      payload(
        { kind: RecordKind.DATA, streamId: 5, data: new Uint8Array([1]) },
        { kind: RecordKind.DATA, streamId: 5, data: new Uint8Array([2]) },
        { kind: RecordKind.CREDIT, streamId: 3, bytes: 1 },
        { kind: RecordKind.END, streamId: 4 },
        { kind: RecordKind.RESET, streamId: 6, reason: 'gone' },
      ),
    );
    await received.waitFor((records) => records.filter((record) => record.kind === RecordKind.RESET).length === 3);
    expect(received.records.map((record) => record.streamId).sort()).toEqual([3, 4, 5]);
    expect(received.records.every((record) => record.kind === RecordKind.RESET && record.reason === UNKNOWN_STREAM_REASON)).toBe(true);
    // The link goes on: a new connection of the same client is relayed.
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 7, port: target.port }));
    await received.waitFor((records) => records.some((record) => record.kind === RecordKind.OPENED && record.streamId === 7));
    await raw.close();
    expect(await relay.ended).toEqual({ kind: 'closed', by: 'peer' });
  });

  it(`resets a stream that sends more than ${MAX_BYTES_BEFORE_OPENED} bytes before its connection is open, and keeps the link`, async () => {
    // The executor is still asking where the job runs while the data comes.
    const { raw, received, target } = await hostileClient({ address: () => new Promise(() => undefined) });
    const chunk = new Uint8Array(32 * 1024);
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 1, port: target.port }, { kind: RecordKind.DATA, streamId: 1, data: chunk }, { kind: RecordKind.DATA, streamId: 1, data: chunk }, { kind: RecordKind.DATA, streamId: 1, data: chunk }));
    await received.waitFor((records) => records.some((record) => record.kind === RecordKind.RESET));
    expect(received.records[0]).toMatchObject({ kind: RecordKind.RESET, streamId: 1 });
    expect((received.records[0] as { reason: string }).reason).toContain(`at most ${MAX_BYTES_BEFORE_OPENED} may be sent ahead`);
    // The link stays: its other streams are not affected.
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 2, port: 22 }));
    await received.waitFor((records) => records.some((record) => record.kind === RecordKind.RESET && record.streamId === 2));
  });

  it('ends the link on OPENED from the client', async () => {
    const { raw, target } = await hostileClient();
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 1, port: target.port }, { kind: RecordKind.OPENED, streamId: 1 }));
    await expectEndedWith(raw, 'an unexpected OPENED for stream 1');
  });

  it('ends the link when a stream id is reused, and drops the stream’s connection', async () => {
    const { raw, relay, target } = await hostileClient();
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 3, port: target.port }));
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 2, port: target.port }));
    await expectEndedWith(raw, 'OPEN for stream 2, at or below an id already used (3)');
    await relay.ended;
    await Promise.all(target.sockets.map(socketClosed));
  });

  it('takes OPEN of stream 1 again as a new client session: the old streams are dropped, the link stays', async () => {
    const { raw, target, received } = await hostileClient();
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 1, port: target.port }, { kind: RecordKind.OPEN, streamId: 2, port: target.port }));
    await received.waitFor((records) => records.filter((record) => record.kind === RecordKind.OPENED).length === 2);
    while (target.sockets.length < 2) await new Promise((resolve) => setImmediate(resolve));
    const [first, second] = target.sockets;
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 1, port: target.port }));
    await Promise.all([socketClosed(first!), socketClosed(second!)]);
    await received.waitFor((records) => records.filter((record) => record.kind === RecordKind.OPENED).length === 3);
    while (target.sockets.length < 3) await new Promise((resolve) => setImmediate(resolve));
    expect(target.sockets[2]!.destroyed).toBe(false);
  });

  it('carries 200,000 one-byte DATA records of two interleaved streams intact (one socket write per stream and payload)', async () => {
    const { raw, target, received } = await hostileClient();
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 1, port: target.port }, { kind: RecordKind.OPEN, streamId: 2, port: target.port }));
    await received.waitFor((records) => records.filter((record) => record.kind === RecordKind.OPENED).length === 2);
    while (target.sockets.length < 2) await new Promise((resolve) => setImmediate(resolve));
    const got = target.sockets.map((socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      return new Promise<Buffer>((resolve) => socket.once('end', () => resolve(Buffer.concat(chunks))));
    });
    const count = 100_000;
    const bytes = new Uint8Array(2 * count * 10);
    const view = new DataView(bytes.buffer);
    for (let index = 0; index < 2 * count; index += 1) {
      view.setUint8(index * 10, RecordKind.DATA);
      view.setUint32(index * 10 + 1, (index % 2) + 1);
      view.setUint32(index * 10 + 5, 1);
      view.setUint8(index * 10 + 9, (index >> 1) % 251);
    }
    await raw.write(concatRecords([bytes, encodeRecord({ kind: RecordKind.END, streamId: 1 }), encodeRecord({ kind: RecordKind.END, streamId: 2 })]));
    const expected = Buffer.from(Array.from({ length: count }, (_, index) => index % 251));
    for (const body of await Promise.all(got)) expect(body.equals(expected)).toBe(true);
  });

  it('ends the link when a client grants credit beyond the window', async () => {
    const { raw, target, received } = await hostileClient();
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 1, port: target.port }));
    await received.waitFor((records) => records.some((record) => record.kind === RecordKind.OPENED));
    await raw.write(payload({ kind: RecordKind.CREDIT, streamId: 1, bytes: 1 }));
    await expectEndedWith(raw, `stream 1 was granted credit beyond its ${DEFAULT_WINDOW_BYTES}-byte window`);
  });

  it('ends the link when a client sends beyond its credit', async () => {
    const { raw, target } = await hostileClient();
    const chunk = new Uint8Array(MAX_DATA_BYTES);
    const records: ForwardRecord[] = [{ kind: RecordKind.OPEN, streamId: 1, port: target.port }];
    // One chunk more than the window allows.
    for (let index = 0; index <= DEFAULT_WINDOW_BYTES / MAX_DATA_BYTES; index += 1) records.push({ kind: RecordKind.DATA, streamId: 1, data: chunk });
    await raw.write(payload(...records));
    await expectEndedWith(raw, 'stream 1 sent 262144 bytes beyond its credit');
  });

  it('ends the link on DATA after END', async () => {
    const { raw, target } = await hostileClient();
    await raw.write(
      payload(
        { kind: RecordKind.OPEN, streamId: 1, port: target.port },
        { kind: RecordKind.END, streamId: 1 },
        { kind: RecordKind.DATA, streamId: 1, data: new Uint8Array([1]) },
      ),
    );
    await expectEndedWith(raw, 'DATA on stream 1 after its END');
  });

  it('refuses OPENs beyond maxStreams with a RESET each and keeps the link', async () => {
    const { raw, target, received } = await hostileClient({ maxStreams: 4 });
    const opens: ForwardRecord[] = [];
    for (let streamId = 1; streamId <= 10; streamId += 1) opens.push({ kind: RecordKind.OPEN, streamId, port: target.port });
    await raw.write(payload(...opens));
    await received.waitFor((records) => records.filter((record) => record.kind === RecordKind.OPENED).length === 4);
    await received.waitFor((records) => records.filter((record) => record.kind === RecordKind.RESET).length === 6);
    const resets = received.records.filter((record) => record.kind === RecordKind.RESET);
    expect(resets.map((record) => record.streamId)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(resets[0]).toMatchObject({ reason: "the job's side already relays 4 connections, its limit: close some and retry" });
    while (target.sockets.length < 4) await new Promise((resolve) => setImmediate(resolve));
    expect(target.sockets).toHaveLength(4);
    // Still usable: records for the refused streams (sent before the client heard) are ignored.
    await raw.write(payload({ kind: RecordKind.DATA, streamId: 7, data: new Uint8Array([1]) }));
    const oneEnded = Promise.race(target.sockets.map((socket) => new Promise<void>((resolve) => socket.once('end', resolve))));
    await raw.write(payload({ kind: RecordKind.END, streamId: 1 }));
    await oneEnded;
  });

  it('ends the link on an OPEN flood instead of queueing refusals without bound', async () => {
    const { raw, relay } = await hostileClient();
    // 200,000 OPENs to a port that is not allowed: each provokes a RESET of ~100 bytes.
    const opens = new Uint8Array(200_000 * 11);
    const view = new DataView(opens.buffer);
    for (let index = 0; index < 200_000; index += 1) {
      view.setUint8(index * 11, RecordKind.OPEN);
      view.setUint32(index * 11 + 1, index + 1);
      view.setUint32(index * 11 + 5, 2);
      view.setUint16(index * 11 + 9, 22);
    }
    await raw.write(opens);
    await expectEndedWith(raw, 'the peer provokes records faster than the link carries them (a flood)');
    await relay.ended;
  });
});

describe('the listener against a hostile relay', () => {
  async function hostileRelay() {
    const [clientLink, raw] = createMemoryLinkPair();
    const listener = await createForwardListener({ link: clientLink, remotePort: 8888, localPort: 0 });
    cleanups.push(() => listener.close());
    const received = collectRecords(raw);
    return { raw, listener, received };
  }

  it('ends the link when the relay sends OPEN', async () => {
    const { raw, listener } = await hostileRelay();
    await raw.write(payload({ kind: RecordKind.OPEN, streamId: 1, port: 22 }));
    await expectEndedWith(raw, 'the relay sent OPEN (stream 1)');
    expect(await listener.ended).toEqual({ kind: 'error', message: 'protocol error from the peer: the relay sent OPEN (stream 1)' });
  });

  it('ends the link on records for a stream it never opened, and closes the open connections', async () => {
    const { raw, listener, received } = await hostileRelay();
    const socket = await connectLocal(listener.port);
    await received.waitFor((records) => records.some((record) => record.kind === RecordKind.OPEN));
    await raw.write(payload({ kind: RecordKind.OPENED, streamId: 2 }));
    await expectEndedWith(raw, 'OPENED for stream 2, which was never opened');
    await socketClosed(socket);
  });
});
