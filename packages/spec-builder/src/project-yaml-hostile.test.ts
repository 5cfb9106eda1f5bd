import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_YAML_LIMITS } from './limits';
import { loadProject } from './load-project';
import { parseProject, type ParseProjectResult } from './parse-project';
import { ProjectConfigError } from './project-config-error';
import type { ProjectIssue } from './project-issues';

// Issue #13: a project.yaml is input like any other. These files used to hang
// (minutes), crash with exit 70, or pass `plan` and fail on the cluster.

const VALID = `projectname: demo
conditions:
  nodes: 1
  processesPerNode: 1
  cpu: 1000m
  mem: 1000Mi
  walltime: 600
environment:
  docker: python:3.12
  init-cmd: pip3 install numpy
  cmd: python3
  source: main.py
`;

/** Parses `text`, asserts that it took at most `ms` and failed, and returns the issues. */
function refused(text: string, ms = 3_000): ProjectIssue[] {
  const started = performance.now();
  let result: ParseProjectResult | undefined;
  expect(() => (result = parseProject(text))).not.toThrow();
  expect(performance.now() - started).toBeLessThan(ms);
  if (result === undefined || result.ok) throw new Error('expected the project to be refused');
  for (const issue of result.issues) {
    expect(issue.line).toBeGreaterThanOrEqual(1);
    expect(issue.column).toBeGreaterThanOrEqual(1);
  }
  return result.issues;
}

