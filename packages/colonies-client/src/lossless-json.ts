// Lossless JSON for Colonies payloads (colonies-protocol.md §2.5).
//
// `JSON.parse` rounds integers beyond 2^53 (ColonyOS int64 nanosecond
// timestamps such as `prioritytime` and log `timestamp`). Here every integer
// literal that is not a safe JavaScript integer becomes a `bigint` with the
// exact digits; everything else is what `JSON.parse` would give.
// `stringifyLosslessJson` writes bigints back as bare JSON integers.

import { MAX_JSON_DEPTH } from './json-errors';
import { parseJsonReference } from './json-reference-parser';
import { scanDepthAndUnsafeIntegers } from './json-scan';
import type { JsonValue } from './types';

export { JsonTooDeepError, MAX_JSON_DEPTH } from './json-errors';

export interface LosslessJsonOptions {
  /** Deepest nesting of arrays and objects accepted (default `MAX_JSON_DEPTH`, 512); deeper → `JsonTooDeepError`. */
  maxDepth?: number;
}

const MARKER = '\u0000B';

/**
 * Parses JSON keeping integers beyond 2^53 exact (as bigints). Linear in the
 * input and free of recursion limits: one scan without backtracking finds
 * the nesting depth and the unsafe integers, then the native `JSON.parse`
 * builds the value (each unsafe integer quoted as a marker string and
 * revived). Throws `JsonTooDeepError` past `maxDepth` and `SyntaxError` on
 * anything that is not JSON.
 */
export function parseLosslessJson(text: string, options: LosslessJsonOptions = {}): JsonValue {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const unsafe = scanDepthAndUnsafeIntegers(text, maxDepth);
  if (unsafe.length === 0) return JSON.parse(text) as JsonValue;
  // An escaped NUL in the text could collide with the marker: use the reference parser.
  if (text.includes('\\u0000')) return parseJsonReference(text, maxDepth);
  const parts: string[] = [];
  let last = 0;
  for (const [start, end] of unsafe) {
    parts.push(text.slice(last, start), '"\\u0000B', text.slice(start, end), '"');
    last = end;
  }
  parts.push(text.slice(last));
  // The depth was checked above, so reviving recursively stays far from the stack limit.
  return revive(JSON.parse(parts.join('')) as JsonValue);
}

function revive(v: JsonValue): JsonValue {
  if (typeof v === 'string') return v.startsWith(MARKER) ? BigInt(v.slice(MARKER.length)) : v;
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]!);
    return v;
  }
  for (const k of Object.keys(v)) v[k] = revive(v[k]!);
  return v;
}

/**
 * The reference parser (builds the value itself with an explicit stack, no
 * recursion); `parseLosslessJson` falls back to it and must agree with it.
 */
export function parseLosslessJsonSlow(text: string, options: LosslessJsonOptions = {}): JsonValue {
  return parseJsonReference(text, options.maxDepth ?? MAX_JSON_DEPTH);
}

/** JSON.stringify that writes bigint values as plain JSON integers. */
export function stringifyLosslessJson(value: unknown, indent?: number): string {
  return stringify(value, indent ? ' '.repeat(indent) : '', '');
}

function stringify(v: unknown, indent: string, current: string): string {
  switch (typeof v) {
    case 'bigint':
      return v.toString();
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'object': {
      if (v === null) return 'null';
      const toJSON = (v as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return stringify(toJSON.call(v), indent, current);
      const inner = current + indent;
      const nl = indent ? '\n' : '';
      const sep = indent ? ': ' : ':';
      if (Array.isArray(v)) {
        if (v.length === 0) return '[]';
        const items = v.map((x) => {
          const s = stringify(x, indent, inner);
          return inner + (s === undefined ? 'null' : s);
        });
        return `[${nl}${items.join(`,${nl}`)}${nl}${current}]`;
      }
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        parts.push(`${inner}${JSON.stringify(k)}${sep}${stringify(x, indent, inner)}`);
      }
      if (parts.length === 0) return '{}';
      return `{${nl}${parts.join(`,${nl}`)}${nl}${current}}`;
    }
    default:
      return 'null';
  }
}
