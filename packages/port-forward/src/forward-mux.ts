// Many TCP streams over one forward link: reads the peer's records and hands
// each to its stream, batches our records into link writes, and holds the
// rules a hostile or broken peer must not break (record format, stream ids,
// credit, floods). Any breach ends the whole link with the reason; nothing
// from the peer can crash the process or make it buffer without bound.
import { describeLinkEnd, ForwardLinkError } from './link-errors';
import type { ForwardLink, LinkEnd } from './link-types';
import {
  concatRecords,
  decodeRecords,
  encodeRecord,
  type ForwardRecord,
  MAX_DATA_BYTES,
  RECORD_HEADER_BYTES,
  RecordDecodeError,
  RecordKind,
  recordKindName,
} from './forward-records';
import { ForwardStream, type StreamHost, type StreamOutcome } from './forward-stream';

/** Per-stream credit window: bytes one side may send before the other grants more. */
export const DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;
/** Streams one link carries at once. */
export const DEFAULT_MAX_STREAMS = 64;
/** Link bytes queued and not appended above which streams hold their data back. */
const CONGESTION_BYTES = 2 * 1024 * 1024;
/**
 * Queued bytes at which the peer is flooding: data is held back at
 * CONGESTION_BYTES, so only control records a peer provokes (RESETs for an
 * OPEN flood, …) can pile up this far.
 */
const FLOOD_BYTES = 8 * 1024 * 1024;

/** What a client's connection the relay does not know hears (the executor restarted in the middle of a forward). */
export const UNKNOWN_STREAM_REASON = 'the executor does not know this connection (it restarted while the forward was open): connect again';
/** Stream ids the relay remembers having reset as unknown (so a burst of DATA gets one RESET); forgets beyond. */
const MAX_REMEMBERED_RESETS = 1024;

/** The smallest write the streams need: the largest control record (a RESET with a full reason) and some data. */
const MIN_WRITE_BYTES = 4 * 1024;

export interface StreamMuxOptions {
  link: ForwardLink;
  /** The client opens streams; the relay answers them. */
  role: 'client' | 'relay';
  windowBytes?: number;
  /** Largest single link write (default 512 KiB, the channel link's default append size). */
  maxWriteBytes?: number;
  /** Relay: the peer asked for a stream to `port`; connect it or reset it. */
  onOpen?: (stream: ForwardStream) => void;
  /** Client: the relay connected the stream. */
  onOpened?: (stream: ForwardStream) => void;
  onFinished?: (stream: ForwardStream, outcome: StreamOutcome) => void;
}

export class StreamMux implements StreamHost {
  readonly windowBytes: number;
  readonly maxDataBytes: number;
  readonly socketLabel: string;
  /** Settles after every stream is torn down, with why the link ended. */
  readonly ended: Promise<LinkEnd>;
  private readonly link: ForwardLink;
  private readonly maxWriteBytes: number;
  private readonly streams = new Map<number, ForwardStream>();
  /** Client: the last id we opened; relay: the highest id the peer opened. Ids only grow. */
  private highestStreamId = 0;
  /** Relay: unknown stream ids already answered with a RESET. */
  private readonly resetUnknown = new Set<number>();
  private outbox: Uint8Array[] = [];
  private outboxBytes = 0;
  private flushScheduled = false;
  private linkDone = false;
  /** Why this side ended the link, when it did so because something failed. */
  private failure: string | undefined;

  constructor(private readonly options: StreamMuxOptions) {
    this.link = options.link;
    this.socketLabel = options.role === 'client' ? 'the local connection' : "the job's connection";
    this.windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
    this.maxWriteBytes = options.maxWriteBytes ?? 512 * 1024;
    if (!(this.maxWriteBytes >= MIN_WRITE_BYTES)) {
      throw new RangeError(`maxWriteBytes ${this.maxWriteBytes} is below ${MIN_WRITE_BYTES} (a RESET with its reason must fit one write)`);
    }
    this.maxDataBytes = Math.min(MAX_DATA_BYTES, this.maxWriteBytes - RECORD_HEADER_BYTES);
    this.ended = this.readLoop();
  }