function lines(issues: ProjectIssue[]): string[] {
  return issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`);
}

describe('case 10: pathological project.yaml ends in located problems, quickly', () => {
  it('reports unknown keys of a file at the size limit in linear time, listing at most maxIssues', () => {
    let text = VALID;
    for (let index = 0; text.length < PROJECT_YAML_LIMITS.maxFileBytes - 100; index += 1) text += `unknownkey${index}: 1\n`;
    const issues = refused(text, 5_000);
    expect(issues).toHaveLength(PROJECT_YAML_LIMITS.maxIssues + 1);
    expect(issues[0]).toMatchObject({ line: 13, column: 1, code: 'unknown_key', path: 'unknownkey0' });
    expect(issues.at(-1)?.message).toMatch(/^\d+ more problems not shown \(at most 50 are listed\)$/);
  });

  it('refuses a file over the size limit by name and limit (3 MB of unknown keys took over 20 minutes)', () => {
    const text = VALID + 'x: 1\n'.repeat(600_000);
    const issues = refused(text, 1_000);
    expect(lines(issues)).toEqual([
      expect.stringMatching(/^1:1 : the file is 2\.9 MiB, more than the limit of 256\.0 KiB \(262144 bytes\)/),
    ]);
  });

  it('gives an undefined alias its location (was exit 70 "probably a bug")', () => {
    expect(lines(refused(`${VALID}retries: *nope\n`))).toEqual(['13:10 : alias *nope has no anchor &nope before it']);
  });

  it('refuses an alias inside its own anchor', () => {
    expect(lines(refused(`${VALID}x: &a [1, *a]\n`))).toEqual(['13:11 : alias *a is inside the value of its own anchor &a']);
  });

  it('stops "billion laughs" at the first alias', () => {
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let level = 1; level < 10; level += 1) {
      const previous = String.fromCharCode(96 + level);
      levels.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const issues = refused(`${VALID}laughs:\n${levels.map((line) => `  ${line}`).join('\n')}\n`);
    expect(lines(issues)).toEqual([expect.stringMatching(/^15:10 : aliases expand to too many values \(limit 100\)/)]);
  });

  it('limits the number of aliases', () => {
    const text = `${VALID}anchor: &v 1\nmany: [${Array(150).fill('*v').join(', ')}]\n`;
    expect(lines(refused(text))).toEqual([expect.stringMatching(/^14:\d+ : more than 100 aliases$/)]);
  });

  it.each([
    ['flow lists', `${VALID}x: ${'['.repeat(2_000)}${']'.repeat(2_000)}\n`, '13:55'],
    ['flow mappings', `${VALID}x: ${'{a: '.repeat(2_000)}1${'}'.repeat(2_000)}\n`, '13:'],
    ['block lists', `${VALID}x:\n${'- '.repeat(2_000)}a\n`, '14:'],
    // Indentation makes 2,000 levels of block mappings larger than the file limit; 600 fit.
    ['block mappings', `${VALID}x:\n${Array.from({ length: 600 }, (_, depth) => `${' '.repeat(depth + 1)}k:`).join('\n')}\n`, '6'],
  ])('stops deep %s at the nesting limit', (_name, text, where) => {
    const issues = refused(text, 1_000);
    expect(issues).toHaveLength(1);
    expect(`${issues[0]?.line}:${issues[0]?.column}`.startsWith(where)).toBe(true);
    expect(issues[0]?.message).toBe('mappings and lists are nested more than 50 levels deep');
  });

  it('keeps reporting repeated keys (now checked in linear time)', () => {
    const text = `${VALID}${Array.from({ length: 20_000 }, () => 'k: 1').join('\n')}\n`;
    const issues = refused(text);
    expect(issues[0]).toMatchObject({ line: 14, column: 1, message: 'YAML syntax error: Map keys must be unique' });
    expect(issues).toHaveLength(PROJECT_YAML_LIMITS.maxIssues);
  });

  it('stops at a megabyte-long key without a quadratic suggestion', () => {
    const issues = refused(`${VALID}? conditions2${'x'.repeat(200_000)}\n: 1\n`, 1_000);
    expect(issues[0]?.message).toMatch(/^unknown key "conditions2x+… \(200011 characters\)"$/);
  });

  it('stops after a bounded number of syntax errors', () => {
    const issues = refused(']'.repeat(250_000), 1_000);
    expect(issues).toHaveLength(PROJECT_YAML_LIMITS.maxIssues + 1);
  });

  it('refuses a second document', () => {
    expect(lines(refused(`${VALID}${'---\n'.repeat(30_000)}`, 1_000))).toEqual([
      '13:1 : YAML syntax error: Source contains multiple documents; a project.yaml holds one',
    ]);
  });
});

describe('case 10: loadProject reads at most the size limit', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spec-builder-hostile-'));
    await mkdir(join(dir, 'cfs', 'src'), { recursive: true });
    await writeFile(join(dir, 'cfs', 'src', 'main.py'), 'print(1)\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function loadIssues(): Promise<ProjectIssue[]> {
    const error = await loadProject(dir).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    if (!ProjectConfigError.isInstance(error)) throw new Error(`expected a ProjectConfigError, got ${String(error)}`);
    return error.issues;
  }

  it('refuses a big file before reading it, naming the file and the limit', async () => {
    const content = VALID + '#'.repeat(5_000_000);
    await writeFile(join(dir, 'project.yaml'), content);
    expect(lines(await loadIssues())).toEqual([
      `1:1 : project.yaml is ${content.length} bytes, more than the limit of 262144 bytes (256 KiB); a project.yaml describes one job and is a few hundred bytes`,
    ]);
  });

  it('refuses a FIFO instead of waiting for a writer', async () => {
    execFileSync('mkfifo', [join(dir, 'project.yaml')]);
    expect(lines(await loadIssues())).toEqual([expect.stringMatching(/project\.yaml in .* is not a regular file$/)]);
  });

  it('says how to opt in when the source is a symlink that would not be uploaded', async () => {
    await writeFile(join(dir, 'real.py'), 'print(1)\n');
    await rm(join(dir, 'cfs', 'src', 'main.py'));
    await symlink(join(dir, 'real.py'), join(dir, 'cfs', 'src', 'main.py'));
    await writeFile(join(dir, 'project.yaml'), VALID);
    expect(lines(await loadIssues())).toEqual([
      '12:11 environment.source: cfs/src/main.py is a symlink, which is not uploaded (sync.symlinks is "skip"); replace it with the file, or set sync.symlinks: inside in project.yaml',
    ]);
    await writeFile(join(dir, 'project.yaml'), `${VALID}sync: { symlinks: inside }\n`);
    expect((await loadProject(dir)).project.sync.symlinks).toBe('inside');
  });

  it('accepts a source with spaces and shell metacharacters', async () => {
    await writeFile(join(dir, 'cfs', 'src', 'my script;$(id).py'), 'print(1)\n');
    await writeFile(join(dir, 'project.yaml'), VALID.replace('source: main.py', 'source: "my script;$(id).py"'));
    expect((await loadProject(dir)).project.environment.source).toBe('my script;$(id).py');
  });
});
