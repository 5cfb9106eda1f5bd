import { describe, expect, it } from 'vitest';
import { containsNulOrLineBreak, SPEC_LIMITS, utf8ByteLength } from './limits';

describe('containsNulOrLineBreak', () => {
  it('finds NUL and every kind of line break', () => {
    for (const text of ['a\0b', 'a\nb', 'a\rb', 'a\vb', 'a\fb', 'a\u0085b', 'a\u2028b', 'a\u2029b', '\n']) {
      expect(containsNulOrLineBreak(text), JSON.stringify(text)).toBe(true);
    }
  });

  it('accepts ordinary text, including tabs, spaces and shell metacharacters', () => {
    for (const text of ['', 'python3', 'my script.py', 'a\tb', 'x;echo $(id -u)', 'ünïcödé ✓']) {
      expect(containsNulOrLineBreak(text), JSON.stringify(text)).toBe(false);
    }
  });
});

describe('SPEC_LIMITS', () => {
  it('keeps every bound exact in a double and walltime far below int64 nanoseconds', () => {
    for (const value of Object.values(SPEC_LIMITS)) expect(Number.isSafeInteger(value)).toBe(true);
    expect(SPEC_LIMITS.walltimeSeconds * 1e9).toBeLessThan(2 ** 63);
    expect(utf8ByteLength('é')).toBe(2);
  });
});
