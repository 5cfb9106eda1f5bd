// One TCP connection carried over a forward link, with its credit flow
// control. Each side may send a stream at most `windowBytes` that the other
// has not yet written out to its socket; the receiver grants bytes back
// (CREDIT) once its socket took them. A slow reader therefore stops only its
// own stream's sender: the socket whose peer has no credit left is paused,
// every other stream keeps flowing, and no side buffers more than one window
// per stream.
import type { Socket } from 'node:net';
import { type ForwardRecord, RecordKind } from './forward-records';

/**
 * DATA a stream holds before its socket is attached (the relay still
 * connecting): a client may send ahead, but 64 streams × a full window would
 * be 256 MiB per relay, so beyond this the stream is reset.
 */
export const MAX_BYTES_BEFORE_OPENED = 64 * 1024;

/** How a stream finished: both halves closed cleanly, or reset (by us, the peer, or the link ending). */
export type StreamOutcome = { kind: 'closed' } | { kind: 'reset'; by: 'us' | 'peer' | 'link'; reason: string };

/** What a stream needs from the multiplexer that owns it. */
export interface StreamHost {
  send(record: ForwardRecord): void;
  /** True while the link has too many bytes queued: streams hold their data back. */
  readonly congested: boolean;
  readonly windowBytes: number;
  readonly maxDataBytes: number;
  /** What this side's sockets are, for reasons: "the local connection" / "the job's connection". */
  readonly socketLabel: string;
  finished(stream: ForwardStream, outcome: StreamOutcome): void;
  protocolError(message: string): void;
}

export class ForwardStream {
  /** Client: OPENED received; relay: OPENED sent. */
  opened = false;
  private socket: Socket | undefined;
  /** Bytes we may still send the peer. */
  private sendCredit: number;
  /** Client: credit held back until OPENED. */
  private creditAfterOpened = 0;
  /** Bytes the peer may still send us (granted and not used). */
  private receiveRemaining: number;
  /** Bytes our socket took that we have not granted back yet (sent in batches). */
  private grantPending = 0;
  /** Bytes read from our socket, waiting for credit or a less busy link. */
  private readonly outgoing: Uint8Array[] = [];
  /** DATA that arrived before the socket was attached (the relay still connecting). */
  private inbound: Uint8Array[] = [];
  private inboundBytes = 0;
  private localEnded = false;
  private endSent = false;
  private peerEnded = false;
  private socketClosed = false;
  private socketError: string | undefined;
  private done = false;

  constructor(
    readonly id: number,
    readonly port: number,
    private readonly host: StreamHost,
  ) {
    this.sendCredit = host.windowBytes;
    this.receiveRemaining = host.windowBytes;
  }

  /**
   * Client: until OPENED, sends at most MAX_BYTES_BEFORE_OPENED (what the
   * relay holds for a stream still connecting); the rest of the window follows.
   */
  holdCreditUntilOpened(): void {
    const limited = Math.min(this.sendCredit, MAX_BYTES_BEFORE_OPENED);
    this.creditAfterOpened += this.sendCredit - limited;
    this.sendCredit = limited;
  }

  /** Client: the relay connected; the rest of the window may go. */
  onOpened(): void {
    this.opened = true;
    this.sendCredit += this.creditAfterOpened;
    this.creditAfterOpened = 0;
    this.pump();
  }

  get isDone(): boolean {
    return this.done;
  }

  /** Connects the stream to its TCP socket; false (and the socket destroyed) when the stream already ended. */
  attach(socket: Socket): boolean {
    if (this.done) {
      socket.destroy();
      return false;
    }
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('end', () => {
      this.localEnded = true;
      this.pump();
    });
    socket.on('error', (error: Error) => {
      this.socketError ??= error.message;
    });
    socket.on('close', () => this.onSocketClose());
    for (const data of this.inbound) this.writeToSocket(data);
    this.inbound = [];
    this.inboundBytes = 0;
    if (this.peerEnded) socket.end();
    return true;
  }

