// The shape of one direction-pair over a process's channels, as the streams
// layer (forward-listener, forward-relay) and the memory link for tests see it.
// Kept apart from link.ts so code that only moves records need not import the
// channel machinery.
import type { ChannelRefusal, ColoniesClient } from '@pollinator/colonies-client';

/** One forward's byte link: we send on our direction, read the peer's. */
export interface ForwardLink {
  /** Queues whole records (≤ maxAppendBytes); resolves once appended (the caller's backpressure). */
  write(records: Uint8Array): Promise<void>;
  /** The peer's payloads in sequence order, each a whole number of records; ends when the link ends. */
  read(): AsyncIterable<Uint8Array>;
  /** Bytes queued and not yet appended. */
  readonly pendingBytes: number;
  /** Sends `end` (or `error` with reason), stops reading; idempotent. */
  close(reason?: string): Promise<void>;
  /** Settles once the link has ended, never rejects. */
  readonly ended: Promise<LinkEnd>;
}

/** Why a link ended; every variant carries what the user needs to read. */
export type LinkEnd =
  | { kind: 'closed'; by: 'us' | 'peer'; reason?: string }
  | { kind: 'process-ended'; state: string }
  | { kind: 'refused'; refusal: ChannelRefusal; message: string }
  | { kind: 'limit'; message: string }
  | { kind: 'error'; message: string };

/** Which side of the process this end of the link is. */
export type LinkRole = 'submitter' | 'executor';

export interface ChannelLinkOptions {
  client: ColoniesClient;
  processId: string;
  role: LinkRole;
  /** Accept entries only from this id (else: the process's initiator / assigned executor). */
  peerId?: string;
  /** Largest single append (default 512 KiB); one write() is never split. */
  maxAppendBytes?: number;
  /** Appends in flight at once (default 4). */
  window?: number;
  /** Client-side token bucket rate (default 40/s) and burst (default 100). */
  appendsPerSecond?: number;
  burst?: number;
  signal?: AbortSignal;
  /** Plain-text notices for the user, e.g. "rate limited: waiting 200 ms". */
  onNotice?: (text: string) => void;
}
