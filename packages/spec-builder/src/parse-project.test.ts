import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from './load-project';
import { parseProject } from './parse-project';
import { suggestKey } from './suggest-key';
import { ProjectConfigError } from './project-config-error';
import { formatProjectIssue, type ProjectIssue } from './project-issues';

const VALID = `projectname: demo
conditions:
  executorNames: []
  nodes: 1
  processesPerNode: 1
  cpu: 1000m
  mem: 1000Mi
  walltime: 600
  gpu:
    count: 0
    name: ""
environment:
  docker: python:3.12-rc-bookworm
  rebuildImage: false
  init-cmd: pip3 install numpy
  cmd: python3
  source: main.py
`;

function issuesOf(text: string): ProjectIssue[] {
  const result = parseProject(text);
  if (result.ok) throw new Error('expected issues');
  return result.issues;
}

describe('parseProject', () => {
  it('reads the original Pollinator format unchanged', () => {
    const result = parseProject(VALID);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.project).toEqual({
      projectName: 'demo',
      conditions: {
        executorNames: [],
        executorType: 'container-executor',
        nodes: 1,
        processesPerNode: 1,
        cpu: '1000m',
        mem: '1000Mi',
        walltime: 600,
        gpu: { count: 0, name: '' },
      },
      environment: {
        docker: 'python:3.12-rc-bookworm',
        rebuildImage: false,
        initCmd: 'pip3 install numpy',
        cmd: 'python3',
        source: 'main.py',
        env: {},
      },
      slurm: {},
      retries: 3,
      result: { download: 'always' },
      sync: { symlinks: 'skip' },
    });
    expect(result.warnings).toEqual([]);
  });

  it('applies defaults and accepts every optional key', () => {
    const result = parseProject(`projectname: p
conditions: { cpu: 500m, mem: 2Gi, walltime: 60 }
environment:
  docker: alpine
  cmd: echo
  env: { A: "1", B: 2 }
slurm: { account: a, partition: p, qos: q }
retries: 5
result: { download: never }
sync: { symlinks: inside }
tunnel: { port: 8888 }
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.project.conditions.nodes).toBe(1);
    expect(result.project.environment.env).toEqual({ A: '1', B: '2' });
    expect(result.project.slurm).toEqual({ account: 'a', partition: 'p', qos: 'q' });
    expect(result.project.retries).toBe(5);
    expect(result.project.result.download).toBe('never');
    expect(result.project.tunnel).toEqual({ mode: 'forward', port: 8888, localPort: 8888 });
    expect(result.project.sync).toEqual({ symlinks: 'inside' });
    // No source: allowed, with a warning (the original logged one too).
    expect(result.warnings.map((warning) => warning.path)).toEqual(['environment.source']);
  });

  it('reports every problem at once, with line, column, path, found and allowed', () => {
    const issues = issuesOf(`projectname: demo
conditions:
  nodes: 200
  processespernode: 1
  cpu: 2
  mem: 1.5Gi
  walltime: 0
environment:
  docker: python:3.12
  cmd: python3
  env:
    PROJECT_DIR: /x
retries: 0
`);
    const byPath = Object.fromEntries(issues.map((issue) => [issue.path, issue]));
    expect(Object.keys(byPath).sort()).toEqual([
      'conditions.cpu',
      'conditions.mem',
      'conditions.nodes',
      'conditions.processespernode',
      'conditions.walltime',
      'environment.env.PROJECT_DIR',
      'retries',
    ]);
    expect(byPath['conditions.nodes']).toMatchObject({ line: 3, column: 10, found: '200 (number)' });
    expect(byPath['conditions.nodes']?.allowed).toMatch(/1 to 127/);
    expect(byPath['conditions.processespernode']).toMatchObject({
      line: 4,
      column: 3,
      code: 'unknown_key',
      suggestion: 'processesPerNode',
    });
    expect(byPath['conditions.cpu']).toMatchObject({ line: 5, column: 8, found: '"2"' });
    expect(byPath['conditions.cpu']?.message).toMatch(/bare number.*"2000m"/);
    expect(byPath['conditions.cpu']?.allowed).toMatch(/millicores/);
    expect(byPath['conditions.mem']).toMatchObject({ line: 6, column: 8, found: '"1.5Gi"' });
    expect(byPath['conditions.mem']?.message).toMatch(/1536Mi/);
    expect(byPath['conditions.walltime']).toMatchObject({ line: 7, column: 13, found: '0 (number)' });
    expect(byPath['environment.env.PROJECT_DIR']).toMatchObject({ line: 12, column: 5 });
    expect(byPath['environment.env.PROJECT_DIR']?.message).toMatch(/set by Pollinator/);
    expect(byPath.retries).toMatchObject({ line: 13, column: 10 });
    // Sorted by position.
    expect(issues.map((issue) => issue.line)).toEqual([...issues.map((issue) => issue.line)].sort((a, b) => a - b));
    expect(formatProjectIssue(byPath['conditions.cpu']!)).toMatch(
      /^project\.yaml:5:8 conditions\.cpu: a bare number is not accepted .*; found "2"; allowed: millicores/,
    );
  });

  it('points a missing key at the mapping that lacks it', () => {
    const issues = issuesOf(`projectname: demo
conditions:
  cpu: 100m
  mem: 1Gi
environment:
  cmd: python3
`);
    expect(issues.map((issue) => [issue.path, issue.code, issue.line, issue.column])).toEqual([
      ['conditions.walltime', 'missing_key', 2, 1],
      ['environment.docker', 'missing_key', 5, 1],
    ]);
    expect(issues[0]?.message).toBe('missing required key "walltime"');
    expect(issues[0]?.found).toBe('nothing');
  });

  it('suggests the nearest key for unknown keys, also at the wrong level', () => {
    const issues = issuesOf(`projectname: demo
conditions:
  cpu: 100m
  mem: 1Gi
  walltime: 60
  exectorNames: [a]
environment:
  docker: x
  cmd: y
  initCmd: z
account: mine
colour: blue
`);
    expect(issues.map((issue) => [issue.path, issue.suggestion])).toEqual([
      ['conditions.exectorNames', 'executorNames'],
      ['environment.initCmd', 'init-cmd'],
      ['account', 'slurm.account'],
      ['colour', undefined],
    ]);
    expect(issues[0]?.message).toBe('unknown key "exectorNames" (did you mean "executorNames"?)');
    expect(issues[3]?.allowed).toMatch(/^one of projectname, conditions, environment, slurm, retries, retryOn, retryGrowth, result, sync, tunnel$/);
    expect(suggestKey([], 'ProjectName')).toBe('projectname');
    expect(suggestKey(['conditions'], 'memory')).toBe(undefined);
    expect(suggestKey(['conditions'], 'wallTime')).toBe('walltime');
  });

  it('reads scalars as the Go Pollinator (yaml.v2 into typed fields) did', () => {
    const result = parseProject(`projectname: 12345
conditions:
  executorNames: [7, lumi]
  cpu: 1000m
  mem: 1Gi
  walltime: 60
  gpu:
    count: 0
    name:
environment:
  docker: python:3.12
  rebuildImage: yes
  init-cmd:
  cmd: python3
  source: 1.py
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.project.projectName).toBe('12345');
    expect(result.project.conditions.executorNames).toEqual(['7', 'lumi']);
    expect(result.project.conditions.gpu.name).toBe('');
    expect(result.project.environment).toMatchObject({ rebuildImage: true, initCmd: '', source: '1.py' });
  });

  it('still reports a number where millicores belong, with a hint', () => {
    const issues = issuesOf(VALID.replace('cpu: 1000m', 'cpu: 2'));
    expect(issues).toMatchObject([{ path: 'conditions.cpu', found: '"2"', line: 6, column: 8 }]);
    expect(issues[0]?.message).toMatch(/write "2000m"/);
  });

  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('projectname: demo\nconditions:\n  cpu: [1000m\n  mem: 1Gi\n');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ code: 'yaml', path: '' });
    expect(issues[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('reports duplicate keys', () => {
    const issues = issuesOf(VALID.replace('nodes: 1', 'nodes: 1\n  nodes: 2'));
    expect(issues[0]).toMatchObject({ code: 'yaml', line: 5 });
    expect(issues[0]?.message).toMatch(/unique/i);
  });

  it('reports an empty file', () => {
    expect(issuesOf('')).toMatchObject([{ line: 1, column: 1, message: 'the file is empty' }]);
    expect(issuesOf('# only a comment\n')).toMatchObject([{ message: 'the file is empty' }]);
    expect(issuesOf('- a\n- b\n')).toMatchObject([{ path: '', found: 'a list' }]);
  });

  it('checks names, sources, env names and list items', () => {
    const issues = issuesOf(`projectname: "my project"
conditions: { cpu: 100m, mem: 1Gi, walltime: 60, executorNames: [ok, ""], gpu: { count: -1 } }
environment:
  docker: x
  cmd: y
  source: ../outside.py
  env: { "1BAD": x, COLONIES_PRVKEY: k, GOOD: [1] }
result: { download: sometimes }
tunnel: { port: 70000 }
`);
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      'conditions.executorNames[1]',
      'conditions.gpu.count',
      'environment.env.1BAD',
      'environment.env.COLONIES_PRVKEY',
      'environment.env.GOOD',
      'environment.source',
      'projectname',
      'result.download',
      'tunnel.port',
    ]);
    const source = issues.find((issue) => issue.path === 'environment.source');
    expect(source?.message).toMatch(/inside cfs\/src/);
    const download = issues.find((issue) => issue.path === 'result.download');
    expect(download).toMatchObject({ found: '"sometimes"', line: 8, column: 21 });
    expect(download?.allowed).toMatch(/always.*on-success.*never/);
  });
});

