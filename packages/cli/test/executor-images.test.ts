/**
 * `pollinator executor warm` and `executor images [--prune]` on the login node,
 * against the real Slurm (squeue: which jobs still need an image) and the
 * Singularity stand-in (scripts/singularity-shim; its argv log counts pulls).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { createSandbox, runCli, type Sandbox } from './cli-harness';

const shim = process.env.POLLINATOR_TEST_SINGULARITY;
const shimImages = process.env.SINGULARITY_SHIM_IMAGES;
const ready = process.env.POLLINATOR_TEST_SLURM === '1' && shim !== undefined && shimImages !== undefined;
const requireServices = process.env.POLLINATOR_REQUIRE_SERVICES === '1';

let sandbox: Sandbox;
let env: Record<string, string | undefined>;
let imageDir: string;
let shimLog: string;

beforeAll(() => {
  sandbox = createSandbox();
  imageDir = join(sandbox.dir, 'images');
  shimLog = join(sandbox.dir, 'shim.log');
  env = {
    ...sandbox.env,
    POLLINATOR_SLURM_RUNTIME_COMMAND: shim,
    POLLINATOR_SLURM_IMAGE_DIR: imageDir,
    POLLINATOR_SLURM_ENV_SINGULARITY_SHIM_IMAGES: shimImages,
    POLLINATOR_SLURM_ENV_SINGULARITY_SHIM_LOG: shimLog,
    POLLINATOR_SLURM_ENV_SINGULARITY_SHIM_CACHE: join(sandbox.dir, 'shim-cache'),
  };
});
afterAll(() => sandbox.cleanup());

const cli = (args: string[], extra: Record<string, string | undefined> = {}) => runCli(args, { cwd: sandbox.dir, env: { ...env, ...extra }, timeoutMs: 120_000 });
const pulls = () => (existsSync(shimLog) ? readFileSync(shimLog, 'utf8').split('\n').filter((line) => line.split('\t')[2] === 'pull') : []);
/** The `--json` lines, each checked against the committed schema (schema/events.schema.json). */
function events(stdout: string): Record<string, unknown>[] {
  const parsed = stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const event of parsed) expect(eventProblems(event)).toBe('');
  return parsed;
}

describe.skipIf(!ready && !requireServices)(`executor warm / images${ready ? '' : ' (skipped: no Slurm + Singularity stand-in; source .services.env)'}`, () => {
  it('warm pulls once (progress on stderr); a second warm finds it cached; images lists it; prune removes it', { timeout: 240_000 }, async () => {
    const warm = await cli(['executor', 'warm', 'busybox']);
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.stderr).toContain(`Warming busybox in ${imageDir}`);
    expect(warm.stderr).toContain('[pollinator] Pulling docker://busybox into');
    expect(warm.stderr).toMatch(/busybox: pulled in .* \(.*, sha256:[0-9a-f]{64}\)/);
    expect(pulls()).toHaveLength(1);

    const again = await cli(['--json', 'executor', 'warm', 'busybox']);
    expect(again.code, again.stderr).toBe(0);
    const [warmed] = events(again.stdout);
    expect(warmed).toMatchObject({ type: 'image.warmed', image: 'busybox', pulled: false, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(warmed!.sizeBytes).toBeGreaterThan(0);
    expect(pulls()).toHaveLength(1);
    // --rebuild pulls again, into the same file.
    const rebuilt = await cli(['--json', 'executor', 'warm', '--rebuild', 'busybox']);
    expect(events(rebuilt.stdout)).toEqual([expect.objectContaining({ type: 'image.warmed', image: 'busybox', pulled: true, path: warmed!.path })]);
    expect(pulls()).toHaveLength(2);

    const listed = await cli(['--json', 'executor', 'images']);
    expect(listed.code, listed.stderr).toBe(0);
    const [image] = events(listed.stdout);
    const [latest] = events(rebuilt.stdout);
    expect(image).toMatchObject({ type: 'image', reference: 'busybox', path: warmed!.path, digest: latest!.digest, sizeBytes: latest!.sizeBytes, inUse: false });
    expect(Date.parse(image!.lastUsedAt as string)).toBeGreaterThanOrEqual(Date.parse(image!.pulledAt as string));
    const table = await cli(['executor', 'images']);
    expect(table.stdout).toMatch(/^IMAGE\s+DIGEST\s+SIZE\s+LAST USED\n/);
    expect(table.stdout).toMatch(/\nbusybox\s+sha256:[0-9a-f]{12}\s+\S+ \S+\s+\d+s ago/);

    // Used a moment ago: --older-than 1d keeps it; a plain --prune removes it.
    const young = await cli(['--json', 'executor', 'images', '--prune', '--older-than', '1d']);
    expect(events(young.stdout)).toEqual([expect.objectContaining({ type: 'images.pruned', removed: 0, kept: 1, freedBytes: 0 })]);
    const pruned = await cli(['executor', 'images', '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toMatch(/Removed busybox \(/);
    expect(pruned.stdout).toMatch(/^1 image\(s\) removed, .* freed; 0 kept\n$/);
    expect(existsSync(image!.path as string)).toBe(false);
    expect((await cli(['executor', 'images'])).stdout).toBe(`No images cached in ${imageDir}\n`);
  });

  it('an image that cannot be pulled: the others are still warmed, exit 1, the message names it', { timeout: 120_000 }, async () => {
    const result = await cli(['--json', 'executor', 'warm', 'no-such-image:1', 'busybox']);
    expect(result.code).toBe(CliExitCode.JOB_FAILED);
    const lines = events(result.stdout);
    expect(lines[0]).toMatchObject({ type: 'image.warm-failed', image: 'no-such-image:1', message: expect.stringContaining('Failed to pull container image no-such-image:1') });
    expect(lines[1]).toMatchObject({ type: 'image.warmed', image: 'busybox' });
    expect(result.stdout + result.stderr).toContain('1 of 2 image(s) could not be pulled');
  });

  it('settings the cache cannot use are a configuration error (78) that says what to set', async () => {
    const result = await cli(['executor', 'images'], { POLLINATOR_SLURM_RUNTIME: 'none' });
    expect(result.code).toBe(CliExitCode.CONFIG);
    expect(result.stderr).toContain('POLLINATOR_SLURM_RUNTIME=none runs jobs without images: there is no image cache');
    const bad = await cli(['executor', 'images', '--prune', '--older-than', 'soon']);
    expect(bad.code).toBe(CliExitCode.USAGE);
    expect(bad.stderr).toContain('--older-than takes an age such as 30d, 12h, 90m or 45s, got "soon"');
  });
});
