// Process channels, in memory only, as the v1.9.12 server keeps them
// (pkg/channel/router.go; recorded behaviour in test-utils
// fixtures/rpc-v1.9.12-extra/12-channels.json): a channel per name the spec
// declares, sequenced entries from the process's submitter and its assigned
// executor, a token bucket per process, and everything deleted when the
// process closes.
import { CHANNEL_LIMITS } from '@pollinator/colonies-client';
import { ProcessState } from './model';
import { RpcError } from './rpc-error';

// The server's constants (pkg/constants of v1.9.12): one table, which the client also checks against.
export { CHANNEL_LIMITS };

export type ChannelLimits = { -readonly [key in keyof typeof CHANNEL_LIMITS]: number };

export interface ChannelEntry {
  sequence: number;
  inreplyto: number;
  /** Nanoseconds since the epoch (the JSON shows RFC 3339 with 9 digits). */
  timestamp: bigint;
  senderid: string;
  /** null: the append had no payload. */
  payload: Buffer | null;
  type: string;
}

/** Told about each entry appended to the channel it listens to, and when the channel is gone. */
export interface ChannelListener {
  entry(entry: ChannelEntry): void;
  gone(): void;
}

interface ProcessChannels {
  logs: Map<string, ChannelEntry[]>;
  listeners: Map<string, Set<ChannelListener>>;
  tokens: number;
  refilledAt: number;
  /** The bucket is created full on the process's first append. */
  bucketStarted: boolean;
  /** CANCELLED deletes the logs once; declared channels are then re-created empty on demand. */
  wipedForCancel: boolean;
}

export interface ChannelProcess {
  processid: string;
  state: bigint | number;
  /** The channel names the spec declares. */
  declared: readonly string[];
}

const notFound = () => new RpcError(404, 'Channel not found');

export class ChannelRouter {
  readonly #processes = new Map<string, ProcessChannels>();
  readonly #now: () => number;
  readonly #limits: Partial<ChannelLimits>;

  /**
   * `limits` overrides the server's constants; the object is read on every
   * call, so a test can lift the rate limit for a while (filling a log of
   * 10,000 entries at 100 appends/s would take 100 s).
   */
  constructor(options: { limits?: Partial<ChannelLimits>; now?: () => number } = {}) {
    this.#limits = options.limits ?? {};
    this.#now = options.now ?? (() => performance.now());
  }

  #limit(key: keyof ChannelLimits): number {
    return this.#limits[key] ?? CHANNEL_LIMITS[key];
  }

  /** The largest payload one append may carry, bytes. */
  get maxPayloadBytes(): number {
    return this.#limit('maxPayloadBytes');
  }

  /**
   * The log of a channel, created when the spec declares it (lazily: the real
   * server creates the first 100 at submit, which is the same to a client).
   * After SUCCESS/FAILED channels are gone for good; after CANCELLED the old
   * entries are gone and a declared channel starts again empty.
   */
  log(process: ChannelProcess, name: string): ChannelEntry[] {
    const state = Number(process.state);
    if (state === ProcessState.SUCCESS || state === ProcessState.FAILED) {
      this.forget(process.processid);
      throw notFound();
    }
    let channels = this.#processes.get(process.processid);
    if (state === ProcessState.CANCELLED && channels !== undefined && !channels.wipedForCancel) {
      this.#end(channels);
      channels.logs.clear();
      channels.wipedForCancel = true;
    }
    const existing = channels?.logs.get(name);
    if (existing !== undefined) return existing;
    const index = process.declared.indexOf(name);
    if (name === '' || index < 0) throw notFound();
    if (index >= this.#limit('maxChannels')) throw new RpcError(500, 'process has too many channels');
    if (channels === undefined) {
      channels = { logs: new Map(), listeners: new Map(), tokens: 0, refilledAt: 0, bucketStarted: false, wipedForCancel: false };
      this.#processes.set(process.processid, channels);
    }
    channels.wipedForCancel ||= state === ProcessState.CANCELLED;
    const log: ChannelEntry[] = [];
    channels.logs.set(name, log);
    return log;
  }

  /** Takes one token of the process's bucket (500 burst, 100/s), or refuses. */
  takeToken(processId: string): void {
    const channels = this.#processes.get(processId);
    if (channels === undefined) return;
    const now = this.#now();
    if (!channels.bucketStarted) {
      channels.bucketStarted = true;
      channels.tokens = this.#limit('appendBurst');
    } else {
      const refill = ((now - channels.refilledAt) / 1000) * this.#limit('appendsPerSecond');
      channels.tokens = Math.min(this.#limit('appendBurst'), channels.tokens + refill);
    }
    channels.refilledAt = now;
    if (channels.tokens < 1) throw new RpcError(500, 'rate limit exceeded');
    channels.tokens -= 1;
  }

  /**
   * Appends in the server's order: one sender's entries by sequence, different
   * senders by time. The new entry is the newest, so it moves back only past
   * later-sequenced entries of its own sender.
   */
  append(processId: string, name: string, log: ChannelEntry[], entry: ChannelEntry): void {
    if (log.length >= this.#limit('maxEntries')) throw new RpcError(500, 'channel log is full');
    let index = log.length;
    while (index > 0) {
      const before = log[index - 1]!;
      if (before.senderid !== entry.senderid || before.sequence <= entry.sequence) break;
      index -= 1;
    }
    log.splice(index, 0, entry);
    for (const listener of this.#processes.get(processId)?.listeners.get(name) ?? []) listener.entry(entry);
  }

  /** Live entries of one channel until `unlisten`; `gone` when the process closes. */
  listen(processId: string, name: string, listener: ChannelListener): () => void {
    const channels = this.#processes.get(processId);
    if (channels === undefined) return () => undefined;
    let set = channels.listeners.get(name);
    if (set === undefined) channels.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** The process changed state or was removed: closing states delete its channels. */
  processChanged(processId: string, state: number | undefined): void {
    if (state === ProcessState.WAITING || state === ProcessState.RUNNING) return;
    const channels = this.#processes.get(processId);
    if (channels === undefined) return;
    if (state === ProcessState.CANCELLED) {
      if (channels.wipedForCancel) return;
      this.#end(channels);
      channels.logs.clear();
      channels.wipedForCancel = true;
      return;
    }
    this.forget(processId);
  }

  forget(processId: string): void {
    const channels = this.#processes.get(processId);
    if (channels === undefined) return;
    this.#processes.delete(processId);
    this.#end(channels);
  }

  /** Channels held in memory (tests, statistics). */
  get processCount(): number {
    return this.#processes.size;
  }

  #end(channels: ProcessChannels): void {
    for (const set of channels.listeners.values()) for (const listener of [...set]) listener.gone();
    channels.listeners.clear();
  }
}
