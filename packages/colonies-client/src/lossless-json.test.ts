import { describe, expect, it } from 'vitest';
import { MAX_BIGINT_DIGITS } from './json-scan';
import { JsonTooDeepError, MAX_JSON_DEPTH, parseLosslessJson, parseLosslessJsonSlow, stringifyLosslessJson } from './lossless-json';
import type { JsonValue } from './types';

const MiB = 1024 * 1024;
const PRIORITY_TIME = 1795592000252542378n;

function both(text: string): [JsonValue, JsonValue] {
  return [parseLosslessJson(text), parseLosslessJsonSlow(text)];
}

/** A process-like payload with an int64 (so the marker path runs) and one huge string value. */
function processWithString(value: string): string {
  return `{"processid":"p1","prioritytime":${PRIORITY_TIME},"spec":{"kwargs":{"blob":${JSON.stringify(value)}}}}`;
}

describe('large strings (issue #13 case 9: a 9 MB string overflowed the stack)', () => {
  for (const mebibytes of [9, 20]) {
    it(`round-trips a ${mebibytes} MB string value next to an int64, on both parsers`, () => {
      const value = 'x'.repeat(mebibytes * MiB);
      for (const parsed of both(processWithString(value))) {
        const p = parsed as { prioritytime: bigint; spec: { kwargs: { blob: string } } };
        expect(p.prioritytime).toBe(PRIORITY_TIME);
        expect(p.spec.kwargs.blob.length).toBe(value.length);
        expect(p.spec.kwargs.blob === value).toBe(true);
        expect(stringifyLosslessJson(parsed)).toBe(processWithString(value));
      }
    });
  }

  it('round-trips a 9 MB string made of escapes, quotes and backslashes', () => {
    const value = 'a"\\\n\u00e5\u0001'.repeat((9 * MiB) / 6);
    for (const parsed of both(processWithString(value))) {
      expect((parsed as { spec: { kwargs: { blob: string } } }).spec.kwargs.blob === value).toBe(true);
    }
  });

  it('round-trips a 9 MB string without any int64 (native path) and one with an escaped NUL (reference path)', () => {
    const plain = 'y'.repeat(9 * MiB);
    expect((parseLosslessJson(JSON.stringify({ s: plain })) as { s: string }).s === plain).toBe(true);
    const withNul = `\u0000${plain}`;
    const parsed = parseLosslessJson(`{"n":${PRIORITY_TIME},"s":${JSON.stringify(withNul)}}`) as { n: bigint; s: string };
    expect(parsed.n).toBe(PRIORITY_TIME);
    expect(parsed.s === withNul).toBe(true);
  });

  it('keeps a 9 MB run of digits inside a string a string', () => {
    const digits = '1'.repeat(9 * MiB);
    for (const parsed of both(`{"a":"${digits}","b":${PRIORITY_TIME}}`)) {
      expect((parsed as { a: string }).a === digits).toBe(true);
      expect((parsed as { b: bigint }).b).toBe(PRIORITY_TIME);
    }
  });
});

