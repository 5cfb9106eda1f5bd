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

function toProjectIssues(issue: z.core.$ZodIssue, data: unknown, locator: Locator, file: string): ProjectIssue[] {
  const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');

  if (issue.code === 'unrecognized_keys') {
    return issue.keys.slice(0, PROJECT_YAML_LIMITS.maxIssues).map((key) => {
      const keyPath = [...path, key];
      const suggestion = suggestKey(path, key);
      const known = knownKeys(path);
      const shown = quote(key);
      return {
        file,
        ...locator.locate(keyPath, 'key'),
        path: formatPath(keyPath),
        code: 'unknown_key',
        message: suggestion === undefined ? `unknown key ${shown}` : `unknown key ${shown} (did you mean "${suggestion}"?)`,
        found: shown,
        allowed: known.length > 0 ? `one of ${known.join(', ')}` : allowedFor(path),
        ...(suggestion === undefined ? {} : { suggestion }),
      };
    });
  }

  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message ?? 'invalid key';
    const key = path.at(-1);
    return [
      {
        file,
        ...locator.locate(path, 'key'),
        path: formatPath(path),
        code: 'invalid_value',
        message: inner,
        found: typeof key === 'string' ? quote(key) : String(key),
        allowed: ALLOWED[`${patternOf(path.slice(0, -1))}.<name>`] ?? allowedFor(path),
      },
    ];
  }

  const value = valueAt(data, path);
  const allowedText = allowedFor(path);
  if (value === undefined && path.length > 0) {
    return [
      {
        file,
        ...locator.locate(path, 'key'),
        path: formatPath(path),
        code: 'missing_key',
        message: `missing required key "${String(path.at(-1))}"`,
        found: 'nothing',
        allowed: allowedText,
      },
    ];
  }
  if (value === undefined || (path.length === 0 && value === null)) {
    return [
      {
        file,
        line: 1,
        column: 1,
        path: '',
        code: 'invalid_value',
        message: 'the file is empty',
        found: 'nothing',
        allowed: allowedText,
      },
    ];
  }
  const problem = issue.message === allowedText ? 'invalid value' : issue.message;
  return [
    {
      file,
      ...locator.locate(path, 'value'),
      path: formatPath(path),
      code: 'invalid_value',
      message: problem,
      found: describeValue(value),
      allowed: allowedText,
    },
  ];
}

function valueAt(data: unknown, path: PathSegment[]): unknown {
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
