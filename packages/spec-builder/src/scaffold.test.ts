import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFunctionSpec } from './build-function-spec';
import { loadProject } from './load-project';
import { parseProject } from './parse-project';
import { ProjectFilesExistError } from './project-files-exist-error';
import { projectJsonSchemaText } from './json-schema';
import { PROJECT_SCHEMA_PATH, projectFiles, projectYamlTemplate, randomProjectName, scaffoldProject } from './scaffold';

describe('scaffolding (pollinator new)', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('writes a valid, commented project.yaml with the original defaults', () => {
    const text = projectYamlTemplate({ projectName: 'hello' });
    expect(text).toMatch(/^# /);
    const result = parseProject(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.warnings).toEqual([]);
    expect(result.project).toMatchObject({
      projectName: 'hello',
      conditions: { nodes: 1, processesPerNode: 1, cpu: '1000m', mem: '1000Mi', walltime: 600, executorNames: [] },
      environment: { docker: 'python:3.12-rc-bookworm', initCmd: '', cmd: 'python3', source: 'main.py' },
    });
    const spec = buildFunctionSpec(result.project, { colonyName: 'dev', snapshotId: 'abc', dataSnapshotId: 'abc' });
    expect(spec.kwargs.args).toEqual(['/cfs/pollinator/hello/abc/src/main.py']);
  });

  it('uses a random 64-hex name by default and validates given names', () => {
    expect(randomProjectName()).toMatch(/^[0-9a-f]{64}$/);
    const result = parseProject(projectYamlTemplate());
    expect(result.ok && result.project.projectName).toMatch(/^[0-9a-f]{64}$/);
    expect(() => projectYamlTemplate({ projectName: 'a b' })).toThrow(/invalid project name/);
    const pinned = parseProject(projectYamlTemplate({ projectName: 'p', executorNames: ['lumi', 'k8s'], docker: 'alpine' }));
    expect(pinned.ok && pinned.project.conditions.executorNames).toEqual(['lumi', 'k8s']);
  });

  it('has a main.py that reads data/hello.txt and writes result/', () => {
    const files = projectFiles({ projectName: 'p' });
    expect(Object.keys(files).sort()).toEqual(['.pollinator/project.schema.json', 'cfs/data/hello.txt', 'cfs/src/main.py', 'project.yaml']);
    expect(files['cfs/src/main.py']).toContain('os.environ["PROJECT_DIR"]');
    expect(files['cfs/src/main.py']).toContain('"data", "hello.txt"');
    expect(files['cfs/src/main.py']).toContain('os.path.join(project_dir, "result")');
    expect(files['cfs/data/hello.txt']).toBe('Hello world!\n');
  });

  it('creates a loadable project directory and never overwrites', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scaffold-'));
    dirs.push(dir);
    const written = await scaffoldProject(dir, { projectName: 'fresh' });
    expect(written).toEqual(['project.yaml', 'cfs/src/main.py', 'cfs/data/hello.txt', PROJECT_SCHEMA_PATH]);
    expect((await stat(join(dir, 'cfs', 'result'))).isDirectory()).toBe(true);
    const loaded = await loadProject(dir);
    expect(loaded.project.projectName).toBe('fresh');

    await writeFile(join(dir, 'project.yaml'), 'mine');
    await expect(scaffoldProject(dir)).rejects.toThrow(/not overwriting existing files.*project\.yaml, cfs\/src\/main\.py/);
    const refused = await scaffoldProject(dir).catch((error: unknown) => error);
    expect(ProjectFilesExistError.isInstance(refused) && refused.files).toEqual(['project.yaml', 'cfs/src/main.py', 'cfs/data/hello.txt', PROJECT_SCHEMA_PATH]);
    expect(await readFile(join(dir, 'project.yaml'), 'utf8')).toBe('mine');
  });

  it('points editors at a schema that exists in the project (the yaml-language-server modeline)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scaffold-'));
    dirs.push(dir);
    await scaffoldProject(dir, { projectName: 'edited' });
    const yaml = await readFile(join(dir, 'project.yaml'), 'utf8');
    const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(yaml.split('\n')[0] ?? '');
    expect(modeline?.[1]).toBe(`./${PROJECT_SCHEMA_PATH}`);
    // yaml-language-server resolves a relative $schema against the YAML file's directory.
    const schemaText = await readFile(join(dir, modeline?.[1] ?? ''), 'utf8');
    expect(schemaText).toBe(projectJsonSchemaText());
    expect(JSON.parse(schemaText)).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' });
  });
});
