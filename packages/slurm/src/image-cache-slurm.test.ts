/**
 * The image cache with the real Slurm and the Singularity stand-in: a warm
 * image's job starts without a pull, prune never removes the image of a job
 * Slurm still has (and does once it was cleaned up), and a pull that times out
 * fails the start as could-not-start (image).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackendError, type Backend, type JobHandle, type JobRequest } from '@pollinator/backend';
import { readAllLogs, waitForFinalStatus } from '@pollinator/backend/test';
import { startFailureCause } from '../../core/src/executor-job-cause';
import { openSlurmImageCache } from './image-cache-admin';
import { requireServices, shimCalls, shimOptions, shimPath, shimSkipReason } from './services.test-helpers';
import { createSlurmBackend } from './slurm-backend';

requireServices(shimSkipReason);

const root = mkdtempSync(join(tmpdir(), 'pollinator-image-cache-slurm-'));
const started: { backend: Backend; handle: JobHandle }[] = [];
afterAll(async () => {
  for (const { backend, handle } of started) await backend.cancel(handle).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

function makeJob(command: string, overrides: Partial<JobRequest> = {}): JobRequest {
  const processId = randomBytes(32).toString('hex');
  const workDir = join(root, `work-${processId.slice(0, 8)}`);
  const mountDir = join(root, 'fs');
  mkdirSync(workDir, { recursive: true });
  mkdirSync(mountDir, { recursive: true });
  return {
    processId,
    image: 'busybox',
    rebuildImage: false,
    initCommand: '',
    command,
    env: { COLONIES_PROCESS_ID: processId },
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

describe.skipIf(Boolean(shimSkipReason))(`image cache on Slurm with the Singularity stand-in${shimSkipReason ? ` (skipped: ${shimSkipReason})` : ''}`, () => {
  it('warm, then a job of that image runs without a pull; prune keeps it while Slurm has the job and removes it after', { timeout: 120_000 }, async () => {
    const options = shimOptions();
    const cache = openSlurmImageCache(options);
    const pulls = () => shimCalls(options.shimLog, (path) => readFileSync(path, 'utf8')).filter((argv) => argv[0] === 'pull');
    const progress: string[] = [];
    const warmed = await cache.warm('busybox', { onOutput: (text) => progress.push(text) });
    expect(warmed).toMatchObject({ image: 'busybox', pulled: true, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(progress.join('')).toContain('[pollinator] Pulling docker://busybox into');
    expect(pulls()).toHaveLength(1);

    const backend = createSlurmBackend(options);
    const go = join(root, 'fs', 'go');
    const handle = await start(backend, makeJob('while [ ! -e /cfs/go ]; do sleep 0.1; done; echo ran'));
    expect(pulls()).toHaveLength(1);
    expect(await backend.imageDigest?.(handle)).toBe(warmed.digest);

    // Slurm has the job (pending or running): its image is in use and stays.
    const whileQueued = await cache.prune();
    expect(whileQueued.removed).toEqual([]);
    expect(whileQueued.kept).toEqual([expect.objectContaining({ reference: 'busybox', inUse: true })]);

    writeFileSync(go, '');
    expect(await waitForFinalStatus(backend, handle, 60_000)).toMatchObject({ state: 'succeeded' });
    expect((await readAllLogs(backend, handle, '', 30_000)).text).toBe('ran\n');
    await backend.cleanup?.(handle);
    const [listed] = await cache.list();
    expect(listed).toMatchObject({ reference: 'busybox', digest: warmed.digest, inUse: false });
    const after = await cache.prune();
    expect(after.removed.map((image) => image.reference)).toEqual(['busybox']);
    expect(existsSync(warmed.path)).toBe(false);
  });

  it('a pull that outlasts the timeout fails the start, names the image, and reads as could-not-start (image); nothing is submitted', { timeout: 60_000 }, async () => {
    const options = shimOptions();
    // A runtime whose pulls hang (a registry that does not answer).
    const slow = join(root, 'slow-runtime');
    writeFileSync(slow, `#!/bin/sh\n[ "$1" = pull ] && sleep 60\nexec "${shimPath}" "$@"\n`);
    chmodSync(slow, 0o755);
    const backend = createSlurmBackend({ ...options, runtimeCommand: slow, pullTimeoutMs: 500 });
    const job = makeJob('echo never');
    const error = (await backend.start(job).catch((caught: unknown) => caught)) as Error;
    expect(BackendError.isInstance(error)).toBe(true);
    expect(error.message).toContain(`Pulling container image busybox did not finish within 0.5 s and was stopped (${slow} pull docker://busybox)`);
    expect(startFailureCause(error.message)).toMatchObject({ kind: 'could-not-start', startProblem: 'image' });
    expect(readFileSync(join(job.workDir, 'output.log'), 'utf8')).toContain('[pollinator] Pulling docker://busybox');
  });
});
