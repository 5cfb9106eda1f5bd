import { describe, expect, it } from 'vitest';
import { framePlain, framePrefixed, MAX_LINE_BYTES } from './log-framing';

const PREFIX = '[pod/p/task-0] ';

describe('framePlain (one stream)', () => {
  it('emits up to the last whole UTF-8 character, everything once the stream is final', () => {
    const euro = Buffer.from('€');
    const held = Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]);
    expect(framePlain(held, false)).toEqual({ text: 'a', bytes: 1 });
    expect(framePlain(euro.subarray(0, 1), false)).toBeUndefined();
    expect(framePlain(held, true)).toEqual({ text: held.toString('utf8'), bytes: 3 });
  });
});

describe('framePrefixed (several streams)', () => {
  it('emits whole lines only, each prefixed, and holds back a partial line', () => {
    expect(framePrefixed(Buffer.from('one\ntwo\nthr'), PREFIX, false)).toEqual({ text: `${PREFIX}one\n${PREFIX}two\n`, bytes: 8 });
    expect(framePrefixed(Buffer.from('partial'), PREFIX, false)).toBeUndefined();
  });

  it('flushes a last partial line with a newline when the stream is final', () => {
    expect(framePrefixed(Buffer.from('tail'), PREFIX, true)).toEqual({ text: `${PREFIX}tail\n`, bytes: 4 });
  });

  it('emits a line longer than MAX_LINE_BYTES in pieces, cut at a character', () => {
    const long = Buffer.concat([Buffer.from('x'.repeat(MAX_LINE_BYTES - 1)), Buffer.from('€')]);
    const frame = framePrefixed(long, PREFIX, false);
    expect(frame).toEqual({ text: `${PREFIX}${'x'.repeat(MAX_LINE_BYTES - 1)}€\n`, bytes: MAX_LINE_BYTES + 2 });
    expect(framePrefixed(long.subarray(0, MAX_LINE_BYTES + 1), PREFIX, false)).toEqual({ text: `${PREFIX}${'x'.repeat(MAX_LINE_BYTES - 1)}\n`, bytes: MAX_LINE_BYTES - 1 });
  });
});
