import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { createSandbox, runCli, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// `pollinator gc` through the real binary on the embedded default: runs that
// re-upload a changed data file fill the blob directory and the executor's
// staging; gc --dry-run changes nothing, gc frees the bytes, and a run and a
// pull afterwards still work.

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string, env: Record<string, string | undefined> = {}, timeoutMs = 90_000) =>
  runCli(args, { cwd, env: { ...sandbox.env, ...env }, timeoutMs });

const DATA_BYTES = 300_000;

/** Total size of the files in a directory tree. */
function treeBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((total, name) => total + treeBytes(join(path, name)), 0);
}

/** Size of the blob directory's objects (not its `.partial/` uploads). */
function blobBytes(): number {
  const dir = join(sandbox.dir, 'data', 'embedded', 'server', 'blobs');
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .reduce((total, name) => total + statSync(join(dir, name)).size, 0);
}

describe('pollinator gc on the embedded default', () => {
  it('frees unreferenced blobs, staging and old runs; --dry-run changes nothing; a run and a pull afterwards still work', { timeout: 300_000 }, async () => {
    const dir = await createProject(sandbox, 'gcdemo');
    const data = join(dir, 'cfs', 'data', 'big.bin');
    for (let index = 0; index < 3; index += 1) {
      writeFileSync(data, randomBytes(DATA_BYTES));
      const result = await cli(['run'], dir);
      expect(result.code, result.stderr).toBe(0);
    }
    const staging = join(sandbox.dir, 'data', 'embedded', 'executor', 'fs');
    const blobsBefore = blobBytes();
    const stagingBefore = treeBytes(staging);
    expect(blobsBefore).toBeGreaterThanOrEqual(3 * DATA_BYTES);
    expect(stagingBefore).toBeGreaterThanOrEqual(DATA_BYTES);
    const psBefore = await cli(['ps', '--json', '--all'], dir);
    expect(psBefore.events().filter((event) => event.type === 'process')).toHaveLength(3);

    const retention = ['--keep-last', '1', '--keep-days', '0'];
    const dry = await cli(['gc', '--dry-run', ...retention, '--json'], dir);
    expect(dry.code, dry.stderr).toBe(0);
    const [planned] = dry.events();
    expect(planned).toMatchObject({ type: 'gc', mode: 'embedded', dryRun: true, retention: { keepLast: 1, keepDays: 0 } });
    expect((planned!.blobs as { bytes: number }).bytes).toBeGreaterThanOrEqual(2 * DATA_BYTES);
    expect((planned!.processes as unknown[]).length).toBe(2);
    expect((planned!.staging as { count: number }).count).toBeGreaterThan(0);
    // Nothing changed.
    expect(blobBytes()).toBe(blobsBefore);
    expect(treeBytes(staging)).toBe(stagingBefore);
    const psAfterDry = await cli(['ps', '--json', '--all'], dir);
    expect(psAfterDry.events().filter((event) => event.type === 'process')).toHaveLength(3);

    const done = await cli(['gc', ...retention], dir);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/REMOVED\s+COUNT\s+SIZE/);
    expect(done.stdout).toMatch(/processes\s+2/);
    expect(done.stderr).toMatch(/Freed \d/);
    const blobsAfter = blobBytes();
    expect(blobsBefore - blobsAfter).toBe((planned!.blobs as { bytes: number }).bytes);
    expect(blobsAfter).toBeLessThan(blobsBefore - 2 * DATA_BYTES + 1);
    expect(treeBytes(staging)).toBe(0);
    const psAfter = await cli(['ps', '--json', '--all'], dir);
    expect(psAfter.events().filter((event) => event.type === 'process')).toHaveLength(1);

    // The kept run's results can still be pulled, and a new run works.
    rmSync(join(dir, 'cfs', 'result'), { recursive: true, force: true });
    mkdirSync(join(dir, 'cfs', 'result'));
    const pulled = await cli(['pull'], dir);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
    writeFileSync(data, randomBytes(DATA_BYTES));
    const again = await cli(['run'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Hello world!');

    // Nothing left over: a second gc with the same retention frees what the new run made obsolete only.
    const second = await cli(['gc', ...retention, '--json'], dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.events()[0]).toMatchObject({ type: 'gc', dryRun: false });
  });

  it('on a fresh data directory says there is nothing to collect and creates nothing', async () => {
    const result = await cli(['gc'], sandbox.dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('Nothing to collect');
    expect(existsSync(join(sandbox.dir, 'data', 'embedded'))).toBe(false);
  });

  it('refuses a retention that is not a whole number', async () => {
    const result = await cli(['gc', '--keep-days', 'soon'], sandbox.dir);
    expect(result.code).toBe(CliExitCode.USAGE);
    expect(result.stderr).toContain('--keep-days must be a whole number');
  });
});
