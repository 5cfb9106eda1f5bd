/**
 * Slurm-specific behaviour of the backend against real Slurm (the shared
 * conformance suite is in conformance.test.ts): resources as Slurm sees them,
 * attributes, pending reasons, refusals, cancel, re-attach by name, and the
 * container path through the Singularity stand-in (argv, image cache, pulls).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendError, type Backend, type JobHandle, type JobRequest } from '@pollinator/backend';
import { readAllLogs, waitForFinalStatus } from '@pollinator/backend/test';
import { createSlurmBackend } from './slurm-backend';
import { downPartition, requireServices, shimCalls, shimOptions, shimSkipReason, slurmAvailable, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason, shimSkipReason);

const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-test-'));
const started: { backend: Backend; handle: JobHandle }[] = [];
afterAll(async () => {
  for (const { backend, handle } of started) await backend.cancel(handle).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function makeJob(command: string, overrides: Partial<JobRequest> = {}): JobRequest {
  counter += 1;
  const processId = randomBytes(32).toString('hex');
  const workDir = join(root, `work-${counter}`);
  const mountDir = join(root, 'fs');
  mkdirSync(workDir, { recursive: true });
  mkdirSync(mountDir, { recursive: true });
  return {
    processId,
    image: 'busybox',
    rebuildImage: false,
    initCommand: '',
    command,
    env: { PROJECT_DIR: '/cfs/pollinator/test', COLONIES_PROCESS_ID: processId },
    resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 0, memoryBytes: 0, gpu: { count: 0, name: '' }, walltimeSeconds: 0 },
    mounts: [{ hostPath: mountDir, containerPath: '/cfs' }],
    protectedPaths: [],
    placement: {},
    workDir,
    ...overrides,
  };
}

async function start(backend: Backend, job: JobRequest): Promise<JobHandle> {
  const handle = await backend.start(job);
  started.push({ backend, handle });
  return handle;
}

function scontrolFields(id: string): Record<string, string> {
  const line = execFileSync('scontrol', ['show', 'job', '-o', id], { encoding: 'utf8' });
  return Object.fromEntries(line.trim().split(/ (?=[A-Za-z/:_]+=)/).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

function squeue(id: string): string {
  try {
    return execFileSync('squeue', ['-h', '-j', id, '-o', '%T'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

describe.skipIf(!slurmAvailable)(`slurm backend on real Slurm${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  let backend: Backend;
  beforeAll(() => {
    backend = createSlurmBackend({ runtime: 'none', pendingNoticeDelayMs: 0 });
  });

  it('asks Slurm for the resources of the spec, names the job after the process, sets SLURM-JOBID and NODES', async () => {
    const job = makeJob('sleep 1; echo ok', {
      resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 1500, memoryBytes: 100 * 1024 * 1024, gpu: { count: 0, name: '' }, walltimeSeconds: 90 },
    });
    const handle = await start(backend, job);
    expect(handle.id).toMatch(/^\d+$/);
    const fields = scontrolFields(handle.id);
    expect(fields.JobName).toBe(job.processId);
    expect(fields['CPUs/Task']).toBe('2');
    expect(fields.MinMemoryNode).toBe('100M');
    expect(fields.TimeLimit).toBe('00:02:00'); // 90 s, rounded up to whole minutes by Slurm
    expect(fields.StdOut).toBe(join(job.workDir, 'output.log'));
    const status = await waitForFinalStatus(backend, handle, 30_000);
    expect(status).toMatchObject({ state: 'succeeded', exitCode: 0, nodes: [hostname().split('.')[0]] });
    expect(await backend.attributes!(handle)).toEqual({ 'SLURM-JOBID': handle.id, NODES: hostname().split('.')[0] });
  });

  it('keeps the executor secrets (COLONIES_*, AWS_S3_*, EXECUTOR_*) away from the job', async () => {
    process.env.AWS_S3_SECRETKEY = 'must-not-leak-1';
    process.env.EXECUTOR_FS_DIR = 'must-not-leak-2';
    process.env.COLONIES_COLONY_PRVKEY = 'must-not-leak-3';
    try {
      const handle = await start(backend, makeJob('env; echo done'));
      await waitForFinalStatus(backend, handle, 30_000);
      const { text } = await readAllLogs(backend, handle, '', 30_000);
      expect(text).toContain('done\n');
      expect(text).not.toMatch(/must-not-leak|AWS_S3_|EXECUTOR_|COLONIES_COLONY/);
      expect(text).toContain('COLONIES_PROCESS_ID=');
    } finally {
      delete process.env.AWS_S3_SECRETKEY;
      delete process.env.EXECUTOR_FS_DIR;
      delete process.env.COLONIES_COLONY_PRVKEY;
    }
  });

  it('shows why a job that can never be scheduled is pending, and a cancel leaves nothing in squeue', async () => {
    const handle = await start(backend, makeJob('echo never', { placement: { partition: downPartition } }));
    let status = await backend.status(handle);
    for (let tries = 0; status.state === 'pending' && !status.reason.startsWith('PartitionDown') && tries < 40; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = await backend.status(handle);
    }
    expect(status).toMatchObject({ state: 'pending', reason: 'PartitionDown (the partition is down)', queue: { reasonCode: 'PartitionDown', blocked: expect.stringContaining('down') } });
    // The reason is in the process log too, once (not once per poll).
    await backend.status(handle);
    const controller = new AbortController();
    let seen = '';
    setTimeout(() => controller.abort(), 2000);
    for await (const chunk of backend.logs(handle, '', controller.signal)) seen += chunk.text;
    const line = `[pollinator] Slurm job ${handle.id} is pending: PartitionDown (the partition is down)`;
    expect(seen.split('\n').filter((text) => text === line)).toHaveLength(1);
    expect(seen.split('\n').filter(Boolean).every((text) => text.startsWith(`[pollinator] Slurm job ${handle.id} is pending: `))).toBe(true);

    await backend.cancel(handle);
    expect(squeue(handle.id)).toBe('');
    expect(await backend.status(handle)).toMatchObject({ state: 'cancelled' });
  });

  it('cancels a running job: cancel() returns once squeue no longer lists it', async () => {
    const handle = await start(backend, makeJob('echo started; sleep 60'));
    for (let tries = 0; (await backend.status(handle)).state !== 'running' && tries < 80; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(squeue(handle.id)).toBe('RUNNING');
    await backend.cancel(handle);
    expect(squeue(handle.id)).toBe('');
    expect(await backend.status(handle)).toMatchObject({ state: 'cancelled' });
  });

  it('a job cancelled in Slurm by someone else is a failure with the reason', async () => {
    const handle = await start(backend, makeJob('sleep 60'));
    execFileSync('scancel', [handle.id]);
    const status = await waitForFinalStatus(backend, handle, 30_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: null });
    expect(status.state === 'failed' && status.reason).toMatch(/^CANCELLED: .*not by Pollinator/);
  });

  it('turns an sbatch refusal into a BackendError with Slurm’s message', async () => {
    const huge = makeJob('true', { resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 0, memoryBytes: 2 ** 50, gpu: { count: 0, name: '' }, walltimeSeconds: 0 } });
    await expect(backend.start(huge)).rejects.toThrow(/sbatch refused the job \(exit status 1\): .*Requested node configuration is not available/);
    const badPartition = makeJob('true', { placement: { partition: 'no-such-partition' } });
    const error = await backend.start(badPartition).catch((caught: unknown) => caught);
    expect(BackendError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/invalid partition/i);
  });

  it('re-attaches by job name when the saved job id is unknown', async () => {
    const handle = await start(backend, makeJob('sleep 3; echo found'));
    const lost: JobHandle = JSON.parse(JSON.stringify({ ...handle, id: '99999999' }));
    const again = await createSlurmBackend({ runtime: 'none' }).reattach!(lost);
    expect(again?.id).toBe(handle.id);
    expect(await waitForFinalStatus(backend, again!, 30_000)).toMatchObject({ state: 'succeeded' });
  });

  it('status of a job Slurm has forgotten comes from the exit code the script recorded', async () => {
    const handle = await start(backend, makeJob('exit 5'));
    await waitForFinalStatus(backend, handle, 30_000);
    // A job id Slurm never had, but a recorded exit code for it: as after MinJobAge without accounting.
    const forgotten: JobHandle = { ...handle, id: '99999998' };
    const { exitCodeFile } = handle.data as { exitCodeFile: string };
    execFileSync('sh', ['-c', `echo "99999998 5" > '${exitCodeFile}'`]);
    const fresh = createSlurmBackend({ runtime: 'none', accounting: false });
    expect(await fresh.status(forgotten)).toEqual({ state: 'failed', exitCode: 5, reason: 'FAILED: exit code 5' });
    expect(await fresh.reattach!(forgotten)).toEqual(forgotten);
  });
});

describe.skipIf(Boolean(shimSkipReason))(`slurm backend with the Singularity stand-in${shimSkipReason ? ` (skipped: ${shimSkipReason})` : ''}`, () => {
  it('pulls an image once for jobs that need it at the same moment, runs the exact container argv, logs the pull', async () => {
    const options = shimOptions();
    const backend = createSlurmBackend(options);
    const jobs = [makeJob('echo one; cat /etc/os-release'), makeJob('echo two')];
    const handles = await Promise.all(jobs.map((job) => start(backend, job)));
    const statuses = await Promise.all(handles.map((handle) => waitForFinalStatus(backend, handle, 30_000)));
    expect(statuses.map((status) => status.state)).toEqual(['succeeded', 'succeeded']);

    const calls = shimCalls(options.shimLog, (path) => readFileSync(path, 'utf8'));
    const pulls = calls.filter((argv) => argv[0] === 'pull');
    expect(pulls).toHaveLength(1);
    const sif = pulls[0]![1]!.replace(/\.pull-[0-9a-f]+$/, '');
    expect(sif).toMatch(new RegExp(`^${options.imageDir}/busybox-[0-9a-f]{12}\\.sif$`));
    expect(pulls[0]).toEqual(['pull', expect.stringMatching(/\.sif\.pull-[0-9a-f]{8}$/), 'docker://busybox']);
    const execs = calls.filter((argv) => argv[0] === 'exec');
    expect(execs).toHaveLength(2);
    expect(execs).toContainEqual(['exec', '--contain', '--bind', `${jobs[0]!.mounts[0]!.hostPath}:/cfs`, sif, '/bin/sh', '-c', 'echo one; cat /etc/os-release']);

    const logs = await Promise.all(handles.map((handle) => readAllLogs(backend, handle, '', 30_000)));
    const all = logs.map((log) => log.text).join('');
    expect(all).toContain(`[pollinator] Pulling docker://busybox into ${sif}\n`);
    expect(all).toContain('[pollinator] Waiting for the pull of docker://busybox started by another job\n');
    expect(all).toContain('NAME=busybox-shim-image');

    // Cached now: no pull. With rebuild-image: a real new pull, and the job runs on it.
    const cached = await start(backend, makeJob('echo cached'));
    const rebuilt = await start(backend, makeJob('echo rebuilt', { rebuildImage: true }));
    await waitForFinalStatus(backend, cached, 30_000);
    expect(await waitForFinalStatus(backend, rebuilt, 30_000)).toMatchObject({ state: 'succeeded' });
    const after = shimCalls(options.shimLog, (path) => readFileSync(path, 'utf8')).filter((argv) => argv[0] === 'pull');
    expect(after).toHaveLength(2);
    expect((await readAllLogs(backend, rebuilt, '', 30_000)).text).toMatch(/^\[pollinator\] Rebuilding docker:\/\/busybox/);
    expect((await readAllLogs(backend, cached, '', 30_000)).text).toBe('cached\n');
  });

  it('a failed pull rejects start() with the image and the runtime’s own error, and submits nothing', async () => {
    const options = shimOptions();
    const backend = createSlurmBackend(options);
    const job = makeJob('echo never', { image: 'ghcr.io/nobody/missing:1.0' });
    const error = (await backend.start(job).catch((caught: unknown) => caught)) as Error;
    expect(BackendError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/^Failed to pull container image ghcr\.io\/nobody\/missing:1\.0 \(.* pull docker:\/\/ghcr\.io\/nobody\/missing:1\.0: exit status 255\): .*FATAL/);
    expect(readFileSync(join(job.workDir, 'output.log'), 'utf8')).toContain('FATAL');
    expect(execFileSync('squeue', ['-h', '-n', job.processId], { encoding: 'utf8' })).toBe('');
  });
});
