/**
 * Turns a job's output chunks (arbitrary boundaries, from `Backend.logs`) into
 * `addlogmsg` batches:
 *
 * - a batch ends at a newline, so a message never cuts a line in two unless
 *   one line alone is longer than `maxBatchBytes` (then it is cut at the cap,
 *   on a character boundary);
 * - a batch is at most `maxBatchBytes` of UTF-8;
 * - after a quiet period complete lines are sent at once; during a burst
 *   they are batched and sent at most `flushIntervalMs` after they arrive; a
 *   trailing partial line waits for its newline up to `partialLineMs`;
 * - `close()` sends everything that is left, partial line included, before it
 *   resolves — the runtime calls it before closing the process, so the tail
 *   of the output is never lost (a bug of the original HPC and Kube executors).
 *
 * Each batch carries the backend cursor just after the last chunk it fully
 * contains, so the runtime can persist how far the output was delivered.
 */
import type { LogCursor } from './backend';

export interface LogBatch {
  text: string;
  /** Cursor after the last whole chunk this batch completes, or undefined when it ends inside a chunk. */
  cursor: LogCursor | undefined;
}

export interface LogBatcherOptions {
  /** Upper bound of one message in UTF-8 bytes (default 64 KiB). */
  maxBatchBytes?: number;
  /** Delay before complete lines are sent (default 250 ms). */
  flushIntervalMs?: number;
  /** How long a partial last line waits for its newline (default 1000 ms). */
  partialLineMs?: number;
  /** Sends one batch; batches are sent one at a time, in order. */
  send: (batch: LogBatch) => Promise<void>;
}

const encoder = new TextEncoder();

/** Index just after the longest prefix of `text` that fits in `maxBytes` of UTF-8 (never splitting a surrogate pair). */
function prefixWithinBytes(text: string, maxBytes: number): number {
  if (encoder.encode(text).length <= maxBytes) return text.length;
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.codePointAt(index)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    index += code >= 0x10000 ? 2 : 1;
  }
  return Math.max(index, 1);
}

export class LogBatcher {
  readonly #maxBytes: number;
  readonly #flushIntervalMs: number;
  readonly #partialLineMs: number;
  readonly #send: (batch: LogBatch) => Promise<void>;
  #pending = '';
  /** End offsets (in `#pending`) of the chunks it holds, with their cursors. */
  #marks: { end: number; cursor: LogCursor }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #partialSince: number | undefined;
  #sending: Promise<void> = Promise.resolve();
  #lastEmit = 0;
  #error: Error | undefined;

  constructor(options: LogBatcherOptions) {
    this.#maxBytes = options.maxBatchBytes ?? 64 * 1024;
    this.#flushIntervalMs = options.flushIntervalMs ?? 250;
    this.#partialLineMs = options.partialLineMs ?? 1000;
    this.#send = options.send;
  }

  /** Adds a chunk of output. Rejects when an earlier send failed. */
  push(text: string, cursor: LogCursor): void {
    if (this.#error !== undefined) throw this.#error;
    if (text === '') {
      this.#marks.push({ end: this.#pending.length, cursor });
      return;
    }
    this.#pending += text;
    this.#marks.push({ end: this.#pending.length, cursor });
    if (encoder.encode(this.#pending).length >= this.#maxBytes) this.#drain(false);
    else this.#schedule();
  }

  /** Sends everything, partial last line included, and waits for the sends. */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#drain(true);
    await this.#sending;
    if (this.#error !== undefined) throw this.#error;
  }

  /** Waits for the sends queued so far (not for the pending text). */
  async idle(): Promise<void> {
    await this.#sending;
  }

  #schedule(): void {
    if (this.#timer) return;
    // Leading edge: after a quiet period, complete lines go out at once (the
    // first line of a job is not delayed); during a burst they are batched.
    if (Date.now() - this.#lastEmit >= this.#flushIntervalMs) {
      this.#drain(false);
      if (this.#pending === '') return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain(false);
      if (this.#pending !== '') this.#schedule();
    }, this.#flushIntervalMs);
  }

  /** Cuts batches off `#pending` and queues them. */
  #drain(all: boolean): void {
    while (this.#pending !== '') {
      const capIndex = prefixWithinBytes(this.#pending, this.#maxBytes);
      const overCap = capIndex < this.#pending.length;
      const lastNewline = this.#pending.slice(0, capIndex).lastIndexOf('\n');
      let cut: number;
      if (overCap) {
        // Over the cap: end at the last newline within it, else cut at the cap.
        cut = lastNewline >= 0 ? lastNewline + 1 : capIndex;
      } else if (all) {
        cut = this.#pending.length;
      } else if (lastNewline >= 0) {
        // Complete lines (a partial last line stays pending).
        cut = lastNewline + 1;
      } else {
        // Only a partial line: wait for its newline, but not for ever.
        this.#partialSince ??= Date.now();
        if (Date.now() - this.#partialSince < this.#partialLineMs) return;
        cut = this.#pending.length;
      }
      this.#emit(cut);
    }
  }

  #emit(cut: number): void {
    const text = this.#pending.slice(0, cut);
    this.#pending = this.#pending.slice(cut);
    let cursor: LogCursor | undefined;
    const rest: { end: number; cursor: LogCursor }[] = [];
    for (const mark of this.#marks) {
      if (mark.end <= cut) cursor = mark.cursor;
      else rest.push({ end: mark.end - cut, cursor: mark.cursor });
    }
    this.#marks = rest;
    this.#partialSince = undefined;
    this.#lastEmit = Date.now();
    const batch: LogBatch = { text, cursor };
    this.#sending = this.#sending.then(async () => {
      if (this.#error !== undefined) return;
      try {
        await this.#send(batch);
      } catch (error) {
        this.#error = error instanceof Error ? error : new Error(String(error));
      }
    });
  }
}
