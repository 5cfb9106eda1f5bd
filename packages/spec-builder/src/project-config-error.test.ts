import { PollinatorError } from '@pollinator/errors';
import { describe, expect, it } from 'vitest';
import { ProjectConfigError } from './project-config-error';
import { ProjectFilesExistError } from './project-files-exist-error';
import type { ProjectIssue } from './project-issues';

const issue: ProjectIssue = {
  file: 'project.yaml',
  line: 2,
  column: 7,
  path: 'conditions.nodes',
  code: 'invalid_value',
  message: 'too many nodes',
  found: '500',
};

describe('ProjectConfigError', () => {
  it('is a PollinatorError with the INVALID_PROJECT code, its issues and one indented line per issue', () => {
    const cause = new Error('underlying');
    const error = new ProjectConfigError([issue, { ...issue, line: 3, path: 'conditions.cpu' }], { cause });
    expect(error).toBeInstanceOf(PollinatorError);
    expect(PollinatorError.isInstance(error)).toBe(true);
    expect(error.name).toBe('ProjectConfigError');
    expect(error.code).toBe('INVALID_PROJECT');
    expect(error.cause).toBe(cause);
    expect(error.issues).toHaveLength(2);
    expect(error.message).toBe(
      '[pollinator] [spec-builder] invalid project (2 problems):\n' +
        '  project.yaml:2:7 conditions.nodes: too many nodes; found 500\n' +
        '  project.yaml:3:7 conditions.cpu: too many nodes; found 500',
    );
    expect(new ProjectConfigError([issue]).message).toContain('(1 problem):');
  });

  it('keeps its Symbol.for marker, so isInstance matches a copy from another realm and nothing else', () => {
    const error = new ProjectConfigError([issue]);
    expect(Object.getOwnPropertySymbols(error)).toContain(Symbol.for('pollinator.error.ProjectConfigError'));
    const foreign = Object.assign(new Error('x'), { [Symbol.for('pollinator.error.ProjectConfigError')]: true });
    expect(ProjectConfigError.isInstance(foreign)).toBe(true);
    expect(ProjectConfigError.isInstance(new PollinatorError('INVALID_PROJECT', 'same code'))).toBe(false);
    expect(ProjectConfigError.isInstance(new ProjectFilesExistError('/p', ['project.yaml']))).toBe(false);
    expect(ProjectConfigError.isInstance({ name: 'ProjectConfigError' })).toBe(false);
  });
});

describe('ProjectFilesExistError', () => {
  it('is a PollinatorError naming the dir and the files it would not overwrite', () => {
    const error = new ProjectFilesExistError('/work/p', ['project.yaml', 'cfs/src/main.py']);
    expect(PollinatorError.isInstance(error)).toBe(true);
    expect(ProjectFilesExistError.isInstance(error)).toBe(true);
    expect(ProjectConfigError.isInstance(error)).toBe(false);
    expect(error.name).toBe('ProjectFilesExistError');
    expect(error.code).toBe('PROJECT_FILES_EXIST');
    expect(error.files).toEqual(['project.yaml', 'cfs/src/main.py']);
    expect(error.details).toEqual({ dir: '/work/p', files: ['project.yaml', 'cfs/src/main.py'] });
    expect(error.message).toBe(
      '[pollinator] [spec-builder] not overwriting existing files in /work/p: project.yaml, cfs/src/main.py',
    );
  });
});
