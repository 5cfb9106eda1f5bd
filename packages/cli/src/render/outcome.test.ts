import { describe, expect, it } from 'vitest';
import { errorFromEvent } from './outcome';

describe('errorFromEvent: INVALID_PROJECT', () => {
  it('lists each issue in the one-line form of spec-builder, without a "did you mean"', () => {
    const error = errorFromEvent(
      {
        type: 'error',
        code: 'INVALID_PROJECT',
        message: '[pollinator] [spec-builder] invalid project (2 problems):',
        exitCode: 65,
        issues: [
          { file: 'project.yaml', line: 4, column: 8, path: 'conditions.cpu', code: 'invalid_value', message: 'not a millicore value', found: '"2"', allowed: 'millicores' },
          { file: 'project.yaml', line: 9, column: 3, path: 'conditions.waltime', code: 'unknown_key', message: 'unknown key', suggestion: 'walltime' },
        ],
      },
      undefined,
    );
    expect(error.message).toBe('project.yaml is invalid (2 problems)');
    expect(error.details).toEqual([
      'project.yaml:4:8 conditions.cpu: not a millicore value; found "2"; allowed: millicores',
      'project.yaml:9:3 conditions.waltime: unknown key',
    ]);
  });

  it('falls back to the lines of the message when the event carries no issues', () => {
    const error = errorFromEvent(
      { type: 'error', code: 'INVALID_PROJECT', message: 'project.yaml cannot be read in /p: EACCES', exitCode: 65 },
      undefined,
    );
    expect(error.message).toBe('project.yaml is invalid');
    expect(error.details).toEqual(['project.yaml cannot be read in /p: EACCES']);
  });
});
