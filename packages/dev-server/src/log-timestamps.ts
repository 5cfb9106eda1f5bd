// Log lines are ordered, and paged with `since`, by their timestamp: each must
// be later than every stored one, also across restarts and clock steps.
import type { NanoClock, Nanos } from './clock';

export class LogTimestamps {
  readonly #clock: NanoClock;
  #last: Nanos;

  /** `latestStored`: the newest timestamp already in the store. */
  constructor(clock: NanoClock, latestStored: Nanos) {
    this.#clock = clock;
    this.#last = latestStored;
  }

  /** A timestamp strictly after every earlier one. */
  next(): Nanos {
    this.#last = this.#clock.next(this.#last);
    return this.#last;
  }
}
