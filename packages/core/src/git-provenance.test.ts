import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { gitProvenance } from './git-provenance';

const run = promisify(execFile);
const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'git-provenance-'));
  dirs.push(dir);
  return dir;
}

async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', dir, '-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args]);
  return stdout.trim();
}

describe('gitProvenance', () => {
  it('is absent outside a git work tree', async () => {
    expect(await gitProvenance(await tempDir())).toBeUndefined();
  });

  it('looks at the project directory only, not the rest of the repository', async () => {
    const root = await tempDir();
    await git(root, 'init', '-q');
    await mkdir(join(root, 'project'));
    await writeFile(join(root, 'project', 'a.txt'), 'a\n');
    await git(root, 'add', '.');
    await git(root, 'commit', '-q', '-m', 'first');
    await writeFile(join(root, 'elsewhere.txt'), 'x\n');
    expect(await gitProvenance(join(root, 'project'))).toMatchObject({ dirty: false });
    await writeFile(join(root, 'project', 'new.txt'), 'x\n');
    expect(await gitProvenance(join(root, 'project'))).toMatchObject({ dirty: true });
  });

  it('is absent in a repository without a commit', async () => {
    const dir = await tempDir();
    await git(dir, 'init', '-q');
    expect(await gitProvenance(dir)).toBeUndefined();
  });

  it('names the commit, clean, then dirty after an edit', async () => {
    const dir = await tempDir();
    await git(dir, 'init', '-q');
    await writeFile(join(dir, 'a.txt'), 'a\n');
    await git(dir, 'add', 'a.txt');
    await git(dir, 'commit', '-q', '-m', 'first');
    const head = await git(dir, 'rev-parse', 'HEAD');
    expect(await gitProvenance(dir)).toEqual({ commit: head, dirty: false });
    // What runs write themselves does not count: the .cfs markers and the downloaded results.
    await mkdir(join(dir, 'cfs', 'result'), { recursive: true });
    await writeFile(join(dir, 'cfs', '.cfs'), '');
    await writeFile(join(dir, 'cfs', 'result', 'out.txt'), 'x');
    expect(await gitProvenance(dir)).toEqual({ commit: head, dirty: false });
    await writeFile(join(dir, 'a.txt'), 'b\n');
    expect(await gitProvenance(dir)).toEqual({ commit: head, dirty: true });
  });
});
