// JSON the way the Go server writes it: int64 values (bigint here) as exact
// integers, `<`, `>`, `&`, U+2028 and U+2029 escaped as \u003c etc., map keys
// (kwargs, env, arbitrary user JSON) sorted, and optional 2-space indentation
// (`json.MarshalIndent`, used for process objects).

const BIGINT_MARK = '\u0000int64:';
const BIGINT_PATTERN = /"\\u0000int64:(-?\d+)"/g;
const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${BIGINT_MARK}${value.toString()}` : value;
}

/** Serialises `value` as Go's encoding/json would (see the file comment). */
export function goJson(value: unknown, indent = false): string {
  const text = JSON.stringify(value, replacer, indent ? 2 : undefined) ?? 'null';
  return text.replace(BIGINT_PATTERN, '$1').replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

/** Go marshals `map[string]any` with sorted keys; applies that to arbitrary user JSON. */
export function sortMapKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortMapKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortMapKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * Parses request JSON. Integers beyond 2^53 in the listed keys (`since`) are
 * captured with their exact digits as bigint first: `JSON.parse` would round them.
 */
export function parseRequestJson(text: string): unknown {
  if (text.includes('"since"')) {
    const bigValues = new Map<string, bigint>();
    const marked = text.replace(/("since"\s*:\s*)(-?\d+)(?=\s*[,}])/g, (_all, prefix: string, digits: string) => {
      const key = `${BIGINT_MARK}${bigValues.size}`;
      // Past 10,000 digits (far beyond int64) a stand-in beyond int64 is kept
      // instead: BigInt of megabytes of digits is super-linear, seconds of event loop.
      bigValues.set(key, digits.length > 10_000 ? 2n ** 64n : BigInt(digits));
      return `${prefix}"${key.replace('\u0000', '\\u0000')}"`;
    });
    return JSON.parse(marked, (_key, value: unknown) =>
      typeof value === 'string' && value.startsWith(BIGINT_MARK) ? bigValues.get(value) : value,
    );
  }
  return JSON.parse(text);
}
