import { PollinatorError } from '@pollinator/errors';
import { describe, expect, it } from 'vitest';
import { CliError, usageError } from './errors';
import { CliExitCode } from './exit-codes';

describe('CliError', () => {
  it('is a PollinatorError with the CLI defaults (code ERROR, exit 70, no detail lines)', () => {
    const error = new CliError('Something failed');
    expect(PollinatorError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CliError');
    expect(error.code).toBe('ERROR');
    expect(error.exitCode).toBe(CliExitCode.INTERNAL);
    expect(error.details).toEqual([]);
    expect('cause' in error).toBe(false);
  });

  it('keeps what, why, fix, details, code, exit code and cause', () => {
    const cause = new Error('disk full');
    const error = new CliError('Cannot write', { why: 'disk full', fix: 'Free some space.', details: ['a', 'b'], code: 'WRITE', exitCode: 74, cause });
    expect([error.message, error.why, error.fix, error.code, error.exitCode, error.cause]).toEqual(['Cannot write', 'disk full', 'Free some space.', 'WRITE', 74, cause]);
    expect(error.details).toEqual(['a', 'b']);
  });

  it("carries Symbol.for('pollinator.error.CliError'), so another copy of the CLI recognises it", () => {
    const error = usageError('Bad flag');
    expect(Object.getOwnPropertySymbols(error)).toContain(Symbol.for('pollinator.error.CliError'));
    expect(CliError.isInstance({ [Symbol.for('pollinator.error.CliError')]: true })).toBe(true);
    expect(CliError.isInstance(new PollinatorError('USAGE', 'Bad flag'))).toBe(false);
    expect(error.exitCode).toBe(CliExitCode.USAGE);
  });
});
