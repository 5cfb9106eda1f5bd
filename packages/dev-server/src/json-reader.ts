// Go's encoding/json decoding rules for request payloads: a missing or null
// field is the zero value, unknown fields are ignored, and a value of the
// wrong type fails the whole message ("invalid JSON"). Integers must be
// exact: beyond ±(2^53 − 1) a JavaScript number has lost digits, so such a
// value is refused (400, naming the field) unless the field is an exact int64
// read by `int64` from the lossless request parser.
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';
import { INT64_MAX, INT64_MIN } from './request-limits';

const INVALID_JSON_ERROR = defineErrorMarker<InvalidJsonError>('InvalidJsonError');

/** Thrown when a payload does not decode into the message's Go struct. */
export class InvalidJsonError extends PollinatorError {
  declare readonly code: 'INVALID_JSON';
  /** The offending field, when one is to blame. */
  readonly field?: string;

  constructor(detail: string, field?: string) {
    super('INVALID_JSON', detail);
    this.name = 'InvalidJsonError';
    this.field = field;
    INVALID_JSON_ERROR.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is InvalidJsonError {
    return INVALID_JSON_ERROR.isMarked(value);
  }
}

export type JsonObject = Record<string, unknown>;

function typeError(key: string, expected: string): InvalidJsonError {
  return new InvalidJsonError(`field ${key}: expected ${expected}`, key);
}

export function str(source: JsonObject | null | undefined, key: string): string {
  const value = source?.[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw typeError(key, 'string');
  return value;
}

export function int(source: JsonObject | null | undefined, key: string): number {
  const value = source?.[key];
  if (value === undefined || value === null) return 0;
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw unsafe(key);
    return Number(value);
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(key, 'integer');
  if (!Number.isSafeInteger(value)) throw unsafe(key);
  return value;
}

function unsafe(key: string): InvalidJsonError {
  return new InvalidJsonError(`field ${key}: integer outside ±(2^53 - 1)`, key);
}

/** An integer in `[min, max]` (a documented limit, see request-limits.ts). */
export function boundedInt(
  source: JsonObject | null | undefined,
  key: string,
  min: number,
  max: number,
): number {
  const value = int(source, key);
  if (value < min || value > max) {
    throw new InvalidJsonError(`field ${key}: ${value} is outside the allowed range [${min}, ${max}]`, key);
  }
  return value;
}

/** An int64 that may exceed 2^53 (bigint from the lossless request parser). */
export function int64(source: JsonObject | null | undefined, key: string): bigint {
  const value = source?.[key];
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'bigint') {
    if (value > INT64_MAX || value < INT64_MIN) throw new InvalidJsonError(`field ${key}: integer outside int64`, key);
    return value;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(key, 'integer');
  // Plain digits arrive as bigint; a number here was written with an exponent
  // or a fraction, which Go's int64 decoding refuses too once it is inexact.
  if (!Number.isSafeInteger(value)) throw unsafe(key);
  return BigInt(value);
}

export function bool(source: JsonObject | null | undefined, key: string): boolean {
  const value = source?.[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw typeError(key, 'boolean');
  return value;
}

export function obj(source: JsonObject | null | undefined, key: string): JsonObject | null {
  const value = source?.[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(key, 'object');
  return value as JsonObject;
}

export function arr(source: JsonObject | null | undefined, key: string): unknown[] | null {
  const value = source?.[key];
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw typeError(key, 'array');
  return value;
}

export function strArr(source: JsonObject | null | undefined, key: string): string[] | null {
  const list = arr(source, key);
  if (list === null) return null;
  for (const item of list) if (typeof item !== 'string') throw typeError(key, 'array of strings');
  return list as string[];
}

/** `map[string]string` */
export function strMap(source: JsonObject | null | undefined, key: string): Record<string, string> | null {
  const map = obj(source, key);
  if (map === null) return null;
  for (const value of Object.values(map)) if (typeof value !== 'string') throw typeError(key, 'map of strings');
  return map as Record<string, string>;
}

/** Each element of an array of objects (null elements are zero-value objects). */
export function objArr(source: JsonObject | null | undefined, key: string): JsonObject[] | null {
  const list = arr(source, key);
  if (list === null) return null;
  return list.map((item) => {
    if (item === null) return {};
    if (typeof item !== 'object' || Array.isArray(item)) throw typeError(key, 'array of objects');
    return item as JsonObject;
  });
}
