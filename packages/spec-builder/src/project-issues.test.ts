import { describe, expect, it } from 'vitest';
import { formatProjectIssue, formatProjectIssueWithSuggestion, type ProjectIssue } from './project-issues';

const cpu: ProjectIssue = {
  file: 'project.yaml',
  line: 4,
  column: 8,
  path: 'conditions.cpu',
  code: 'invalid_value',
  message: 'a bare number is not accepted',
  found: '"2"',
  allowed: 'millicores',
};

const typo: ProjectIssue = {
  file: 'project.yaml',
  line: 9,
  column: 3,
  path: 'conditions.waltime',
  code: 'unknown_key',
  message: 'unknown key',
  suggestion: 'walltime',
};

describe('formatProjectIssue', () => {
  it('is file:line:column, the path, the message, what was found and what is allowed', () => {
    expect(formatProjectIssue(cpu)).toBe(
      'project.yaml:4:8 conditions.cpu: a bare number is not accepted; found "2"; allowed: millicores',
    );
  });

  it('names the whole file as (file) and leaves out what is absent', () => {
    expect(formatProjectIssue({ file: 'project.yaml', line: 1, column: 1, path: '', message: 'not a mapping' })).toBe(
      'project.yaml:1:1 (file): not a mapping',
    );
  });

  it('never shows the suggestion (run events and ProjectConfigError messages do not)', () => {
    expect(formatProjectIssue(typo)).toBe('project.yaml:9:3 conditions.waltime: unknown key');
  });

  it('can be handed to issues.map as it is', () => {
    expect([cpu, typo].map(formatProjectIssue)).toEqual([formatProjectIssue(cpu), formatProjectIssue(typo)]);
  });
});

describe('formatProjectIssueWithSuggestion (the CLI error details)', () => {
  it('adds "did you mean" after the one-line form', () => {
    expect(formatProjectIssueWithSuggestion(typo)).toBe(
      'project.yaml:9:3 conditions.waltime: unknown key (did you mean "walltime"?)',
    );
  });

  it('does not repeat a suggestion the message already names, and is the plain form without one', () => {
    const named = { ...typo, message: 'unknown key "waltime"; did you mean "walltime"?' };
    expect(formatProjectIssueWithSuggestion(named)).toBe(formatProjectIssue(named));
    expect(formatProjectIssueWithSuggestion(cpu)).toBe(formatProjectIssue(cpu));
  });
});