  get congested(): boolean {
    return this.outboxBytes + this.link.pendingBytes > CONGESTION_BYTES;
  }

  /** True once the link has ended or is ending: no new stream can start. */
  get isEnded(): boolean {
    return this.linkDone;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Client: a new stream to `port`; the caller attaches its socket. */
  openStream(port: number): ForwardStream {
    this.highestStreamId += 1;
    const stream = new ForwardStream(this.highestStreamId, port, this);
    stream.holdCreditUntilOpened();
    this.streams.set(stream.id, stream);
    this.send({ kind: RecordKind.OPEN, streamId: stream.id, port });
    return stream;
  }

  /** Relay: the stream's socket is connected. */
  markOpened(stream: ForwardStream): void {
    if (stream.isDone) return;
    stream.opened = true;
    this.send({ kind: RecordKind.OPENED, streamId: stream.id });
  }

  /** Ends the link (the peer sees `end`, or `error` with the reason); streams close with it. */
  async close(reason?: string): Promise<LinkEnd> {
    await this.link.close(reason);
    return this.ended;
  }

  send(record: ForwardRecord): void {
    if (this.linkDone) return;
    const bytes = encodeRecord(record);
    this.outbox.push(bytes);
    this.outboxBytes += bytes.length;
    if (this.outboxBytes + this.link.pendingBytes > FLOOD_BYTES) {
      this.protocolError('the peer provokes records faster than the link carries them (a flood)');
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // One microtask later: every record of this turn goes out in as few writes as possible.
      queueMicrotask(() => this.flush());
    }
  }

  finished(stream: ForwardStream, outcome: StreamOutcome): void {
    this.streams.delete(stream.id);
    this.options.onFinished?.(stream, outcome);
  }

  protocolError(message: string): void {
    this.fail(`protocol error from the peer: ${message}`);
  }

  /** Ends the link because of a failure on this side of it; `ended` reports `{ kind: 'error', message }`. */
  private fail(message: string): void {
    if (this.linkDone) return;
    this.linkDone = true;
    this.failure = message;
    this.outbox = [];
    this.outboxBytes = 0;
    void this.link.close(message);
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.outbox.length > 0 && !this.linkDone) {
      const batch: Uint8Array[] = [];
      let size = 0;
      while (this.outbox.length > 0 && (batch.length === 0 || size + this.outbox[0]!.length <= this.maxWriteBytes)) {
        const record = this.outbox.shift()!;
        batch.push(record);
        size += record.length;
      }
      this.outboxBytes -= size;
      this.link.write(concatRecords(batch)).then(
        () => this.wakeStreams(),
        (error: unknown) => this.writeFailed(error),
      );
    }
  }

  /** A write the link refused: records are lost, so the streams cannot go on. Once the link has ended, `ended` says why. */
  private writeFailed(error: unknown): void {
    // The link ended (closed, process ended, refused): `ended` carries that reason, not this write.
    if (ForwardLinkError.isInstance(error) && error.code === 'FORWARD_LINK_ENDED') return;
    this.fail(`a write to the link failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** A write completed: streams held back by congestion may send again. */
  private wakeStreams(): void {
    if (this.linkDone || this.congested) return;
    for (const stream of this.streams.values()) {
      stream.pump();
      if (this.congested) return;
    }
  }

  private async readLoop(): Promise<LinkEnd> {
    try {
      for await (const payload of this.link.read()) {
        if (this.linkDone) break;
        this.dispatchPayload(payload);
      }
    } catch (error) {
      this.protocolError(`reading the link failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!this.linkDone) {
      // The link ended on its own (peer closed, process ended): make sure it is closed on our side too.
      this.linkDone = true;
      void this.link.close();
    }
    const linkEnd = await this.link.ended;
    // Our own close after a failure is the failure; any other end (the process ended meanwhile) stays as it is.
    const end: LinkEnd = this.failure !== undefined && linkEnd.kind === 'closed' && linkEnd.by === 'us' ? { kind: 'error', message: this.failure } : linkEnd;
    const reason = describeLinkEnd(end);
    for (const stream of [...this.streams.values()]) stream.abort(reason);
    return end;
  }

