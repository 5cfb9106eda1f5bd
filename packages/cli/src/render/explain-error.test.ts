import { afterEach, describe, expect, it, vi } from 'vitest';
import { CliExitCode } from '../exit-codes';

afterEach(() => {
  vi.doUnmock('./error-table');
  vi.resetModules();
});

describe('explainError when the table cannot be loaded (a package of pollinator is missing)', () => {
  it('still explains what needs no package: network codes, missing modules, aborts, anything else', async () => {
    vi.doMock('./error-table', () => {
      throw Object.assign(new Error("Cannot find package '@pollinator/cfs-sync'"), { code: 'ERR_MODULE_NOT_FOUND' });
    });
    const { explainError } = await import('./explain-error');
    const cases: Array<[unknown, number, string]> = [
      [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), CliExitCode.CONNECTION_LOST, 'CONNECTION_LOST'],
      [Object.assign(new Error("Cannot find package '@pollinator/slurm'"), { code: 'ERR_MODULE_NOT_FOUND' }), CliExitCode.INTERNAL, 'INSTALLATION'],
      [new DOMException('aborted', 'AbortError'), CliExitCode.CANCELLED, 'INTERRUPTED'],
      [new Error('boom'), CliExitCode.INTERNAL, 'INTERNAL'],
      // The table would say CONFIG (78): proof that it was not used.
      [Object.assign(new Error('bad port'), { [Symbol.for('pollinator.error.ColoniesConfigError')]: true, issues: [] }), CliExitCode.INTERNAL, 'INTERNAL'],
    ];
    for (const [error, exitCode, code] of cases) {
      const explained = await explainError(error);
      expect([explained.exitCode, explained.code, explained.cause]).toEqual([exitCode, code, error]);
    }
  });
});
