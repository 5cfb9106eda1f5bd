import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureConfinedDirectory, removeConfinedDirectory, removeSymlinksBelow, SymlinkRefusedError } from './confined-directory';

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pollinator-confined-'));
  outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'host.txt'), 'host\n');
  mkdirSync(join(root, 'fs'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('ensureConfinedDirectory', () => {
  it('creates missing components one by one', async () => {
    expect(await ensureConfinedDirectory(join(root, 'fs'), join(root, 'fs', 'a', 'b', 'c'), { create: true })).toBe(true);
    expect(lstatSync(join(root, 'fs', 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(await ensureConfinedDirectory(join(root, 'fs'), join(root, 'fs', 'x'), { create: false })).toBe(false);
  });

  it('takes a name that starts with two dots as a name inside the root, and still refuses a dir outside it', async () => {
    expect(await ensureConfinedDirectory(join(root, 'fs'), join(root, 'fs', 'pollinator', '..x'), { create: true })).toBe(true);
    expect(lstatSync(join(root, 'fs', 'pollinator', '..x')).isDirectory()).toBe(true);
    await expect(ensureConfinedDirectory(join(root, 'fs'), join(root, 'outside'), { create: true })).rejects.toThrow(/is not inside/);
  });

  it('refuses a symlink at any component, the last included, naming it', async () => {
    mkdirSync(join(root, 'fs', 'a'));
    symlinkSync(outside, join(root, 'fs', 'a', 'b'));
    await expect(ensureConfinedDirectory(join(root, 'fs'), join(root, 'fs', 'a', 'b', 'c'), { create: true })).rejects.toThrow(
      new SymlinkRefusedError(join(root, 'fs', 'a', 'b'), `it is a symlink (to ${outside})`),
    );
    await expect(ensureConfinedDirectory(join(root, 'fs'), join(root, 'fs', 'a', 'b'), { create: false })).rejects.toThrow(/it is a symlink/);
    expect(existsSync(join(outside, 'c'))).toBe(false);
  });
});

describe('removeConfinedDirectory', () => {
  it('never deletes through a symlinked ancestor', async () => {
    symlinkSync(outside, join(root, 'fs', 'link'));
    await expect(removeConfinedDirectory(join(root, 'fs'), join(root, 'fs', 'link', 'sub'))).rejects.toThrow(SymlinkRefusedError);
    expect(readFileSync(join(outside, 'host.txt'), 'utf8')).toBe('host\n');
  });

  it('removes the directory and only unlinks symlinks inside it', async () => {
    const dir = join(root, 'fs', 'p', 'result');
    mkdirSync(dir, { recursive: true });
    symlinkSync(outside, join(dir, 'escape'));
    await removeConfinedDirectory(join(root, 'fs'), dir);
    expect(existsSync(dir)).toBe(false);
    expect(readFileSync(join(outside, 'host.txt'), 'utf8')).toBe('host\n');
  });
});

describe('removeSymlinksBelow', () => {
  it('removes links at any depth without following them and lists them', async () => {
    const dir = join(root, 'fs', 'p', 'result');
    mkdirSync(join(dir, 'deep'), { recursive: true });
    writeFileSync(join(dir, 'own.txt'), 'own\n');
    symlinkSync(join(outside, 'host.txt'), join(dir, 'leak.txt'));
    symlinkSync(outside, join(dir, 'deep', 'dir-link'));
    expect(await removeSymlinksBelow(dir)).toEqual([
      { path: join('deep', 'dir-link'), target: outside },
      { path: 'leak.txt', target: join(outside, 'host.txt') },
    ]);
    expect(readFileSync(join(dir, 'own.txt'), 'utf8')).toBe('own\n');
    expect(existsSync(join(dir, 'leak.txt'))).toBe(false);
    expect(readFileSync(join(outside, 'host.txt'), 'utf8')).toBe('host\n');
  });
});