describe('loadProject', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  async function projectDir(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'spec-builder-'));
    dirs.push(dir);
    for (const [path, contents] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), contents);
    }
    return dir;
  }

  it('loads a project whose source exists', async () => {
    const dir = await projectDir({ 'project.yaml': VALID, 'cfs/src/main.py': 'print(1)\n' });
    const loaded = await loadProject(dir);
    expect(loaded.project.projectName).toBe('demo');
    expect(loaded.dir).toBe(dir);
  });

  it('fails when the source file is missing, pointing at environment.source', async () => {
    const dir = await projectDir({ 'project.yaml': VALID });
    const error = await loadProject(dir).catch((caught: unknown) => caught);
    expect(ProjectConfigError.isInstance(error)).toBe(true);
    const issues = (error as ProjectConfigError).issues;
    expect(issues).toMatchObject([{ path: 'environment.source', line: 17, column: 11, code: 'missing_file' }]);
    expect((error as Error).message).toMatch(/project\.yaml:17:11 environment\.source: cfs\/src\/main\.py does not exist/);
  });

  it('fails with every issue when project.yaml is invalid', async () => {
    const dir = await projectDir({ 'project.yaml': 'projectname: x\nconditions: {}\nenvironment: {}\n' });
    const error = (await loadProject(dir).catch((caught: unknown) => caught)) as ProjectConfigError;
    expect(error.code).toBe('INVALID_PROJECT');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'conditions.cpu',
      'conditions.mem',
      'conditions.walltime',
      'environment.docker',
      'environment.cmd',
    ]);
    expect(error.message).toContain('invalid project (5 problems)');
  });

  it('fails clearly when there is no project.yaml', async () => {
    const dir = await projectDir({});
    await expect(loadProject(dir)).rejects.toThrow(/project\.yaml not found in .*pollinator new/);
  });
});
