import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, repoRoot, runCli, type Sandbox } from './cli-harness';

// Projects written by the original Go Pollinator, through the real binary on
// the embedded default: its `pollinator new` output and its Jupyter example
// (the recorded files in spec-builder's fixtures), in the layout the original
// creates (project.yaml, cfs/src, cfs/data, cfs/result). `plan` accepts each
// as it is; the new-project also runs to the end.

const GO_FIXTURES = join(repoRoot, 'packages', 'spec-builder', 'src', '__fixtures__', 'go-pollinator');
const GO_PROJECTS = ['new-project.yaml', 'jupyter_with_tunnel.project.yaml'];
const NEW_PROJECT_NAME = '0a583b8d1d38242a856483b8b613a2528a114101ffb8c2782e7fe5047dbbab3f';

/** The job: reads cfs/data, writes cfs/result (what a Pollinator project does). */
const MAIN_PY = [
  'import os',
  "d = os.environ['PROJECT_DIR']",
  "data = open(d + '/data/hello.txt').read()",
  "os.makedirs(d + '/result', exist_ok=True)",
  "open(d + '/result/result.txt', 'w').write(data.upper())",
  "print('go project ran:', data.strip(), flush=True)",
  '',
].join('\n');

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string, timeoutMs = 120_000) => runCli(args, { cwd, env: sandbox.env, timeoutMs });

/** A project directory holding the Go file as project.yaml (changed by `edit`, if given) and the cfs dirs. */
function goProject(file: string, edit: (yaml: string) => string = (yaml) => yaml): string {
  const dir = join(sandbox.dir, file.replace(/\.yaml$/, ''));
  for (const sub of ['src', 'data', 'result']) mkdirSync(join(dir, 'cfs', sub), { recursive: true });
  writeFileSync(join(dir, 'project.yaml'), edit(readFileSync(join(GO_FIXTURES, file), 'utf8')));
  writeFileSync(join(dir, 'cfs', 'src', 'main.py'), MAIN_PY);
  writeFileSync(join(dir, 'cfs', 'data', 'hello.txt'), 'hello from a go project\n');
  return dir;
}

describe('projects written by the original Go Pollinator', () => {
  it.each(GO_PROJECTS)('`pollinator plan` accepts %s as it is', { timeout: 120_000 }, async (file) => {
    const dir = goProject(file);
    const result = await cli(['plan'], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Nothing was changed');
    expect(result.stdout).toContain('"funcname": "execute"');
    expect(result.stdout).toContain('main.py');
  });

  it('runs the new-project to the end on the embedded default', { timeout: 180_000 }, async () => {
    // Two lines differ from what the original wrote: executorNames names the
    // embedded default's executor (as `pollinator-go new -n dev-executor` would
    // have), and init-cmd does not download numpy (network, seconds; the
    // original joins it with `;`, so it cannot change the outcome anyway).
    const dir = goProject('new-project.yaml', (yaml) => {
      const edited = yaml.replace('- fixture-go-none', '- dev-executor').replace('init-cmd: pip3 install numpy', 'init-cmd: echo init');
      expect(edited).not.toBe(yaml);
      expect(edited).toContain('tunnel: null');
      return edited;
    });
    const result = await cli(['run'], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('go project ran: hello from a go project');
    expect(result.stderr).toMatch(/Submitted process [0-9a-f]{64} to colony dev/);
    expect(result.stderr).toContain(`Project ${NEW_PROJECT_NAME}`);
    expect(result.stderr).toContain('Succeeded');
    expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO FROM A GO PROJECT\n');
  });
});