  onData(data: Uint8Array): void {
    if (this.peerEnded) return this.host.protocolError(`DATA on stream ${this.id} after its END`);
    this.receiveRemaining -= data.length;
    if (this.receiveRemaining < 0) {
      return this.host.protocolError(`stream ${this.id} sent ${-this.receiveRemaining} bytes beyond its credit`);
    }
    if (this.socket !== undefined) return this.writeToSocket(data);
    this.inboundBytes += data.length;
    if (this.inboundBytes > MAX_BYTES_BEFORE_OPENED) {
      this.inbound = [];
      return this.reset(`${this.inboundBytes} bytes arrived before the connection was open; at most ${MAX_BYTES_BEFORE_OPENED} may be sent ahead`);
    }
    this.inbound.push(data);
  }

  onEnd(): void {
    if (this.peerEnded) return this.host.protocolError(`a second END on stream ${this.id}`);
    this.peerEnded = true;
    this.socket?.end();
    this.maybeFinish();
  }

  onCredit(bytes: number): void {
    if (this.sendCredit + this.creditAfterOpened + bytes > this.host.windowBytes) {
      return this.host.protocolError(`stream ${this.id} was granted credit beyond its ${this.host.windowBytes}-byte window`);
    }
    this.sendCredit += bytes;
    this.pump();
  }

  onReset(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.socket?.destroy();
    this.host.finished(this, { kind: 'reset', by: 'peer', reason });
  }

  /** Ends the stream and tells the peer why. */
  reset(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.host.send({ kind: RecordKind.RESET, streamId: this.id, reason });
    this.socket?.destroy();
    this.host.finished(this, { kind: 'reset', by: 'us', reason });
  }

  /** The link is gone: drop the socket without telling the peer (there is no peer any more). */
  abort(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.socket?.destroy();
    this.host.finished(this, { kind: 'reset', by: 'link', reason });
  }

  /** Sends what credit and the link allow; pauses the socket while anything is held back. */
  pump(): void {
    if (this.done) return;
    while (this.outgoing.length > 0 && this.sendCredit > 0 && !this.host.congested) {
      const head = this.outgoing[0]!;
      const size = Math.min(head.length, this.sendCredit, this.host.maxDataBytes);
      if (size === head.length) this.outgoing.shift();
      else this.outgoing[0] = head.subarray(size);
      this.sendCredit -= size;
      this.host.send({ kind: RecordKind.DATA, streamId: this.id, data: head.subarray(0, size) });
    }
    if (this.outgoing.length > 0) {
      this.socket?.pause();
      return;
    }
    if (!this.localEnded) {
      this.socket?.resume();
      return;
    }
    if (!this.endSent) {
      this.endSent = true;
      this.host.send({ kind: RecordKind.END, streamId: this.id });
      this.maybeFinish();
    }
  }

  private onSocketData(chunk: Buffer): void {
    if (this.done) return;
    this.outgoing.push(chunk);
    this.pump();
  }

  private writeToSocket(data: Uint8Array): void {
    this.socket!.write(data, (error) => {
      if (error === undefined || error === null) this.grant(data.length);
    });
  }

  private grant(bytes: number): void {
    if (this.done || this.peerEnded) return;
    this.grantPending += bytes;
    // Batched: a quarter window keeps the sender busy without one CREDIT per write.
    // Deadlock-free: the sender can only run dry when a full window is ungranted here.
    if (this.grantPending >= this.host.windowBytes / 4) {
      const granted = this.grantPending;
      this.grantPending = 0;
      this.receiveRemaining += granted;
      this.host.send({ kind: RecordKind.CREDIT, streamId: this.id, bytes: granted });
    }
  }

  private onSocketClose(): void {
    this.socketClosed = true;
    if (this.done) return;
    // A clean close: our EOF came (END goes out once the held-back bytes have) and the peer's END was written.
    if (this.localEnded && this.peerEnded && this.socketError === undefined) {
      this.maybeFinish();
      return;
    }
    const which = this.host.socketLabel;
    this.reset(this.socketError === undefined ? `${which} closed before both sides finished` : `${which} failed: ${this.socketError}`);
  }

  private maybeFinish(): void {
    if (this.done || !this.endSent || !this.peerEnded || !this.socketClosed) return;
    this.done = true;
    this.host.finished(this, { kind: 'closed' });
  }
}
