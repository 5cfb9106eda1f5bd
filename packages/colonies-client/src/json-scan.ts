// Linear, non-recursive scans over JSON text that do not build values: where
// a string ends, where the unsafe integers are, where the elements of a
// top-level array start and end, what a top-level string field holds. They
// trust the text to be JSON (the native parser validates it afterwards) but
// never loop, recurse or backtrack on hostile input: every character is
// looked at a bounded number of times, whatever the nesting or string length.
//
// (A regular expression such as /"(?:[^"\\]|\\.)*"/ is not linear in V8: it
// backtracks per character and overflows the stack on strings of ~8 MB.)

import { JsonTooDeepError } from './json-errors';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** A raw control character: JSON strings may only hold them escaped. */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
export const CONTROL_CHARACTER = /[\u0000-\u001f]/;

/** The largest safe integer's digits: a 16-digit integer above this is unsafe. */
const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER);

export function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

/** A character that can continue a JSON number token (digits, sign, point, exponent). */
function isNumberCharacter(code: number): boolean {
  return isDigit(code) || code === MINUS || code === 0x2b || code === 0x2e || code === 0x65 || code === 0x45;
}

/**
 * The index just after the string that opens at `start` (a `"`), or -1
 * when it is unterminated. Jumps from quote to quote with
 * `indexOf`; a quote preceded by an odd run of backslashes is escaped.
 */
export function endOfString(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  while (quote !== -1) {
    let backslashes = 0;
    for (let k = quote - 1; k > start && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

/** `endOfString`, or the end of the text when the string is unterminated (for scans that only skip). */
function skipString(text: string, start: number): number {
  const end = endOfString(text, start);
  return end === -1 ? text.length : end;
}

/** The index after the number token starting at `start`. */
export function endOfNumber(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && isNumberCharacter(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Longest integer literal turned into a bigint. Converting n digits costs
 * more than linear time (about 0.7 s for 4 million), so a hostile reply of
 * one huge literal could stall the process; no Colonies value has more than
 * 20 digits. Longer literals are read as `JSON.parse` reads them (a rounded
 * number or Infinity).
 */
export const MAX_BIGINT_DIGITS = 4096;

/**
 * True when `text[start, end)` is a JSON integer (no fraction, no exponent,
 * no leading zero) outside ±(2^53 − 1) and at most `MAX_BIGINT_DIGITS` long.
 */
export function isUnsafeInteger(text: string, start: number, end: number): boolean {
  const digitsStart = text.charCodeAt(start) === MINUS ? start + 1 : start;
  const digits = end - digitsStart;
  if (digits < MAX_SAFE_DIGITS.length || digits > MAX_BIGINT_DIGITS) return false;
  if (text.charCodeAt(digitsStart) === DIGIT_0) return false; // not JSON: left for JSON.parse to refuse
  for (let i = digitsStart; i < end; i++) if (!isDigit(text.charCodeAt(i))) return false;
  if (digits > MAX_SAFE_DIGITS.length) return true;
  return text.slice(digitsStart, end) > MAX_SAFE_DIGITS;
}

/**
 * Checks the nesting depth (throws `JsonTooDeepError` past `maxDepth`) and
 * returns the [start, end) spans of the integer literals that a `number`
 * cannot hold exactly, in order. Strings are skipped whole.
 */
export function scanDepthAndUnsafeIntegers(text: string, maxDepth: number): Array<[number, number]> {
  const unsafe: Array<[number, number]> = [];
  let depth = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = skipString(text, i);
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      if (depth > maxDepth) throw new JsonTooDeepError(maxDepth, i);
      i++;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      i++;
    } else if (code === MINUS || isDigit(code)) {
      const end = endOfNumber(text, i);
      if (isUnsafeInteger(text, i, end)) unsafe.push([i, end]);
      i = end;
    } else {
      i++;
    }
  }
  return unsafe;
}

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * The [start, end) spans of the elements of the top-level array in `text`,
 * whitespace trimmed, without parsing them (any nesting depth); `undefined`
 * when the text is not one array, so that each element can be decoded on
 * its own and one bad element does not spoil the others.
 */
export function topLevelArrayElements(text: string): Array<[number, number]> | undefined {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACKET) return undefined;
  const elements: Array<[number, number]> = [];
  let depth = 1;
  let elementStart = i + 1;
  i++;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = skipString(text, i);
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
    if (depth === 0 || (depth === 1 && code === COMMA)) {
      const span = trimSpan(text, elementStart, i);
      if (span[0] < span[1]) elements.push(span);
      else if (code === COMMA || elements.length > 0) return undefined; // "[,", "[1,]": not JSON
      if (depth === 0) return skipWhitespace(text, i + 1) === text.length ? elements : undefined;
      elementStart = i + 1;
    }
    i++;
  }
  return undefined;
}

function trimSpan(text: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  while (s < e && isWhitespace(text.charCodeAt(s))) s++;
  while (e > s && isWhitespace(text.charCodeAt(e - 1))) e--;
  return [s, e];
}

const MAX_RECOVERED_LENGTH = 256;

/**
 * The value of the string field `key` of the object spanning `text[start, end)`
 * (top-level keys only: a `processid` inside `kwargs` does not count), read
 * without parsing the object, so that it works on objects too deep or too
 * broken to decode. `undefined` when absent, not a string, or implausible.
 */
export function topLevelStringField(text: string, key: string, start = 0, end = text.length): string | undefined {
  let i = skipWhitespace(text, start);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  let depth = 1;
  let expectKey = true;
  i++;
  while (i < end) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const stringEnd = Math.min(skipString(text, i), end);
      if (depth === 1 && expectKey) {
        const found = readFieldValue(text, i, stringEnd, key, end);
        if (found !== undefined) return found;
        expectKey = false;
      }
      i = stringEnd;
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return undefined;
    } else if (depth === 1 && code === COMMA) expectKey = true;
    i++;
  }
  return undefined;
}

/** When the key string at [keyStart, keyEnd) is `key` and its value is a plain string, that value. */
function readFieldValue(text: string, keyStart: number, keyEnd: number, key: string, end: number): string | undefined {
  if (decodeString(text, keyStart, keyEnd) !== key) return undefined;
  let i = skipWhitespace(text, keyEnd);
  if (text.charCodeAt(i) !== COLON) return undefined;
  i = skipWhitespace(text, i + 1);
  if (text.charCodeAt(i) !== QUOTE) return undefined;
  const valueEnd = endOfString(text, i);
  if (valueEnd === -1 || valueEnd > end || valueEnd - i > MAX_RECOVERED_LENGTH + 2) return undefined;
  const value = decodeString(text, i, valueEnd);
  if (value === undefined || value === '' || CONTROL_CHARACTER.test(value)) return undefined;
  return value;
}

function decodeString(text: string, start: number, end: number): string | undefined {
  const raw = text.slice(start, end);
  if (!raw.includes('\\')) return raw.slice(1, -1);
  try {
    return JSON.parse(raw) as string;
  } catch {
    return undefined;
  }
}
