// Lossless JSON for Colonies payloads (colonies-protocol.md §2.5).
//
// `JSON.parse` rounds integers beyond 2^53 (ColonyOS int64 nanosecond
// timestamps such as `prioritytime` and log `timestamp`). Here every integer
// literal that is not a safe JavaScript integer becomes a `bigint` with the
// exact digits; everything else is what `JSON.parse` would give.
// `stringifyLosslessJson` writes bigints back as bare JSON integers.

import type { JsonValue } from './types';

const UNSAFE_DIGITS = /\d{16,}/;
/** A JSON string token, or a number token whose integer part has 16+ digits (never matched inside strings). */
const STRING_OR_LONG_NUMBER = /"(?:[^"\\]|\\.)*"|(?<![\w.+-])(-?\d{16,})(\.\d+)?([eE][+-]?\d+)?/g;
const MARKER = '\u0000B';
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function parseLosslessJson(text: string): JsonValue {
  // Fast path: without a run of 16+ digits no number can be unsafe.
  if (!UNSAFE_DIGITS.test(text)) return JSON.parse(text) as JsonValue;
  // An escaped NUL in the text could collide with the marker: use the full parser.
  if (text.includes('\\u0000')) return new Parser(text).parseDocument();
  // Native path: quote each unsafe integer as a marker string, JSON.parse, revive the markers.
  let out = '';
  let last = 0;
  let replaced = false;
  STRING_OR_LONG_NUMBER.lastIndex = 0;
  for (let m = STRING_OR_LONG_NUMBER.exec(text); m !== null; m = STRING_OR_LONG_NUMBER.exec(text)) {
    const digits = m[1];
    if (digits === undefined || m[2] !== undefined || m[3] !== undefined) continue;
    const value = BigInt(digits);
    if (value <= MAX_SAFE && value >= -MAX_SAFE) continue;
    out += `${text.slice(last, m.index)}"\\u0000B${digits}"`;
    last = m.index + digits.length;
    replaced = true;
  }
  if (!replaced) return JSON.parse(text) as JsonValue;
  return revive(JSON.parse(out + text.slice(last)) as JsonValue);
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

/** The reference parser (a plain recursive descent); `parseLosslessJson` falls back to it. */
export function parseLosslessJsonSlow(text: string): JsonValue {
  return new Parser(text).parseDocument();
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseDocument(): JsonValue {
    this.ws();
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected trailing data');
    return v;
  }

  private fail(what: string): never {
    throw new SyntaxError(`Invalid JSON at position ${this.i}: ${what}`);
  }

  private ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  private value(): JsonValue {
    const c = this.s[this.i];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail(`expected ${word}`);
    this.i += word.length;
    return v;
  }

  private object(): JsonValue {
    this.i++;
    const out: Record<string, JsonValue> = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a key');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail('expected ":"');
      this.i++;
      this.ws();
      const v = this.value();
      // Own data property even for "__proto__".
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }

  private array(): JsonValue {
    this.i++;
    const out: JsonValue[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }

  private string(): string {
    const s = this.s;
    const start = this.i;
    let i = start + 1;
    let escaped = false;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      i++;
    }
    this.i = i + 1;
    const raw = s.slice(start, i + 1);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private number(): number | bigint {
    const s = this.s;
    const start = this.i;
    let i = start;
    if (s[i] === '-') i++;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    let integer = true;
    if (s[i] === '.') {
      integer = false;
      i++;
      while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      integer = false;
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    }
    this.i = i;
    const text = s.slice(start, i);
    const n = JSON.parse(text) as number; // validates the literal
    if (integer && !Number.isSafeInteger(n)) return BigInt(text);
    return n;
  }
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
