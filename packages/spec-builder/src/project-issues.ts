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

/** The fields of a `ProjectIssue` its one-line form shows (its `code` is not shown). */
export type FormattableProjectIssue = Omit<ProjectIssue, 'code'>;

/**
 * The one-line form of a project.yaml issue, used wherever one is shown
 * (`ProjectConfigError`, run events, the CLI's outcome):
 * `project.yaml:4:8 conditions.cpu: <message>; found "2"; allowed: <allowed>`.
 * One argument only, so it can be passed to `issues.map` as it is.
 */
export function formatProjectIssue(issue: FormattableProjectIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const parts = [`${where} ${issue.path === '' ? '(file)' : issue.path}: ${issue.message}`];
  if (issue.found !== undefined) parts.push(`found ${issue.found}`);
  if (issue.allowed !== undefined) parts.push(`allowed: ${issue.allowed}`);
  return parts.join('; ');
}

/**
 * `formatProjectIssue` followed by ` (did you mean "<suggestion>"?)` when the
 * issue has a suggestion its message does not already name: the form the
 * CLI's error details show.
 */
export function formatProjectIssueWithSuggestion(issue: FormattableProjectIssue): string {
  const line = formatProjectIssue(issue);
  const { suggestion } = issue;
  if (suggestion === undefined || issue.message.includes(suggestion)) return line;
  return `${line} (did you mean "${suggestion}"?)`;
}
