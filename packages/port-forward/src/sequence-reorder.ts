// Orders a link's entries by sequence: the server neither checks nor orders
// sequence numbers, and appends in flight together may land in any order, so
// the reader keeps early ones until the gap before them is filled and drops
// anything it has already delivered or holds.

/** How far ahead of the next expected sequence an entry may be; further is dropped (bounds memory). */
export const MAX_SEQUENCE_AHEAD = 65_536;

export class SequenceReorder<T> {
  #next: number;
  readonly #held = new Map<number, T>();

  constructor(firstSequence = 1) {
    this.#next = firstSequence;
  }

  /** The next sequence to deliver. */
  get next(): number {
    return this.#next;
  }

  /** Sequences held beyond a gap. */
  get held(): number {
    return this.#held.size;
  }

  /** The lowest held sequence (there is a gap before it), if any. */
  get lowestHeld(): number | undefined {
    let lowest: number | undefined;
    for (const sequence of this.#held.keys()) if (lowest === undefined || sequence < lowest) lowest = sequence;
    return lowest;
  }

  /**
   * Accepts one entry; returns the entries now deliverable, in order (empty
   * for a duplicate, one too far ahead, or one after a gap).
   */
  accept(sequence: number, item: T): T[] {
    if (!Number.isSafeInteger(sequence) || sequence < this.#next || sequence > this.#next + MAX_SEQUENCE_AHEAD) return [];
    if (this.#held.has(sequence)) return [];
    this.#held.set(sequence, item);
    const ready: T[] = [];
    for (let item = this.#held.get(this.#next); item !== undefined; item = this.#held.get(this.#next)) {
      this.#held.delete(this.#next);
      this.#next += 1;
      ready.push(item);
    }
    return ready;
  }
}
