// Wall-clock time in int64 nanoseconds, the unit the Colonies server uses for
// log timestamps and process priority times, plus RFC 3339 formatting.

import { INT64_MAX } from './request-limits';

const NANOS_PER_MILLI = 1_000_000n;

/** Nanoseconds since the Unix epoch; 0 means "unset" (Go's zero time). */
export type Nanos = bigint;

/**
 * A monotonic nanosecond wall clock: anchored to `Date.now()` once, advanced
 * with `process.hrtime`, so consecutive readings never go backwards (a log
 * cursor `since` relies on it) and carry sub-millisecond precision.
 */
export class NanoClock {
  readonly #base: bigint;
  #last = 0n;

  constructor() {
    this.#base = BigInt(Date.now()) * NANOS_PER_MILLI - process.hrtime.bigint();
  }

  now(): Nanos {
    return this.#base + process.hrtime.bigint();
  }

  /** A reading strictly greater than every earlier `next()`: unique log timestamps. */
  next(floor: Nanos = 0n): Nanos {
    let value = this.now();
    if (value <= this.#last) value = this.#last + 1n;
    if (value <= floor) value = floor + 1n;
    this.#last = value;
    return value;
  }
}

const UNSET_TIME = '0001-01-01T00:00:00Z';

/**
 * Formats like Go's `time.Time` JSON (RFC 3339, trailing fractional zeros
 * dropped) in UTC. `precision` is the number of fractional digits kept before
 * trimming: 6 matches values read back from PostgreSQL, 9 values echoed from memory.
 */
export function formatTime(nanos: Nanos, precision: 6 | 9 = 6): string {
  if (nanos === 0n) return UNSET_TIME;
  const millis = nanos / NANOS_PER_MILLI;
  const iso = new Date(Number(millis)).toISOString(); // 2026-11-25T08:23:40.155Z
  const subSecond = nanos % 1_000_000_000n;
  let fraction = subSecond.toString().padStart(9, '0').slice(0, precision);
  fraction = fraction.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

/** Parses an RFC 3339 time (any offset); year 1 and unparsable input give 0 (unset). */
export function parseTime(text: unknown): Nanos {
  if (typeof text !== 'string' || text === '') return 0n;
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return 0n;
  if (match[1] === '0001') return 0n;
  const millis = Date.parse(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}${match[8]}`);
  if (Number.isNaN(millis)) return 0n;
  const fraction = BigInt((match[7] ?? '').padEnd(9, '0') || '0');
  return BigInt(millis) * NANOS_PER_MILLI + fraction;
}

export const SECOND: bigint = 1_000_000_000n;

/**
 * `base + seconds`, saturated at int64's maximum: deadlines are stored as
 * int64 nanoseconds, and SQLite refuses (with a RangeError) anything larger.
 * A saturated deadline lies in the year 2262, which means "never" here.
 */
export function addSeconds(base: Nanos, seconds: number | bigint): Nanos {
  const sum = base + BigInt(seconds) * SECOND;
  return sum > INT64_MAX ? INT64_MAX : sum;
}
