// A client-side token bucket: the server allows 100 appends/s per process
// (burst 500) shared by both ends of a forward, so each end stays under its
// share instead of learning the limit from refusals.

/** Resolves after `ms`, or at once (false) when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (completed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;

  /** `rate` tokens per second up to `burst`; starts full. */
  constructor(rate: number, burst: number, now: () => number = () => performance.now()) {
    if (!(rate > 0) || !(burst >= 1)) throw new RangeError(`a token bucket needs rate > 0 and burst ≥ 1 (got ${rate}, ${burst})`);
    this.#rate = rate;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#refilledAt = now();
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#rate);
    this.#refilledAt = now;
  }

  /** Takes a token at once if there is one. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Waits for a token; false when `signal` aborted first. */
  async take(signal?: AbortSignal): Promise<boolean> {
    while (!this.tryTake()) {
      const wait = Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
      if (!(await delay(Math.max(1, wait), signal))) return false;
    }
    return true;
  }
}