  private dispatchPayload(payload: Uint8Array): void {
    let records: ForwardRecord[];
    try {
      records = decodeRecords(payload);
    } catch (error) {
      if (error instanceof RecordDecodeError) return this.protocolError(error.message);
      throw error;
    }
    // DATA of one stream within a payload becomes one socket write: a peer sending many tiny records
    // cannot pile up one write request per byte. Other records of that stream keep their order.
    const held = new Map<number, Uint8Array[]>();
    const release = (streamId: number) => {
      const chunks = held.get(streamId);
      if (chunks === undefined) return;
      held.delete(streamId);
      this.dispatch({ kind: RecordKind.DATA, streamId, data: chunks.length === 1 ? chunks[0]! : concatRecords(chunks) });
    };
    for (const record of records) {
      if (this.linkDone) return;
      if (record.kind === RecordKind.DATA) {
        const chunks = held.get(record.streamId);
        if (chunks === undefined) held.set(record.streamId, [record.data]);
        else chunks.push(record.data);
        continue;
      }
      release(record.streamId);
      if (this.linkDone) return;
      this.dispatch(record);
    }
    for (const streamId of [...held.keys()]) {
      if (this.linkDone) return;
      release(streamId);
    }
  }

  private dispatch(record: ForwardRecord): void {
    if (record.kind === RecordKind.OPEN) return this.onOpenRecord(record.streamId, record.port);
    const stream = this.streams.get(record.streamId);
    if (stream === undefined) return this.onUnknownStream(record);
    switch (record.kind) {
      case RecordKind.OPENED:
        if (this.options.role === 'relay' || stream.opened) {
          return this.protocolError(`an unexpected OPENED for stream ${record.streamId}`);
        }
        stream.onOpened();
        this.options.onOpened?.(stream);
        return;
      case RecordKind.DATA:
        return stream.onData(record.data);
      case RecordKind.END:
        return stream.onEnd();
      case RecordKind.RESET:
        return stream.onReset(record.reason);
      case RecordKind.CREDIT:
        return stream.onCredit(record.bytes);
    }
  }

  /**
   * A record for a stream not open here. The client: a stream that ended may
   * still get records the relay sent before it heard; ids never used are a
   * breach. The relay: the client may be in the middle of a session this
   * relay never saw (the executor restarted and reads from the tail of the
   * log), so its connections get a RESET and the link stays; a RESET is
   * never answered, and each id is answered once.
   */
  private onUnknownStream(record: ForwardRecord): void {
    if (this.options.role === 'relay') {
      if (record.kind === RecordKind.RESET || this.resetUnknown.has(record.streamId)) return;
      if (this.resetUnknown.size >= MAX_REMEMBERED_RESETS) this.resetUnknown.clear();
      this.resetUnknown.add(record.streamId);
      this.send({ kind: RecordKind.RESET, streamId: record.streamId, reason: UNKNOWN_STREAM_REASON });
      return;
    }
    if (record.streamId > this.highestStreamId) {
      this.protocolError(`${recordKindName(record.kind)} for stream ${record.streamId}, which was never opened`);
    }
  }

  /**
   * Stream 1 again: a new client session on the same link. A client that
   * vanished without closing (killed, offline) leaves the executor's link
   * open; its next session continues the same channels with ids from 1. Only
   * the submitter can write there, so this drops nothing but its own streams.
   */
  private restartSession(): void {
    for (const stream of [...this.streams.values()]) stream.abort('the client opened the forward again (a new session)');
    this.highestStreamId = 0;
    this.resetUnknown.clear();
  }

  private onOpenRecord(streamId: number, port: number): void {
    if (this.options.role === 'client') return this.protocolError(`the relay sent OPEN (stream ${streamId})`);
    if (streamId === 1 && this.highestStreamId > 0) this.restartSession();
    else if (streamId <= this.highestStreamId) {
      return this.protocolError(`OPEN for stream ${streamId}, at or below an id already used (${this.highestStreamId})`);
    }
    this.highestStreamId = streamId;
    this.resetUnknown.delete(streamId);
    const stream = new ForwardStream(streamId, port, this);
    this.streams.set(streamId, stream);
    this.options.onOpen?.(stream);
  }
}
