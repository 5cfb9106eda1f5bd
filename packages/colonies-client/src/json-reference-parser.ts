// The reference lossless JSON parser: builds the value itself, with an
// explicit stack instead of recursion, so neither nesting (bounded by
// `maxDepth`, a typed error) nor string length (found with `indexOf`, decoded
// natively) can overflow the call stack. Linear in the input. Integers beyond
// 2^53 become bigints; everything else is what `JSON.parse` gives.
// `parseLosslessJson` uses it when its native path cannot be used.

import { JsonTooDeepError } from './json-errors';
import { CONTROL_CHARACTER, endOfNumber, endOfString, isUnsafeInteger, isWhitespace } from './json-scan';
import type { JsonValue } from './types';

type JsonObject = Record<string, JsonValue>;

/** An open array or object; `key` is the object's pending key. */
interface Frame {
  container: JsonValue[] | JsonObject;
  isArray: boolean;
  key: string;
  hasMembers: boolean;
}

export function parseJsonReference(text: string, maxDepth: number): JsonValue {
  return new ReferenceParser(text, maxDepth).parseDocument();
}

class ReferenceParser {
  private i = 0;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): JsonValue {
    let value = this.openOrScalar();
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) break;
      if (value !== undefined) this.attach(top, value);
      value = this.next(top);
    }
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected trailing data');
    return value as JsonValue;
  }

  /**
   * Called right after `top` was opened or got a value: the next value to
   * attach (`undefined` when that value opened a container), or `top` itself
   * when it closes here.
   */
  private next(top: Frame): JsonValue | undefined {
    this.ws();
    const closing = top.isArray ? ']' : '}';
    const c = this.s[this.i];
    if (c === closing) {
      this.i++;
      this.stack.pop();
      return top.container;
    }
    if (top.hasMembers) {
      if (c !== ',') this.fail(`expected "," or "${closing}"`);
      this.i++;
      this.ws();
    }
    if (!top.isArray) this.readKey(top);
    return this.openOrScalar();
  }

  private readKey(top: Frame): void {
    if (this.s[this.i] !== '"') this.fail('expected a key');
    top.key = this.string();
    this.ws();
    if (this.s[this.i] !== ':') this.fail('expected ":"');
    this.i++;
    this.ws();
  }

  private attach(top: Frame, value: JsonValue): void {
    top.hasMembers = true;
    if (top.isArray) {
      (top.container as JsonValue[]).push(value);
      return;
    }
    const object = top.container as JsonObject;
    // An own data property even for "__proto__", as JSON.parse makes it.
    if (top.key === '__proto__') Object.defineProperty(object, top.key, { value, enumerable: true, writable: true, configurable: true });
    else object[top.key] = value;
    top.key = '';
  }

  /** A scalar, or `undefined` after pushing a new container frame. */
  private openOrScalar(): JsonValue | undefined {
    this.ws();
    const c = this.s[this.i];
    switch (c) {
      case '{':
      case '[':
        if (this.stack.length >= this.maxDepth) throw new JsonTooDeepError(this.maxDepth, this.i);
        this.i++;
        this.stack.push({ container: c === '[' ? [] : {}, isArray: c === '[', key: '', hasMembers: false });
        return undefined;
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

  private fail(what: string): never {
    throw new SyntaxError(`Invalid JSON at position ${this.i}: ${what}`);
  }

  private ws(): void {
    const s = this.s;
    let i = this.i;
    while (isWhitespace(s.charCodeAt(i))) i++;
    this.i = i;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail(`expected ${word}`);
    this.i += word.length;
    return value;
  }

  private string(): string {
    const start = this.i;
    const end = endOfString(this.s, start);
    if (end === -1) this.fail('unterminated string');
    this.i = end;
    const raw = this.s.slice(start, end);
    // Escapes and raw control characters: the native parser decodes or refuses them.
    if (raw.includes('\\') || CONTROL_CHARACTER.test(raw)) {
      try {
        return JSON.parse(raw) as string;
      } catch (error) {
        return this.fail(`bad string: ${(error as Error).message}`);
      }
    }
    return raw.slice(1, -1);
  }

  private number(): number | bigint {
    const start = this.i;
    const end = endOfNumber(this.s, start);
    this.i = end;
    // The same rule as the native path's scan, so that both parsers agree.
    if (isUnsafeInteger(this.s, start, end)) return BigInt(this.s.slice(start, end));
    const text = this.s.slice(start, end);
    try {
      return JSON.parse(text) as number; // validates the literal
    } catch {
      return this.fail(`bad number ${JSON.stringify(text.slice(0, 40))}`);
    }
  }
}
