/**
 * A single-consumer async queue: the producer pushes without waiting, the
 * consumer iterates. Events pushed before iteration starts are kept, so a
 * caller may start iterating late (or only await the result) without losing
 * anything.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private iterated = false;

  push(value: T): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting({ value, done: false });
    } else {
      this.buffer.push(value);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated) throw new TypeError('[pollinator] [core] the events of a run can be iterated only once');
    this.iterated = true;
    return {
      next: () => {
        const value = this.buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        // The consumer stopped listening: drop what is buffered, keep the run going.
        this.buffer.length = 0;
        this.ended = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** What `runProject()`, `followProcess()` and `pullResults()` return: events to iterate, and the outcome. */
export interface PollinatorRun<Event, Result> extends AsyncIterable<Event> {
  /** Resolves when the run is over (after the last event). Rejects only on programming errors (bad options). */
  readonly result: Promise<Result>;
}

/**
 * Runs `body` at once, collecting what it emits; the last event is
 * `done(result)` when `done` is given. The channel ends when `body` settles.
 */
export function startRun<Event, Result>(
  body: (emit: (event: Event) => void) => Promise<Result>,
  done?: (result: Result) => Event,
): PollinatorRun<Event, Result> {
  const channel = new EventChannel<Event>();
  const result = (async () => {
    try {
      const value = await body((event) => channel.push(event));
      if (done !== undefined) channel.push(done(value));
      return value;
    } finally {
      channel.end();
    }
  })();
  // A caller that only iterates must not see an unhandled rejection warning twice.
  result.catch(() => undefined);
  return {
    result,
    [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
  };
}
