// Orders a link's entries by sequence: the server neither checks nor orders
// sequence numbers, and appends in flight together may land in any order, so
// the reader keeps early ones until the gap before them is filled and drops
// anything it has already delivered or holds. What it holds is bounded: an
// honest peer has at most its window of appends in flight, so a peer that
// leaves far more (or far larger) entries waiting on a gap is breaking the
// protocol, and the link ends rather than the reader's memory growing.

/** How far ahead of the next expected sequence an entry may be; further is dropped (a stray or old entry). */
export const MAX_SEQUENCE_AHEAD = 65_536;
/** Entries held beyond a gap at most: four times the default window of 4 appends in flight. */
export const MAX_HELD_ENTRIES = 16;
/** Bytes held beyond a gap at most. */
export const MAX_HELD_BYTES = 8 * 1024 * 1024;

/** Thrown by `accept` when the held entries pass a limit; the link ends with its message. */
export class ReorderLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReorderLimitError';
  }
}

export interface ReorderLimits {
  maxHeldEntries: number;
  maxHeldBytes: number;
}

export class SequenceReorder<T> {
  #next: number;
  readonly #held = new Map<number, T>();
  readonly #sizeOf: (item: T) => number;
  readonly #limits: ReorderLimits;
  #heldBytes = 0;

  constructor(firstSequence = 1, sizeOf: (item: T) => number = () => 0, limits: Partial<ReorderLimits> = {}) {
    this.#next = firstSequence;
    this.#sizeOf = sizeOf;
    this.#limits = { maxHeldEntries: limits.maxHeldEntries ?? MAX_HELD_ENTRIES, maxHeldBytes: limits.maxHeldBytes ?? MAX_HELD_BYTES };
  }

  /** The next sequence to deliver. */
  get next(): number {
    return this.#next;
  }

  /** Sequences held beyond a gap. */
  get held(): number {
    return this.#held.size;
  }

  /** Bytes held beyond a gap. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** The lowest held sequence (there is a gap before it), if any. */
  get lowestHeld(): number | undefined {
    let lowest: number | undefined;
    for (const sequence of this.#held.keys()) if (lowest === undefined || sequence < lowest) lowest = sequence;
    return lowest;
  }

  /**
   * Accepts one entry; returns the entries now deliverable, in order (empty
   * for a duplicate, one too far ahead, or one after a gap). Throws
   * ReorderLimitError when holding it would pass the entry or byte limit.
   */
  accept(sequence: number, item: T): T[] {
    if (!Number.isSafeInteger(sequence) || sequence < this.#next || sequence > this.#next + MAX_SEQUENCE_AHEAD) return [];
    if (this.#held.has(sequence)) return [];
    const size = this.#sizeOf(item);
    if (sequence !== this.#next) this.#checkRoom(size);
    this.#held.set(sequence, item);
    this.#heldBytes += size;
    const ready: T[] = [];
    for (let item = this.#held.get(this.#next); item !== undefined; item = this.#held.get(this.#next)) {
      this.#held.delete(this.#next);
      this.#heldBytes -= this.#sizeOf(item);
      this.#next += 1;
      ready.push(item);
    }
    return ready;
  }

  #checkRoom(size: number): void {
    const { maxHeldEntries, maxHeldBytes } = this.#limits;
    if (this.#held.size + 1 > maxHeldEntries) {
      throw new ReorderLimitError(`the other side left more than ${maxHeldEntries} messages waiting behind a missing one (sequence ${this.#next}), more than it may have in flight`);
    }
    if (this.#heldBytes + size > maxHeldBytes) {
      throw new ReorderLimitError(`the other side left more than ${maxHeldBytes} bytes waiting behind a missing message (sequence ${this.#next}), more than it may have in flight`);
    }
  }
}
