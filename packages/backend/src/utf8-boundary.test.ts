import { describe, expect, it } from 'vitest';
import { completeUtf8Length } from './utf8-boundary';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('completeUtf8Length', () => {
  it('keeps ASCII and whole characters of every length', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', 'a😀b€']) {
      expect(completeUtf8Length(bytes(text)), text).toBe(bytes(text).length);
    }
  });

  it('stops before a character cut in any of its bytes', () => {
    for (const character of ['é', '€', '😀']) {
      const whole = bytes(`ab${character}`);
      for (let cut = 3; cut < whole.length; cut += 1) {
        expect(completeUtf8Length(whole.subarray(0, cut)), `${character} cut at ${cut}`).toBe(2);
      }
    }
  });

  it('looks only at the first `end` bytes', () => {
    const buffer = bytes('a😀b');
    expect(completeUtf8Length(buffer, 3)).toBe(1);
    expect(completeUtf8Length(buffer, 5)).toBe(5);
    expect(completeUtf8Length(buffer, 99)).toBe(6);
  });

  it('leaves invalid bytes alone instead of holding them back for ever', () => {
    expect(completeUtf8Length(Buffer.from([0x61, 0x80, 0x80, 0x80, 0x80]))).toBe(5);
    expect(completeUtf8Length(Buffer.from([0x61, 0xff]))).toBe(2);
  });

  it('cuts every random string so that both halves decode back to it', () => {
    const text = 'x€y😀zé'.repeat(20);
    const whole = bytes(text);
    for (let end = 0; end <= whole.length; end += 1) {
      const cut = completeUtf8Length(whole, end);
      expect(cut).toBeLessThanOrEqual(end);
      expect(end - cut).toBeLessThan(4);
      expect(whole.subarray(0, cut).toString('utf8') + whole.subarray(cut).toString('utf8')).toBe(text);
    }
  });
});
