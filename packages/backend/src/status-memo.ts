import { isFinalJobStatus, type JobStatus } from './backend';

export interface JobStatusMemoOptions {
  /** Final statuses kept at most; the oldest are forgotten first (a long-running executor). Default 10,000. */
  maxFinal?: number;
  /** The clock, ms (tests inject one). Default `Date.now`. */
  now?: () => number;
}

/**
 * What a backend remembers about its jobs' statuses: the final status of each
 * job (a job never leaves a final state, and the platform may forget it: a
 * deleted Kubernetes Job, a Slurm record aged out), and the latest status
 * with when it was read, to answer frequent `status()` calls without asking
 * the platform each time.
 */
export class JobStatusMemo {
  readonly #finals = new Map<string, JobStatus>();
  readonly #latest = new Map<string, { at: number; status: JobStatus }>();
  readonly #maxFinal: number;
  readonly #now: () => number;

  constructor(options: JobStatusMemoOptions = {}) {
    this.#maxFinal = Math.max(1, options.maxFinal ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** The final status recorded for `key`, if any. */
  final(key: string): JobStatus | undefined {
    return this.#finals.get(key);
  }

  /** The latest status of `key` when it was recorded less than `maxAgeMs` ago (a final one at any age). */
  recent(key: string, maxAgeMs: number): JobStatus | undefined {
    const final = this.#finals.get(key);
    if (final) return final;
    const latest = this.#latest.get(key);
    return latest && this.#now() - latest.at < maxAgeMs ? latest.status : undefined;
  }

  /** The latest status recorded for `key`, however old (to ride out a platform hiccup). */
  latest(key: string): JobStatus | undefined {
    return this.#finals.get(key) ?? this.#latest.get(key)?.status;
  }

  /** Records `status` as the latest of `key`, and as its final one when it is final. Returns `status`. */
  record(key: string, status: JobStatus): JobStatus {
    if (isFinalJobStatus(status)) {
      this.#latest.delete(key);
      this.#finals.delete(key);
      this.#finals.set(key, status);
      if (this.#finals.size > this.#maxFinal) this.#finals.delete(this.#finals.keys().next().value!);
    } else {
      this.#latest.set(key, { at: this.#now(), status });
    }
    return status;
  }

  /** Forgets the latest (not final) status of `key`, so the next `recent` asks the platform. */
  invalidate(key: string): void {
    this.#latest.delete(key);
  }

  /** Forgets everything about `key`. */
  forget(key: string): void {
    this.#latest.delete(key);
    this.#finals.delete(key);
  }

  clear(): void {
    this.#latest.clear();
    this.#finals.clear();
  }
}
