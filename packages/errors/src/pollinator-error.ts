import { POLLINATOR_ERROR_MARKER } from './error-marker';

/** Structured facts about a failure (ids, limits, paths): never keys or secrets. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface PollinatorErrorOptions {
  /** Structured facts a caller may act on; the message stays for humans. */
  details?: ErrorDetails;
  /** The underlying failure, kept as the standard `Error.cause`. */
  cause?: unknown;
}

/**
 * The one base of every error a Pollinator package throws. Match on `code`
 * (stable, documented by each package) and on the class through `isInstance`,
 * never on message text or `instanceof` (which fails across duplicate copies
 * of a package). Each subclass gets its own marker from `defineErrorMarker`.
 */
export class PollinatorError extends Error {
  /** Stable identifier of the failure, e.g. `CRYPTO_INVALID_HEX`: part of the public API. */
  readonly code: string;
  /** Present only when the thrower gave some. */
  declare readonly details?: ErrorDetails;

  constructor(code: string, message: string, options: PollinatorErrorOptions = {}) {
    // No `cause` key at all when there is none: `'cause' in error` stays meaningful.
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PollinatorError';
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
    POLLINATOR_ERROR_MARKER.mark(this);
  }

  /** True for any Pollinator error, from any copy of any package and any realm. */
  static isInstance(value: unknown): value is PollinatorError {
    return POLLINATOR_ERROR_MARKER.isMarked(value);
  }
}
