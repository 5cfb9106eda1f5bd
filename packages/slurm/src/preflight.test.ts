/**
 * The Slurm backend's preflight against the real Slurm of scripts/services:
 * it passes on a working login node, and names the problem and what to do
 * when a Slurm command is missing from the PATH, SLURM_CONF names no file,
 * slurmctld cannot be reached, or the container runtime is missing.
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendPreflightError } from '@pollinator/backend';
import { createLocalRunner } from './runner';
import { preflightSlurm } from './preflight';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, shimOptions, shimSkipReason, slurmAvailable, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason, shimSkipReason);

const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-preflight-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Where `command` is on this machine's PATH (the test machine's Slurm). */
function whereIs(command: string): string {
  const found = (process.env.PATH ?? '').split(delimiter).map((directory) => join(directory, command)).find((path) => existsSync(path));
  if (found === undefined) throw new Error(`${command} is not on the PATH`);
  return found;
}

/** A fresh directory holding links to these commands only. */
function pathWith(commands: string[]): string {
  const directory = mkdtempSync(join(root, 'bin-'));
  for (const command of commands) symlinkSync(whereIs(command), join(directory, command));
  return directory;
}

/** The preflight's refusal (fails the test when it passes). */
async function refusal(check: Promise<void>): Promise<BackendPreflightError> {
  try {
    await check;
  } catch (error) {
    if (BackendPreflightError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('the preflight passed');
}

describe.skipIf(!slurmAvailable)(`Slurm preflight${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  const runner = createLocalRunner();
  const env = (overrides: Record<string, string>): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', ...overrides });

  it('passes on this login node (runtime none), through the backend', async () => {
    await expect(createSlurmBackend({ runtime: 'none' }).preflight!()).resolves.toBeUndefined();
  });

  it('names the Slurm command missing from the PATH and says what to do', async () => {
    const path = pathWith(['squeue', 'scontrol', 'scancel']);
    const error = await refusal(preflightSlurm({ runner, env: env({ PATH: path }), runtime: 'none', runtimeCommand: 'none' }));
    expect(error.message).toBe(`sbatch is not on the PATH (${path})`);
    expect(error.fix).toMatch(/Slurm login node.*PATH/);
    expect(error.backend).toBe('slurm');
  });

  it('reads the PATH the backend passes to Slurm commands: an executor whose PATH has no Slurm at all is refused', async () => {
    const saved = process.env.PATH;
    const empty = mkdtempSync(join(root, 'empty-'));
    process.env.PATH = empty;
    try {
      const error = await refusal(createSlurmBackend({ runtime: 'none' }).preflight!());
      expect(error.message).toBe(`sbatch, squeue, scontrol, scancel are not on the PATH (${empty})`);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('refuses a SLURM_CONF that names no file at once (Slurm itself would retry it for 60 s)', async () => {
    const error = await refusal(preflightSlurm({ runner, env: env({ SLURM_CONF: join(root, 'missing', 'slurm.conf') }), runtime: 'none', runtimeCommand: 'none' }));
    expect(error.message).toBe(`SLURM_CONF is ${join(root, 'missing', 'slurm.conf')}, which does not exist`);
    expect(error.fix).toContain('SLURM_CONF');
  });

  it('refuses a SLURM_CONF whose slurmctld does not answer', async () => {
    const conf = join(root, 'unreachable.conf');
    // A controller on a loopback port nobody listens on: the connection is refused at once.
    writeFileSync(conf, 'ClusterName=nowhere\nSlurmctldHost=nowhere(127.0.0.1)\nSlurmctldPort=9\n');
    const error = await refusal(preflightSlurm({ runner, env: env({ SLURM_CONF: conf }), runtime: 'none', runtimeCommand: 'none' }));
    expect(error.message).toMatch(new RegExp(`^slurmctld cannot be reached \\(SLURM_CONF=${conf}\\): .*DOWN`));
    expect(error.fix).toContain('scontrol ping');
  });

  it('refuses a container runtime that is not installed', async () => {
    const error = await refusal(
      createSlurmBackend({ runtime: 'apptainer', runtimeCommand: join(root, 'no-apptainer'), imageDir: join(root, 'images') }).preflight!(),
    );
    expect(error.message).toContain(`the apptainer runtime (${join(root, 'no-apptainer')}) is not on the PATH`);
    expect(error.fix).toContain('POLLINATOR_SLURM_RUNTIME=none');
  });

  it("finds the runtime on the site's PATH, as image pulls do (POLLINATOR_SLURM_ENV_PATH)", async () => {
    const siteBin = mkdtempSync(join(root, 'site-bin-'));
    symlinkSync(whereIs('true'), join(siteBin, 'apptainer'));
    const siteEnv = { PATH: `${siteBin}${delimiter}${process.env.PATH ?? ''}` };
    await expect(createSlurmBackend({ runtime: 'apptainer', imageDir: join(root, 'site-images'), siteEnv }).preflight!()).resolves.toBeUndefined();
  });

  it.skipIf(shimSkipReason !== '')('passes with the Singularity stand-in and creates the image cache', async () => {
    const options = shimOptions();
    await expect(createSlurmBackend(options).preflight!()).resolves.toBeUndefined();
    expect(await runner.exists(options.imageDir!)).toBe(true);
  });
});
