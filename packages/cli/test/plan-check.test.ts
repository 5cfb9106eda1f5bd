import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient } from '@pollinator/colonies-client';
import { runExecutor, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { createSlurmBackend } from '@pollinator/slurm';
import { scaffoldProject } from '@pollinator/spec-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { colonyUserEnv, createSandbox, runCli, type Sandbox } from './cli-harness';

// `pollinator plan --check` (issue #17) through the real binary on a dev-server: a Slurm executor (the real
// Slurm of scripts/services/slurm-up.sh, runtime none) answers with `sbatch --test-only`; a spec no executor
// takes ends with "no executor answered" (exit 69) and leaves nothing queued.

const slurmAvailable = process.env.POLLINATOR_TEST_SLURM === '1';
if (process.env.POLLINATOR_REQUIRE_SERVICES === '1' && !slurmAvailable) {
  it('required service is available (Slurm)', () => {
    throw new Error('POLLINATOR_REQUIRE_SERVICES=1 but no Slurm: run scripts/services/slurm-up.sh');
  });
}

let server: DevServer;
let sandbox: Sandbox;
let root: string;
beforeAll(async () => {
  server = await startDevServer({});
  sandbox = createSandbox();
  root = mkdtempSync(join(tmpdir(), 'pollinator-plan-check-'));
});
afterAll(async () => {
  await server?.close();
  sandbox?.cleanup();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The colony's user, its files in the dev-server's blob directory. */
function env(): Record<string, string | undefined> {
  return colonyUserEnv(server, sandbox, { POLLINATOR_BLOB_DIR: server.blobDir });
}

/** A scaffolded project whose project.yaml gets `extra` appended (and `edit` applied). */
async function project(name: string, extra = '', edit: (yaml: string) => string = (yaml) => yaml): Promise<string> {
  const dir = join(root, name);
  await scaffoldProject(dir, { projectName: name });
  const yaml = edit(readFileSync(join(dir, 'project.yaml'), 'utf8').replace(/init-cmd: .*/, 'init-cmd: ""'));
  writeFileSync(join(dir, 'project.yaml'), `${yaml}${extra}`);
  return dir;
}

describe('plan --check', () => {
  it('no executor takes the preflight: exit 69, says why (Go executors ignore it), nothing left queued', { timeout: 120_000 }, async () => {
    const dir = await project('check-nobody', '', (yaml) => yaml.replace(/executorNames: \[\]/, 'executorNames: ["nobody-runs-this"]'));
    const result = await runCli(['plan', '--check', '--wait', '1', '--json'], { cwd: dir, env: env(), timeoutMs: 90_000 });
    expect(result.code, result.stderr).toBe(69);
    const line = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ type: 'plan.check', result: 'no-answer', ok: false, waitedSeconds: 1, message: 'no executor answered within 1 s' });
    expect(eventProblems(line)).toBe('');
    const human = await runCli(['plan', '--check', '--wait', '1'], { cwd: dir, env: env(), timeoutMs: 90_000 });
    expect(human.code).toBe(69);
    expect(human.stderr).toContain('No executor answered the preflight within 1 s');
    expect(human.stderr).toContain('the Go executors ignore the pollinator-preflight funcname');
    const user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name });
    expect(await user.getProcesses({ colonyName: server.identities.colony.name, state: 0 })).toEqual([]);
  });

  it('--wait must be whole seconds', async () => {
    const dir = await project('check-wait');
    const result = await runCli(['plan', '--check', '--wait', '0.5'], { cwd: dir, env: env(), timeoutMs: 60_000 });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('Invalid --wait "0.5": give whole seconds from 1 to 600');
  });
});

describe.skipIf(!slurmAvailable)(`plan --check with a Slurm executor${slurmAvailable ? '' : ' (skipped: no Slurm, run scripts/services/slurm-up.sh)'}`, () => {
  let executor: RunningExecutor;
  beforeAll(async () => {
    executor = runExecutor({
      client: createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName: server.identities.colony.name }),
      backend: createSlurmBackend({ runtime: 'none' }),
      cfs: { store: createLocalBlobStore({ dir: server.blobDir }) },
      fsDir: join(root, 'fs'),
      stateDir: join(root, 'executor'),
      assignTimeoutSeconds: 1,
    });
    await executor.ready;
  });
  afterAll(async () => {
    await executor?.stop('cancel');
  });

  it('a valid job: Slurm would start it (earliest start), exit 0', { timeout: 120_000 }, async () => {
    const dir = await project('check-valid');
    const result = await runCli(['plan', '--check'], { cwd: dir, env: env(), timeoutMs: 90_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/✔ Preflight \(slurm executor\): Slurm would start the job at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(result.stderr).toMatch(/earliest start: \d{4}-\d\d-\d\dT/);
  });

  it('a partition Slurm does not have: refused in Slurm\'s words, exit 65, a valid plan.check line', { timeout: 120_000 }, async () => {
    const dir = await project('check-partition', '\nslurm:\n  partition: no-such-partition\n');
    const result = await runCli(['plan', '--check', '--json'], { cwd: dir, env: env(), timeoutMs: 90_000 });
    expect(result.code, result.stderr).toBe(65);
    const line = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ type: 'plan.check', result: 'answered', ok: false, backend: 'slurm', checked: true });
    expect(line.message).toMatch(/^Slurm refuses the job: .*invalid partition/i);
    expect(eventProblems(line)).toBe('');
  });
});
