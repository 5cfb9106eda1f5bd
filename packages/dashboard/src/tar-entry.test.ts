import { describe, expect, it } from 'vitest';
import { tarHeader, tarPadding } from './tar-entry';

describe('tar headers', () => {
  it('writes a ustar header with a valid checksum, splitting long paths at a slash', () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
    const header = tarHeader(long, 5, 0);
    expect(header.subarray(0, 90).toString()).toBe('f'.repeat(90));
    expect(header.subarray(345, 465).toString()).toBe('d'.repeat(120));
    expect(header.subarray(257, 262).toString()).toBe('ustar');
    const stored = Number.parseInt(header.subarray(148, 154).toString(), 8);
    const copy = Buffer.from(header);
    copy.write('        ', 148, 'ascii');
    expect(stored).toBe(copy.reduce((sum, byte) => sum + byte, 0));
    expect(tarPadding(5)).toHaveLength(507);
    expect(tarPadding(512)).toHaveLength(0);
  });

  it('refuses a path no ustar header can hold', () => {
    expect(() => tarHeader('x'.repeat(300), 1, 0)).toThrow(/too long for a tar archive/);
  });
});