describe('nesting depth', () => {
  const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;
  const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more with a typed error, on both parsers`, () => {
    for (const parse of [parseLosslessJson, parseLosslessJsonSlow]) {
      expect(() => parse(nested(MAX_JSON_DEPTH))).not.toThrow();
      expect(() => parse(nestedObjects(MAX_JSON_DEPTH))).not.toThrow();
      for (const text of [nested(MAX_JSON_DEPTH + 1), nestedObjects(MAX_JSON_DEPTH + 1)]) {
        const error = catchError(() => parse(text));
        expect(JsonTooDeepError.isInstance(error)).toBe(true);
        expect(error).toBeInstanceOf(SyntaxError);
        expect((error as JsonTooDeepError).code).toBe('COLONIES_JSON_TOO_DEEP');
        expect((error as JsonTooDeepError).maxDepth).toBe(MAX_JSON_DEPTH);
      }
    }
  });

  it('a 10,000-deep array is a JsonTooDeepError, not a stack overflow (with and without int64s)', () => {
    for (const text of [nested(10_000), `[${PRIORITY_TIME},${nested(10_000)}]`, `{"k":${nested(1_000_000)}}`]) {
      for (const parse of [parseLosslessJson, parseLosslessJsonSlow]) {
        expect(JsonTooDeepError.isInstance(catchError(() => parse(text)))).toBe(true);
      }
    }
  });

  it('counts brackets inside strings as text, and honours a custom maxDepth', () => {
    const inString = JSON.stringify({ s: nested(10_000) });
    expect(parseLosslessJson(inString)).toEqual({ s: nested(10_000) });
    expect(parseLosslessJsonSlow(inString)).toEqual({ s: nested(10_000) });
    expect(() => parseLosslessJson('[[1]]', { maxDepth: 1 })).toThrow(JsonTooDeepError);
    expect(() => parseLosslessJsonSlow('[[1]]', { maxDepth: 1 })).toThrow(JsonTooDeepError);
    expect(parseLosslessJson('[[1]]', { maxDepth: 2 })).toEqual([[1]]);
  });
});

describe('the reference parser agrees with JSON.parse', () => {
  it('on random JSON values (seeded), with int64s exact', () => {
    const random = seededRandom(13);
    for (let n = 0; n < 400; n++) {
      const value = randomValue(random, 0);
      const text = stringifyLosslessJson(value, n % 3 === 0 ? 2 : undefined);
      const [fast, slow] = both(text);
      expect(slow).toEqual(fast);
      expect(fast).toEqual(value);
      if (!/\d{16,}/.test(text)) expect(fast).toEqual(JSON.parse(text));
    }
  });

  it('refuses what JSON.parse refuses, with a SyntaxError', () => {
    const invalid = ['', ' ', '[', ']', '[1,]', '[,1]', '{"a":1,}', '{"a"}', '{"a" 1}', '{1:2}', '"abc', '"a\\x"', '"a\tb"', '01', '1.', '-', '[1 2]', 'tru', 'nul', '{"a":1}}', '[1]x', '12345678901234567890x', '[12345678901234567890,]'];
    for (const text of invalid) {
      expect(() => JSON.parse(text), text).toThrow(SyntaxError);
      expect(() => parseLosslessJson(text), text).toThrow(SyntaxError);
      expect(() => parseLosslessJsonSlow(text), text).toThrow(SyntaxError);
    }
  });

  it('refuses leading zeros, and reads integers beyond MAX_BIGINT_DIGITS as JSON.parse does (bounded cost)', () => {
    for (const text of ['[0012345678901234567890]', '{"a":-012345678901234567890}']) {
      expect(() => parseLosslessJson(text), text).toThrow(SyntaxError);
      expect(() => parseLosslessJsonSlow(text), text).toThrow(SyntaxError);
    }
    const longest = `1${'0'.repeat(MAX_BIGINT_DIGITS - 1)}`;
    expect(both(`[${longest}]`)).toEqual([[10n ** BigInt(MAX_BIGINT_DIGITS - 1)], [10n ** BigInt(MAX_BIGINT_DIGITS - 1)]]);
    const huge = '7'.repeat(4_000_000);
    expect(both(`{"n":${huge},"t":${PRIORITY_TIME}}`)).toEqual([
      { n: Infinity, t: PRIORITY_TIME },
      { n: Infinity, t: PRIORITY_TIME },
    ]);
  });

  it('keeps "__proto__" an own data property', () => {
    for (const parsed of both(`{"__proto__":{"x":${PRIORITY_TIME}},"y":1}`)) {
      expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
      expect(Object.keys(parsed as object)).toEqual(['__proto__', 'y']);
    }
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const STRING_PIECES = ['a', ' ', '"', '\\', '\n', '\u0000', '\u00e5', '\ud83d\ude00', '12345678901234567890', '[', '{', ',', ':', '\u0000B123'];

function randomValue(random: () => number, depth: number): JsonValue {
  const pick = Math.floor(random() * (depth > 4 ? 6 : 8));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2: {
      const number = Math.floor((random() - 0.5) * 2 ** 40) / (random() < 0.5 ? 1 : 1024);
      return number === 0 ? 0 : number; // never -0, which JSON writes as 0
    }
    case 3:
      return (random() < 0.5 ? -1n : 1n) * (2n ** 53n + BigInt(Math.floor(random() * 2 ** 40)) * 1_000_003n);
    case 4:
      return random() < 0.5 ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
    case 5:
      return Array.from({ length: Math.floor(random() * 6) }, () => STRING_PIECES[Math.floor(random() * STRING_PIECES.length)]).join('');
    case 6:
      return Array.from({ length: Math.floor(random() * 5) }, () => randomValue(random, depth + 1));
    default: {
      const object: Record<string, JsonValue> = {};
      for (let k = Math.floor(random() * 5); k > 0; k--) object[`k${Math.floor(random() * 8)}${STRING_PIECES[k]}`] = randomValue(random, depth + 1);
      return object;
    }
  }
}
