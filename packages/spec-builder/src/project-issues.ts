/** One problem (or warning) in a project.yaml, with where it is and what would be accepted. */
export interface ProjectIssue {
  /** File name as shown to the user, e.g. `project.yaml`. */
  file: string;
  /** 1-based line of the offending key or value. */
  line: number;
  /** 1-based column. */
  column: number;
  /** Dotted field path (`conditions.cpu`, `conditions.executorNames[0]`); '' for the whole file. */
  path: string;
  /**
   * Kind of problem. `limit`: the file exceeds a bound of `PROJECT_YAML_LIMITS`
   * (size, nesting, aliases); `truncated`: the last issue of a capped list,
   * counting the problems not shown.
   */
  code: 'yaml' | 'unknown_key' | 'missing_key' | 'invalid_value' | 'missing_file' | 'limit' | 'truncated' | 'warning';
  /** What is wrong, in one sentence. */
  message: string;
  /** What was found, rendered for humans (`"2"`, `2`, `a list`, `nothing`). */
  found?: string;
  /** What the field accepts. */
  allowed?: string;
  /** For unknown keys: the known key the user probably meant. */
  suggestion?: string;
}

/** `project.yaml:4:8 conditions.cpu: <message>; found "2"; allowed: <allowed>` */
export function formatProjectIssue(issue: ProjectIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const parts = [`${where} ${issue.path === '' ? '(file)' : issue.path}: ${issue.message}`];
  if (issue.found !== undefined) parts.push(`found ${issue.found}`);
  if (issue.allowed !== undefined) parts.push(`allowed: ${issue.allowed}`);
  return parts.join('; ');
}

const PROJECT_CONFIG_ERROR_MARKER = Symbol.for('pollinator.error.ProjectConfigError');

/**
 * project.yaml is missing or invalid. `issues` lists every problem found (not
 * just the first); `message` has one formatted line per issue.
 */
export class ProjectConfigError extends Error {
  override readonly name = 'ProjectConfigError';
  readonly code = 'INVALID_PROJECT';
  readonly issues: ProjectIssue[];
  private readonly [PROJECT_CONFIG_ERROR_MARKER] = true;

  constructor(issues: ProjectIssue[], options?: { cause?: unknown }) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      `[pollinator] [spec-builder] invalid project (${count}):\n${issues.map((issue) => `  ${formatProjectIssue(issue)}`).join('\n')}`,
      options,
    );
    this.issues = issues;
  }

  /** True for a ProjectConfigError from any copy of this package. */
  static isInstance(error: unknown): error is ProjectConfigError {
    return typeof error === 'object' && error !== null && PROJECT_CONFIG_ERROR_MARKER in error;
  }
}
