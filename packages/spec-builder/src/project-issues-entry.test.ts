import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as main from './index';
import * as entry from './project-issues-entry';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module specifier `file` imports, and those of the local files it imports, transitively. */
function importsOf(file: string, seen = new Set<string>()): Set<string> {
  const specifiers = new Set<string>();
  if (seen.has(file)) return specifiers;
  seen.add(file);
  const source = readFileSync(join(here, file), 'utf8');
  for (const match of source.matchAll(/^(?:import|export)\b[^;]*?\bfrom '([^']+)'/gms)) {
    const specifier = match[1]!;
    if (specifier.startsWith('./')) for (const inner of importsOf(`${specifier.slice(2)}.ts`, seen)) specifiers.add(inner);
    else specifiers.add(specifier);
  }
  return specifiers;
}

describe('@pollinator/spec-builder/project-issues', () => {
  it('exports the same formatters and error classes as the main entry', () => {
    expect(entry.formatProjectIssue).toBe(main.formatProjectIssue);
    expect(entry.formatProjectIssueWithSuggestion).toBe(main.formatProjectIssueWithSuggestion);
    expect(entry.ProjectConfigError).toBe(main.ProjectConfigError);
    expect(entry.ProjectFilesExistError).toBe(main.ProjectFilesExistError);
  });

  it('loads neither zod nor yaml (the CLI imports it at start-up)', () => {
    expect([...importsOf('project-issues-entry.ts')].sort()).toEqual(['@pollinator/errors']);
    expect([...importsOf('index.ts')]).toEqual(expect.arrayContaining(['zod', 'yaml']));
  });
});
