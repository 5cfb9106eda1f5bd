import { defineErrorMarker, PollinatorError } from '@pollinator/errors';
import { formatProjectIssue, type ProjectIssue } from './project-issues';

const PROJECT_CONFIG_ERROR = defineErrorMarker<ProjectConfigError>('ProjectConfigError');

/**
 * project.yaml is missing or invalid. `issues` lists every problem found (not
 * just the first); `message` has one formatted line per issue.
 */
export class ProjectConfigError extends PollinatorError {
  declare readonly name: 'ProjectConfigError';
  declare readonly code: 'INVALID_PROJECT';
  readonly issues: ProjectIssue[];

  constructor(issues: ProjectIssue[], options?: { cause?: unknown }) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const lines = issues.map((issue) => `  ${formatProjectIssue(issue)}`).join('\n');
    super('INVALID_PROJECT', `[pollinator] [spec-builder] invalid project (${count}):\n${lines}`, options);
    this.name = 'ProjectConfigError';
    this.issues = issues;
    PROJECT_CONFIG_ERROR.mark(this);
  }

  /** True for a ProjectConfigError from any copy of this package (or realm). */
  static override isInstance(error: unknown): error is ProjectConfigError {
    return PROJECT_CONFIG_ERROR.isMarked(error);
  }
}
