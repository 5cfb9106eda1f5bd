import { describe, expect, it } from 'vitest';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { localUrl, parsePortMapping } from './forward-ports';

describe('parsePortMapping', () => {
  it('reads a port, a local:remote pair, and 0 for any local port', () => {
    expect(parsePortMapping('8888')).toEqual({ localPort: 8888, remotePort: 8888 });
    expect(parsePortMapping('18888:8888')).toEqual({ localPort: 18_888, remotePort: 8888 });
    expect(parsePortMapping(' 0:6006 ')).toEqual({ localPort: 0, remotePort: 6006 });
    expect(localUrl(8888)).toBe('http://127.0.0.1:8888');
  });

  it('refuses what is not a mapping, with the forms that are (usage, 64)', () => {
    for (const text of ['', 'abc', '8888:', ':8888', '1:2:3', '0', '70000', '70000:80', '-1', 'localhost:8888']) {
      let thrown: unknown;
      try {
        parsePortMapping(text);
      } catch (error) {
        thrown = error;
      }
      expect(CliError.isInstance(thrown), text).toBe(true);
      expect((thrown as CliError).exitCode).toBe(CliExitCode.USAGE);
      expect((thrown as CliError).fix).toContain('18888:8888');
    }
  });
});
