import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProject } from './parse-project';
import { formatProjectIssue } from './project-issues';

// The examples in docs/project-yaml.md must stay valid.
const DOC = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'project-yaml.md'), 'utf8');
const examples = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');

describe('docs/project-yaml.md examples', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples.map((example, index) => [index, example]))('example %i is a valid project', (_index, example) => {
    const result = parseProject(example);
    expect(result.ok ? [] : result.issues.map(formatProjectIssue)).toEqual([]);
  });
});
