import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareMountDirectory } from './mount-directory';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pollinator-mount-directory-'));
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('prepareMountDirectory', () => {
  it('creates a missing staging directory below the staging root, level by level', () => {
    const fsDir = join(root, 'create', 'fs');
    prepareMountDirectory('local', join(fsDir, 'pollinator', 'p', 'data'), [fsDir]);
    expect(existsSync(join(fsDir, 'pollinator', 'p', 'data'))).toBe(true);
  });

  it('refuses a staging directory a job replaced with a link, or a link above it', () => {
    const fsDir = join(root, 'links', 'fs');
    const elsewhere = join(root, 'links', 'host');
    mkdirSync(join(elsewhere, 'data'), { recursive: true });
    mkdirSync(join(fsDir, 'pollinator', 'a'), { recursive: true });
    // A job of project A replaced its result directory with a link to a host directory.
    symlinkSync(elsewhere, join(fsDir, 'pollinator', 'a', 'result'));
    expect(() => prepareMountDirectory('local', join(fsDir, 'pollinator', 'a', 'result'), [fsDir])).toThrow(/is a symbolic link/);
    // A link planted where project B's directory will be: B's data dir would be created through it.
    symlinkSync(elsewhere, join(fsDir, 'pollinator', 'b'));
    expect(() => prepareMountDirectory('local', join(fsDir, 'pollinator', 'b', 'data'), [fsDir])).toThrow(/pollinator\/b is a symbolic link/);
    expect(existsSync(join(elsewhere, 'data', 'x'))).toBe(false);
  });

  it('refuses a file where a directory belongs', () => {
    const fsDir = join(root, 'file', 'fs');
    mkdirSync(join(fsDir, 'pollinator'), { recursive: true });
    writeFileSync(join(fsDir, 'pollinator', 'p'), 'x');
    expect(() => prepareMountDirectory('local', join(fsDir, 'pollinator', 'p', 'src'), [fsDir])).toThrow(/not a directory/);
  });

  it("trusts the staging root itself and what lies above it (the operator's layout)", () => {
    const disk = join(root, 'trusted', 'big-disk');
    mkdirSync(disk, { recursive: true });
    const fsDir = join(root, 'trusted', 'fs');
    symlinkSync(disk, fsDir);
    prepareMountDirectory('local', join(fsDir, 'pollinator', 'p', 'src'), [join(root, 'trusted'), fsDir]);
    expect(existsSync(join(disk, 'pollinator', 'p', 'src'))).toBe(true);
  });

  it('without a protected ancestor, still refuses a mount directory that is a link', () => {
    const link = join(root, 'plain-link');
    symlinkSync(root, link);
    expect(() => prepareMountDirectory('local', link, [])).toThrow(/symbolic link/);
    prepareMountDirectory('local', join(root, 'plain', 'dir'), []);
    expect(existsSync(join(root, 'plain', 'dir'))).toBe(true);
  });
});
