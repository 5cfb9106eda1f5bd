// The received side of a link as an async iterable: payloads are pushed as
// they arrive in order; one reader pulls them; ending lets it drain first.

export class PayloadQueue {
  readonly #items: Uint8Array[] = [];
  #waiter: ((result: IteratorResult<Uint8Array>) => void) | undefined;
  #ended = false;
  #iterated = false;

  push(payload: Uint8Array): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter({ value: payload, done: false });
    } else this.#items.push(payload);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  /** One reader: a second call would split the stream between two readers. */
  iterate(): AsyncIterable<Uint8Array> {
    if (this.#iterated) throw new Error('a forward link has one reader: read() was already called');
    this.#iterated = true;
    const next = (): Promise<IteratorResult<Uint8Array>> => {
      const item = this.#items.shift();
      if (item !== undefined) return Promise.resolve({ value: item, done: false });
      if (this.#ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (this.#waiter = resolve));
    };
    return { [Symbol.asyncIterator]: () => ({ next, return: () => Promise.resolve({ value: undefined, done: true }) }) };
  }
}
