import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findStagingDirs, overlaps, removeStagingDirs } from './gc-staging';

let fsDir: string;
beforeEach(() => {
  fsDir = mkdtempSync(join(tmpdir(), 'pollinator-gc-staging-'));
});
afterEach(() => {
  rmSync(fsDir, { recursive: true, force: true });
});

/** A staged file at the CFS path `dir`/`name`. */
function stage(dir: string, name = 'file.txt', text = 'staged'): void {
  mkdirSync(join(fsDir, dir), { recursive: true });
  writeFileSync(join(fsDir, dir, name), text);
}

describe('overlaps', () => {
  it('is the same dir or one inside the other, by whole components', () => {
    expect(overlaps('/pollinator/p', '/pollinator/p/data')).toBe(true);
    expect(overlaps('/pollinator/p/data', '/pollinator/p/data')).toBe(true);
    expect(overlaps('/pollinator/p', '/pollinator/p2')).toBe(false);
  });
});

describe('findStagingDirs', () => {
  it('takes whole projects when nothing of them is active, and only the idle dirs of a project that has an active one', async () => {
    stage('/pollinator/idle/s1/src');
    stage('/pollinator/idle/data', 'big.bin', 'x'.repeat(100));
    stage('/pollinator/busy/s1/src');
    stage('/pollinator/busy/s2/src');
    stage('/pollinator/busy/data');
    const found = await findStagingDirs(fsDir, ['/pollinator/busy/s2/src', '/pollinator/busy/data']);
    expect(found.map((dir) => [dir.dir, dir.bytes])).toEqual([
      ['/pollinator/busy/s1', 'staged'.length],
      ['/pollinator/idle', 'staged'.length + 100],
    ]);
  });

  it('never offers the namespace itself (`/pollinator`), and ignores plain files up there', async () => {
    writeFileSync(join(fsDir, 'stray.txt'), 'not a staging dir');
    mkdirSync(join(fsDir, 'pollinator'));
    expect(await findStagingDirs(fsDir, [])).toEqual([]);
  });
});

describe('removeStagingDirs', () => {
  it('removes the dirs, and leaves no trash behind', async () => {
    stage('/pollinator/p/s1/src');
    stage('/pollinator/q/data');
    const found = await findStagingDirs(fsDir, []);
    const removed = await removeStagingDirs(fsDir, found, async () => []);
    expect(removed.map((dir) => dir.dir)).toEqual(['/pollinator/p', '/pollinator/q']);
    expect(existsSync(join(fsDir, 'pollinator', 'p'))).toBe(false);
    expect(existsSync(join(fsDir, 'pollinator', 'q'))).toBe(false);
    expect(await findStagingDirs(fsDir, [])).toEqual([]);
  });

  it('puts back a dir a job started staging in after it was found', async () => {
    stage('/pollinator/p/data', 'big.bin', 'the data');
    stage('/pollinator/p/s1/src');
    const found = await findStagingDirs(fsDir, []);
    const removed = await removeStagingDirs(fsDir, found, async () => ['/pollinator/p/data']);
    expect(removed).toEqual([]);
    expect(readFileSync(join(fsDir, 'pollinator', 'p', 'data', 'big.bin'), 'utf8')).toBe('the data');
  });

  it('keeps the fresh copy a job made meanwhile, and the old one goes', async () => {
    stage('/pollinator/p/data', 'big.bin', 'old');
    const found = await findStagingDirs(fsDir, []);
    const removed = await removeStagingDirs(fsDir, found, async () => {
      stage('/pollinator/p/data', 'big.bin', 'fresh');
      return ['/pollinator/p/data'];
    });
    expect(removed.map((dir) => dir.dir)).toEqual(['/pollinator/p']);
    expect(readFileSync(join(fsDir, 'pollinator', 'p', 'data', 'big.bin'), 'utf8')).toBe('fresh');
  });

  it('puts everything back when it cannot learn what is active, and fails', async () => {
    stage('/pollinator/p/data', 'big.bin', 'the data');
    const found = await findStagingDirs(fsDir, []);
    await expect(removeStagingDirs(fsDir, found, async () => Promise.reject(new Error('server gone')))).rejects.toThrow('server gone');
    expect(readFileSync(join(fsDir, 'pollinator', 'p', 'data', 'big.bin'), 'utf8')).toBe('the data');
  });

  it('removes a tree with read-only directories in it (as a Go module cache leaves them)', async () => {
    stage('/pollinator/p/s1/src/cache/mod', 'go.mod', 'module x');
    chmodSync(join(fsDir, 'pollinator', 'p', 's1', 'src', 'cache', 'mod'), 0o555);
    chmodSync(join(fsDir, 'pollinator', 'p', 's1', 'src', 'cache'), 0o555);
    const removed = await removeStagingDirs(fsDir, await findStagingDirs(fsDir, []), async () => []);
    expect(removed.map((dir) => dir.dir)).toEqual(['/pollinator/p']);
    expect(existsSync(join(fsDir, 'pollinator', 'p'))).toBe(false);
  });

  it('removes the trash an interrupted gc left', async () => {
    stage('/.pollinator-gc-123-abc/0/src');
    const found = await findStagingDirs(fsDir, []);
    expect(found.map((dir) => dir.dir)).toEqual(['']);
    await removeStagingDirs(fsDir, found, async () => []);
    expect(existsSync(join(fsDir, '.pollinator-gc-123-abc'))).toBe(false);
  });
});
