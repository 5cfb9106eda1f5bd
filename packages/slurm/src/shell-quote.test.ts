import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from './shell-quote';

const nasty = [
  '',
  'plain',
  "it's",
  'say "hi"',
  '$HOME $(id) `id` ${X:-y}',
  'a && b || c; d | e > f < g &',
  'line one\nline two\n',
  'tab\there',
  'unicode: héllo wörld — 日本語 🚀',
  "'",
  "''\\'\\",
  '*?[]~#!',
  '-n',
];

describe('shellQuote', () => {
  it('leaves plain words alone', () => {
    expect(shellQuote('abc-1.2_x/y:z=w,v@%+')).toBe('abc-1.2_x/y:z=w,v@%+');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe(`''`);
  });

  it.each(nasty)('bash and sh read %j back byte for byte', (value) => {
    for (const shell of ['bash', 'sh']) {
      const out = execFileSync(shell, ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
      expect(out).toBe(value);
    }
  });

  it('joins an argv so that it splits back into the same words', () => {
    const out = execFileSync('bash', ['-c', `for a in ${shellJoin(nasty)}; do printf '[%s]' "$a"; done`], { encoding: 'utf8' });
    expect(out).toBe(nasty.map((value) => `[${value}]`).join(''));
  });
});
