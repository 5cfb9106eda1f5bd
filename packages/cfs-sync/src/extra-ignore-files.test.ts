import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSync } from './plan';
import { syncDirectory } from './sync';
import { memorySetup, tempDir, TEST_LABEL, writeTree } from './sync.test-helpers';

/** A project directory with a root ignore file, and its synced `cfs/src`. */
async function project(rootIgnore: string, tree: Record<string, string>) {
  const projectDir = await tempDir('project-');
  const rootIgnoreFile = join(projectDir, '.pollinatorignore');
  await writeFile(rootIgnoreFile, rootIgnore);
  const dir = join(projectDir, 'cfs', 'src');
  await writeTree(dir, tree);
  return { projectDir, rootIgnoreFile, dir };
}

describe('extraIgnoreFiles (a project-root ignore file)', () => {
  it('keeps secret.env out of the upload, naming the file and line', async () => {
    const { metadata, store, stateDir } = await memorySetup();
    const { rootIgnoreFile, dir } = await project('# secrets stay home\nsecret.env\n', { 'main.py': 'x', 'secret.env': 'TOKEN=1', 'sub/secret.env': 'TOKEN=2' });
    const result = await syncDirectory({ dir, label: TEST_LABEL, metadata, store, keepLocal: true, stateDir, ignore: { extraIgnoreFiles: [rootIgnoreFile] } });
    expect(metadata.revisions.map((file) => file.name)).toEqual(['main.py']);
    const ignored = result.plan.entries.filter((entry) => entry.action === 'ignored');
    expect(ignored.map((entry) => entry.path)).toEqual(['secret.env', 'sub/secret.env']);
    expect(ignored[0]!.ignoredBy).toEqual({ pattern: 'secret.env', file: rootIgnoreFile, line: 2 });
    expect(ignored[0]!.reason).toBe(`ignored by ${rootIgnoreFile}:2 (secret.env)`);
  });

  it('rules are relative to the synced directory, not to the ignore file', async () => {
    const { metadata } = await memorySetup();
    const { rootIgnoreFile, dir } = await project('/data.csv\ncfs/src/main.py\n', { 'data.csv': '1', 'main.py': 'x', 'sub/data.csv': '2' });
    const plan = await planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir: false, ignore: { extraIgnoreFiles: [rootIgnoreFile] } });
    expect(plan.entries.map((entry) => [entry.path, entry.action])).toEqual([
      ['data.csv', 'ignored'],
      ['main.py', 'upload'],
      ['sub/data.csv', 'upload'],
    ]);
  });

  it('order: built-ins, extra rules, extra files, then the tree’s own .pollinatorignore files; later wins, negation works', async () => {
    const { metadata } = await memorySetup();
    const { rootIgnoreFile, dir } = await project('!node_modules\n*.env\n*.log\n!draft-final.md\n', {
      'node_modules/pkg/index.js': 'kept: the extra file re-includes a built-in',
      'secret.env': 'ignored by the extra file',
      'public.env': 'kept: the tree re-includes it',
      'debug.log': 'ignored by the extra file',
      'draft-1.md': 'ignored by extraRules',
      'draft-final.md': 'kept: the extra file re-includes it after extraRules',
      'keep.txt': 'kept: no rule matches it',
      '.pollinatorignore': '!public.env\n',
    });
    const plan = await planSync({
      dir,
      label: TEST_LABEL,
      metadata,
      keepLocal: true,
      stateDir: false,
      ignore: { extraRules: ['draft*'], extraIgnoreFiles: [rootIgnoreFile, join(dir, '..', 'missing-ignore-file')] },
    });
    const actions = Object.fromEntries(plan.entries.map((entry) => [entry.path, entry.action]));
    expect(actions).toEqual({
      '.pollinatorignore': 'upload',
      'debug.log': 'ignored',
      'draft-1.md': 'ignored',
      'draft-final.md': 'upload',
      'keep.txt': 'upload',
      'node_modules/pkg/index.js': 'upload',
      'public.env': 'upload',
      'secret.env': 'ignored',
    });
  });

  it('refuses a relative path (it would depend on the working directory)', async () => {
    const { metadata } = await memorySetup();
    const dir = await tempDir();
    await expect(planSync({ dir, label: TEST_LABEL, metadata, keepLocal: true, stateDir: false, ignore: { extraIgnoreFiles: ['.pollinatorignore'] } })).rejects.toThrow(
      /extraIgnoreFiles: ".pollinatorignore" is not an absolute path/,
    );
  });
});
