/**
 * The envelope of every line `--json` prints: the object itself plus
 * `schemaVersion` (of the event contract, `packages/cli/schema/events.schema.json`)
 * and `time` (when the line was written, RFC 3339 UTC with milliseconds).
 * A consumer checks `schemaVersion` once and can order or time any line.
 *
 * Bump the version only for an incompatible change (a field removed or its
 * meaning changed); new event types and new optional fields keep it.
 */
export const JSON_SCHEMA_VERSION = 1;

/** `value` with `schemaVersion` and `time` added; `type` stays the first key. */
export function jsonEnvelope(value: unknown, now: Date = new Date()): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const { type, ...rest } = value as Record<string, unknown>;
  return {
    ...(type === undefined ? {} : { type }),
    schemaVersion: JSON_SCHEMA_VERSION,
    time: now.toISOString(),
    ...rest,
  };
}
