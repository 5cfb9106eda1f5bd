// The upper bounds the dev-server puts on what a request may carry (README:
// "Limits"). Every request comes from the network and may be hostile: a
// number that overflows int64 nanoseconds, a body that never ends or a
// payload nested ten thousand levels deep must get a 4xx naming the problem,
// never a crash or a 500. The bounds are generous enough for every real
// Colonies client (Pollinator's own spec limits are far below them).

/**
 * Default cap on one request body: larger bodies get 413 before they are
 * buffered. 20 MiB: a channel append of the largest payload the server takes
 * (10 MiB) is 18.6 MB on the wire (base64 inside base64).
 */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

/** Default time a client has to send a whole request body (slow-loris guard): then 408. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/** The int64 range, for values the protocol carries as exact int64 (`since`). */
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);

export const REQUEST_LIMITS = {
  /**
   * `maxwaittime`, `maxexectime` and `conditions.walltime`, in seconds (10
   * years). Deadlines are int64 nanoseconds: `now + seconds · 10⁹` must stay
   * below 2^63 − 1 (≈ year 2262), which it does for anything up to ~230 years.
   */
  durationSeconds: 315_360_000,
  /**
   * `timeout` of `assignprocessmsg` and of a `/pubsub` subscription, in
   * seconds: the longest a Node timer can wait (2^31 − 1 ms ≈ 24.8 days).
   */
  timeoutSeconds: 2_147_483,
  /** Nesting depth of a request payload (the message object itself is level 1). */
  jsonDepth: 64,
  /** Bytes of `conditions.mem`, `conditions.storage`, `availablemem`: Go's int64. */
  memoryBytes: INT64_MAX,
  /** Millicores of `conditions.cpu` and `availablecpu`. */
  cpuMillicores: Number.MAX_SAFE_INTEGER,
} as const;


/**
 * Bytes of JSON-encoded log messages one `getlogsmsg` / `searchlogsmsg` reply
 * carries at most (always at least one entry): `count` entries of a
 * megabyte-sized line each would make a reply too large to build or to read
 * (colonies-client takes 64 MiB by default; base64 adds a third), and block
 * the server while it is built. A client following logs with `since` gets the
 * rest with its next request.
 */
export const LOG_REPLY_BUDGET_BYTES = 32 * 1024 * 1024;
