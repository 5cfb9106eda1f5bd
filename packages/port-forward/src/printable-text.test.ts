import { describe, expect, it } from 'vitest';
import { printableText } from './printable-text';

describe('printableText', () => {
  it('removes terminal escapes and other control characters, and puts line breaks and tabs on one line', () => {
    expect(printableText('refused\u001b[2J\u001b]0;pwned\u0007 by\tthe\r\njob\u007f\u009b31m')).toBe('refused[2J]0;pwned by the  job31m');
  });

  it('leaves printable text as it is', () => {
    expect(printableText('port 22 is not forwarded: it allows 8888 — “ok” ✓')).toBe('port 22 is not forwarded: it allows 8888 — “ok” ✓');
  });
});
