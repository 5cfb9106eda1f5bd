/**
 * End to end on real Slurm: projects run through `runProject` (what
 * `pollinator run` does) against `@pollinator/dev-server`, executed by
 * `runExecutor` with the Slurm backend. The cases every backend shares (the
 * sample project, a failing job, a cancel from the client, a detached and
 * restarted executor) are the executor-flow suite of `@pollinator/backend/test`,
 * with Slurm's own checks in its hooks (SLURM-JOBID and NODES, nothing left in
 * squeue after a cancel); the cases only Slurm has stay here: a pending reason
 * in the log, an executor killed with SIGKILL, containers. (The time limit, the stop signal and
 * retries: retry-real.test.ts.)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testExecutorFlow } from '@pollinator/backend/test';
import type { RunningExecutor } from '@pollinator/core';
import { imageFileName } from './image-cache';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, shimOptions, shimSkipReason, slurmAvailable, slurmSkipReason } from './services.test-helpers';
import { attributesOf, run, sampleProject, shellProject, squeueByName, startColony, startExecutor, type Colony } from './e2e.test-helpers';

requireServices(slurmSkipReason, shimSkipReason);

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

async function untilSqueueForgets(processId: string): Promise<void> {
  // The executor sees the cancel within its watch interval and waits for Slurm to confirm.
  const deadline = Date.now() + 15_000;
  while (squeueByName(processId) !== '' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  expect(squeueByName(processId)).toBe('');
}

testExecutorFlow('slurm (runtime none)', () => createSlurmBackend({ runtime: 'none', pendingNoticeDelayMs: 0 }), {
  skip: slurmSkipReason || false,
  watchIntervalMs: 500,
  // scancel, then until squeue no longer lists the job (COMPLETING included).
  cancelWithinMs: 10_000,
  afterCancel: untilSqueueForgets,
  // Runtime none runs no image: nothing to hash.
  imageDigest: 'none',
  checkAttributes(attributes) {
    expect(attributes['SLURM-JOBID']).toMatch(/^\d+$/);
    expect(attributes.NODES).toBe(execFileSync('hostname', ['-s'], { encoding: 'utf8' }).trim());
  },
});

describe.skipIf(!slurmAvailable)(`pollinator run → dev-server → runExecutor(slurm)${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  let colony: Colony;
  let executor: RunningExecutor;
  beforeAll(async () => {
    colony = await startColony();
    executor = startExecutor(colony);
    await executor.ready;
  });
  afterAll(async () => {
    await executor?.stop('cancel');
    await colony?.server.close();
    if (colony) rmSync(colony.root, { recursive: true, force: true });
  });

  it('a job that can never be scheduled shows its pending reason (then is cancelled)', async () => {
    const dir = await sampleProject(colony, { yaml: (text) => `${text}\nslurm:\n  partition: down\n` });
    let processId = '';
    const { logs } = await run(colony, dir, (event, abort) => {
      if (event.type === 'process.submitted') processId = event.processId;
      if (event.type === 'log' && event.message.includes('is pending: PartitionDown')) abort();
    });
    expect(logs).toMatch(/^\[pollinator\] Slurm job \d+ is pending: PartitionDown \(the partition is down\)$/m);
    await untilSqueueForgets(processId);
  });
});

describe.skipIf(!slurmAvailable)(`executor killed mid-job and restarted${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  let colony: Colony;
  let child: ChildProcess | undefined;
  let restarted: RunningExecutor | undefined;
  beforeAll(async () => {
    colony = await startColony();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await restarted?.stop('cancel');
    await colony?.server.close();
    if (colony) rmSync(colony.root, { recursive: true, force: true });
  });

  it('a restarted executor re-attaches to the Slurm job and finishes it', { timeout: 90_000 }, async () => {
    child = spawn(process.execPath, ['--conditions=@pollinator/source', '--import', 'tsx', fileURLToPath(new URL('./__fixtures__/executor-main.ts', import.meta.url))], {
      cwd: repoRoot,
      env: {
        ...process.env,
        E2E_EXECUTOR: JSON.stringify({
          url: colony.server.url,
          privateKey: colony.server.identities.executor.privateKey,
          colonyName: colony.server.identities.colony.name,
          blobDir: colony.server.blobDir,
          fsDir: colony.fsDir,
          stateDir: colony.stateDir,
        }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let childOutput = '';
    child.stdout!.on('data', (data: Buffer) => (childOutput += data.toString()));

    const dir = await sampleProject(colony, {
      mainPy: 'import time, os\nprint("before", flush=True)\ntime.sleep(6)\nprint("after")\nopen(os.path.join(os.environ["PROJECT_DIR"], "result", "result.txt"), "w").write("survived\\n")\n',
    });
    let killedAt = 0;
    const restartedEvents: string[] = [];
    const outcome = run(colony, dir, (event) => {
      if (event.type === 'log' && event.message.includes('before') && killedAt === 0) {
        // The job runs in Slurm and its first line is out: kill the executor hard.
        // Once it is gone (its state-directory lock is free), start a new executor, as a supervisor would.
        child!.once('exit', () => {
          restarted = startExecutor(colony, (executorEvent) => restartedEvents.push(executorEvent.type));
        });
        child!.kill('SIGKILL');
        killedAt = Date.now();
      }
    });
    const { result, logs } = await outcome;
    expect(childOutput).toContain('"job.started"');
    expect(killedAt).toBeGreaterThan(0);
    // The new executor found the job in Slurm (no second submission) and closed it.
    expect(restartedEvents).toContain('job.reattached');
    expect(restartedEvents).not.toContain('job.started');
    expect(result, logs).toMatchObject({ state: 'success', exitCode: 0 });
    expect(logs).toContain('before\n');
    expect(logs).toContain('after\n');
    expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('survived\n');
  });
});

describe.skipIf(Boolean(shimSkipReason))(`pollinator run → runExecutor(slurm) with a container (Singularity stand-in)${shimSkipReason ? ` (skipped: ${shimSkipReason})` : ''}`, () => {
  let colony: Colony;
  let executor: RunningExecutor;
  const options = shimOptions();
  beforeAll(async () => {
    colony = await startColony();
    executor = startExecutor(colony, undefined, createSlurmBackend(options));
    await executor.ready;
  });
  afterAll(async () => {
    await executor?.stop('cancel');
    await colony?.server.close();
    if (colony) rmSync(colony.root, { recursive: true, force: true });
  });

  const upperCaseProject = (image: string) =>
    shellProject(colony, image, 'grep NAME /etc/os-release\ntr a-z A-Z < "$PROJECT_DIR/data/hello.txt" > "$PROJECT_DIR/result/result.txt"\n');

  it('pulls the image (output in the process log), runs the job in the container, results come back', async () => {
    const dir = await upperCaseProject('busybox');
    const { result, logs } = await run(colony, dir);
    expect(result, logs).toMatchObject({ state: 'success', exitCode: 0 });
    // After the executor's staging lines, before the job's output.
    expect(logs).toMatch(/^Pollinator: staged [^\n]*\n\[pollinator\] Pulling docker:\/\/busybox into .*\.sif\n/m);
    expect(logs).toContain('NAME=busybox-shim-image\n');
    expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
    // The run's record: the image and the sha256 of the SIF file it ran.
    const sif = join(options.imageDir!, imageFileName('busybox'));
    const attributes = await attributesOf(colony, result.processId!);
    expect(attributes.POLLINATOR_IMAGE).toBe('busybox');
    expect(attributes.POLLINATOR_IMAGE_DIGEST).toBe(`sha256:${createHash('sha256').update(readFileSync(sif)).digest('hex')}`);
  });

  it('a failed pull fails the process with a clear error in its log', async () => {
    const dir = await upperCaseProject('ghcr.io/nobody/missing:1.0');
    const { result, logs } = await run(colony, dir);
    expect(result.state).toBe('failed');
    expect(logs).toMatch(/Failed to pull container image ghcr\.io\/nobody\/missing:1\.0 \(.*exit status 255\): .*FATAL/);
  });
});
