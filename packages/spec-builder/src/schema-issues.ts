import type { z } from 'zod';
import { PROJECT_YAML_LIMITS } from './limits';
import type { Locator } from './locator';
import { ALLOWED } from './project-schema';
import type { ProjectIssue } from './project-issues';
import { pathSegment, preview, quote } from './quote';
import { knownKeys, patternOf, suggestKey, type PathSegment } from './suggest-key';

/**
 * zod issues → located `ProjectIssue`s, sorted by position and capped at
 * `PROJECT_YAML_LIMITS.maxIssues` (a last `truncated` issue counts the rest),
 * so a file with 100,000 unknown keys costs linear time and prints 50 lines.
 */
export function schemaIssues(issues: readonly z.core.$ZodIssue[], data: unknown, locator: Locator, file: string): ProjectIssue[] {
  const max = PROJECT_YAML_LIMITS.maxIssues;
  let total = 0;
  const located: ProjectIssue[] = [];
  for (const issue of issues) {
    // Only the first `max` unknown keys of one mapping are looked at; the rest are counted.
    const count = issue.code === 'unrecognized_keys' ? issue.keys.length : 1;
    total += count;
    if (located.length < max * 2) located.push(...toProjectIssues(issue, data, locator, file).slice(0, max));
  }
  return capIssues(
    located.sort((a, b) => a.line - b.line || a.column - b.column),
    file,
    total,
  );
}

/** The first `maxIssues` of `issues`, and one more saying how many of `total` were left out. */
export function capIssues(issues: ProjectIssue[], file: string, total = issues.length): ProjectIssue[] {
  const max = PROJECT_YAML_LIMITS.maxIssues;
  if (total <= max && issues.length <= max) return issues;
  const shown = issues.slice(0, max);
  const last = shown.at(-1);
  shown.push({
    file,
    line: last?.line ?? 1,
    column: last?.column ?? 1,
    path: '',
    code: 'truncated',
    message: `${total - shown.length} more problems not shown (at most ${max} are listed)`,
  });
  return shown;
}

/** What an issue says besides where it is. */
type IssueText = Pick<ProjectIssue, 'code' | 'message'> & Partial<Pick<ProjectIssue, 'found' | 'allowed' | 'suggestion'>>;

/** Where an issue is: the file, the line and column of the key or the value at `path`, and the path. */
interface IssuePlace {
  file: string;
  locator: Locator;
  path: readonly PathSegment[];
}

function locatedIssue(place: IssuePlace, part: 'key' | 'value', text: IssueText): ProjectIssue {
  return { file: place.file, ...place.locator.locate(place.path, part), path: formatPath(place.path), ...text };
}

function toProjectIssues(issue: z.core.$ZodIssue, data: unknown, locator: Locator, file: string): ProjectIssue[] {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.slice(0, PROJECT_YAML_LIMITS.maxIssues).map((key) => unknownKeyIssue({ file, locator, path }, key));
  }
  if (issue.code === 'invalid_key') {
    const key = path.at(-1);
    return [
      locatedIssue({ file, locator, path }, 'key', {
        code: 'invalid_value',
        message: issue.issues[0]?.message ?? 'invalid key',
        found: typeof key === 'string' ? quote(key) : String(key),
        allowed: ALLOWED[`${patternOf(path.slice(0, -1))}.<name>`] ?? allowedFor(path),
      }),
    ];
  }
  return [valueIssue(issue.message, data, { file, locator, path })];
}

/** `key` is not a key of the mapping at `parent.path`: with the nearest known key, if one is near. */
function unknownKeyIssue(parent: IssuePlace, key: string): ProjectIssue {
  const suggestion = suggestKey(parent.path, key);
  const known = knownKeys(parent.path);
  const shown = quote(key);
  return locatedIssue({ ...parent, path: [...parent.path, key] }, 'key', {
    code: 'unknown_key',
    message: suggestion === undefined ? `unknown key ${shown}` : `unknown key ${shown} (did you mean "${suggestion}"?)`,
    found: shown,
    allowed: known.length > 0 ? `one of ${known.join(', ')}` : allowedFor(parent.path),
    ...(suggestion === undefined ? {} : { suggestion }),
  });
}

/** The value at `place.path` is missing, or the whole file is empty, or the value is not accepted. */
function valueIssue(message: string, data: unknown, place: IssuePlace): ProjectIssue {
  const { path } = place;
  const value = valueAt(data, path);
  const allowed = allowedFor(path);
  if (value === undefined && path.length > 0) {
    return locatedIssue(place, 'key', {
      code: 'missing_key',
      message: `missing required key "${String(path.at(-1))}"`,
      found: 'nothing',
      allowed,
    });
  }
  if (value === undefined || (path.length === 0 && value === null)) {
    const wholeFile = { file: place.file, line: 1, column: 1, path: '' };
    return { ...wholeFile, code: 'invalid_value', message: 'the file is empty', found: 'nothing', allowed };
  }
  return locatedIssue(place, 'value', {
    code: 'invalid_value',
    message: message === allowed ? 'invalid value' : message,
    found: describeValue(value),
    allowed,
  });
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === null) return 'an empty value (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${preview(value.toString())} (${typeof value})`;
  }
  return typeof value;
}

/**
 * `['conditions', 'executorNames', 0]` → `conditions.executorNames[0]`; a key
 * that is not a simple name is quoted (`environment.env["A B"]`), so a path
 * is always one line.
 */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const shown = pathSegment(segment);
      text += text === '' || shown.startsWith('[') ? shown : `.${shown}`;
    }
  }
  return text;
}

function allowedFor(path: readonly PathSegment[]): string {
  const exact = ALLOWED[patternOf(path)];
  if (exact !== undefined) return exact;
  const wildcard = ALLOWED[patternOf([...path.slice(0, -1), '*'])];
  return wildcard ?? 'see docs/project-yaml.md';
}
