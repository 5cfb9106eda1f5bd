// The `@pollinator/spec-builder/project-issues` entry: the issue type, its
// formatters and this package's errors, without the parser (no zod, no yaml),
// so the CLI can explain a failure at start-up without loading either.
export {
  formatProjectIssue,
  formatProjectIssueWithSuggestion,
  type FormattableProjectIssue,
  type ProjectIssue,
} from './project-issues';
export { ProjectConfigError } from './project-config-error';
export { ProjectFilesExistError } from './project-files-exist-error';
