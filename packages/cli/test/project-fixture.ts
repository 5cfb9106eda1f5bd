import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli, type Sandbox } from './cli-harness';

/**
 * Scaffolds a project with the real `pollinator new`, then adapts it for a
 * test: a fast `init-cmd` (the template's `pip3 install numpy` costs seconds)
 * and, optionally, another `main.py`.
 */
export async function createProject(
  sandbox: Sandbox,
  name: string,
  options: { mainPy?: string; initCmd?: string; projectYaml?: (text: string) => string } = {},
): Promise<string> {
  const created = await runCli(['new', name], { cwd: sandbox.dir, env: sandbox.env });
  expect(created.code, created.stderr).toBe(0);
  const dir = join(sandbox.dir, name);
  const yamlPath = join(dir, 'project.yaml');
  let yaml = readFileSync(yamlPath, 'utf8').replace(/^(\s*)init-cmd: .*$/m, `$1init-cmd: ${options.initCmd ?? 'echo init'}`);
  if (options.projectYaml !== undefined) yaml = options.projectYaml(yaml);
  writeFileSync(yamlPath, yaml);
  if (options.mainPy !== undefined) writeFileSync(join(dir, 'cfs', 'src', 'main.py'), options.mainPy);
  return dir;
}
