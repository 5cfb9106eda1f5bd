/**
 * "Why is my job waiting?" on the real Slurm of `scripts/services/slurm-up.sh` (issue #17): a job behind a
 * full node (Resources/Priority, its place in the partition, `squeue --start`'s estimate), a job held by
 * the user and by an administrator, and a job for a partition that is down. A bad account cannot pend here
 * (AccountingStorageEnforce=none) and unavailable nodes would disturb the other tests on this one-node
 * cluster: `slurm-queue.test.ts` covers them from squeue outputs in `__fixtures__/queue/`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, JobHandle, JobRequest, JobStatus } from '@pollinator/backend';
import { testJobRequest } from '@pollinator/backend/test';
import { createLocalRunner, type CommandRunner } from './runner';
import { createSlurmBackend } from './slurm-backend';
import { parseStartListing } from './slurm-queue';
import { downPartition, requireServices, slurmAvailable, slurmSkipReason } from './services.test-helpers';

requireServices(slurmSkipReason);

const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-queue-'));
const started: { backend: Backend; handle: JobHandle }[] = [];
afterAll(async () => {
  for (const { backend, handle } of started) await backend.cancel(handle).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function makeJob(command: string, placement: JobRequest['placement'] = {}): JobRequest {
  counter += 1;
  const workDir = join(root, `work-${counter}`);
  mkdirSync(workDir, { recursive: true });
  return testJobRequest(command, workDir, { placement, resources: { walltimeSeconds: 60 } });
}

function slurm(command: string, ...args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Polls until `accept` says yes (each status read is a real Slurm query), at most `attempts` times. */
async function waitForStatus(backend: Backend, handle: JobHandle, accept: (status: JobStatus) => boolean, attempts: number): Promise<JobStatus> {
  let status = await backend.status(handle);
  for (let attempt = 0; !accept(status) && attempt < attempts; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    status = await backend.status(handle);
  }
  return status;
}

describe.skipIf(!slurmAvailable)(`pending jobs on real Slurm${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  // statusCacheMs and queueRefreshMs 0: every read asks Slurm. --exclusive: the job needs the whole node.
  const backend = () => createSlurmBackend({ runtime: 'none', statusCacheMs: 0, queueRefreshMs: 0, notices: false, sbatchLines: ['--exclusive'] });

  it('a job behind a full node says why, where it stands in its partition and when squeue --start expects it', { timeout: 150_000 }, async () => {
    const filler = slurm('sbatch', '--parsable', '--exclusive', '-o', '/dev/null', '-t', '2', '-J', 'pollinator-queue-filler', '--wrap', 'sleep 100').trim().split(';')[0]!;
    try {
      const slurmBackend = backend();
      const handle = await slurmBackend.start(makeJob('true'));
      started.push({ backend: slurmBackend, handle });
      // The backfill scheduler estimates a start on its next cycle (bf_interval, 30 s by default).
      const status = await waitForStatus(slurmBackend, handle, (read) => read.state === 'pending' && read.queue?.estimatedStart !== undefined, 450);
      expect(status.state).toBe('pending');
      if (status.state !== 'pending') return;
      const queue = status.queue!;
      expect(['Resources', 'Priority']).toContain(queue.reasonCode);
      expect(status.reason).toMatch(/^(Resources|Priority) \(/);
      expect(queue.blocked).toBeUndefined();
      const listed = slurm('squeue', '-h', '-t', 'PENDING', '-p', queue.partition!, '-S', '-p,i', '-o', '%i').split('\n').map((line) => line.trim()).filter(Boolean);
      expect(queue.position).toBe(listed.indexOf(handle.id) + 1);
      expect(queue.of).toBe(listed.length);
      // The estimate is squeue --start's own (another test's job without a time limit leaves it unknown).
      const direct = parseStartListing(slurm('squeue', '--start', '-h', '-j', handle.id, '-o', '%i|%P|%S|%r|%a|%q'), handle.id);
      if (direct?.estimatedStart !== undefined) {
        // Read a moment apart: a backfill cycle in between may move it a little.
        expect(queue.estimatedStart).toBeDefined();
        expect(Math.abs(Date.parse(queue.estimatedStart!) - Date.parse(direct.estimatedStart))).toBeLessThanOrEqual(120_000);
        expect(Date.parse(queue.estimatedStart!)).toBeGreaterThan(Date.now() - 60_000);
      }
    } finally {
      slurm('scancel', filler);
    }
  });

  it('a held job is called out with how to release it (user hold, administrator hold)', { timeout: 60_000 }, async () => {
    const slurmBackend = backend();
    const filler = slurm('sbatch', '--parsable', '--exclusive', '-o', '/dev/null', '-t', '1', '-J', 'pollinator-queue-filler', '--wrap', 'sleep 30').trim().split(';')[0]!;
    try {
      const user = await slurmBackend.start(makeJob('true'));
      const admin = await slurmBackend.start(makeJob('true'));
      started.push({ backend: slurmBackend, handle: user }, { backend: slurmBackend, handle: admin });
      slurm('scontrol', 'uhold', user.id);
      slurm('scontrol', 'hold', admin.id);
      const heldByUser = await waitForStatus(slurmBackend, user, (read) => read.state === 'pending' && read.queue?.reasonCode === 'JobHeldUser', 100);
      expect(heldByUser).toMatchObject({ state: 'pending', queue: { reasonCode: 'JobHeldUser', blocked: `Slurm job ${user.id} is held: release it with 'scontrol release ${user.id}', or cancel the run` } });
      const heldByAdmin = await waitForStatus(slurmBackend, admin, (read) => read.state === 'pending' && read.queue?.reasonCode === 'JobHeldAdmin', 100);
      expect(heldByAdmin).toMatchObject({ state: 'pending', queue: { reasonCode: 'JobHeldAdmin', blocked: `Slurm job ${admin.id} is held by an administrator: ask your admins to release it, or cancel the run` } });
      if (heldByAdmin.state === 'pending') expect(heldByAdmin.queue?.estimatedStart).toBeUndefined();
    } finally {
      slurm('scancel', filler);
    }
  });

  it('a job for a partition that is down says so and what to do', { timeout: 60_000 }, async () => {
    const slurmBackend = backend();
    const handle = await slurmBackend.start(makeJob('true', { partition: downPartition }));
    started.push({ backend: slurmBackend, handle });
    const status = await waitForStatus(slurmBackend, handle, (read) => read.state === 'pending' && read.queue?.reasonCode === 'PartitionDown', 100);
    expect(status).toMatchObject({
      state: 'pending',
      reason: 'PartitionDown (the partition is down)',
      queue: {
        reasonCode: 'PartitionDown',
        partition: downPartition,
        position: expect.any(Number),
        blocked: `partition '${downPartition}' is down: ask your admins or choose another partition in slurm.partition`,
      },
    });
  });

  it('squeue is asked once per refresh interval, not at every status read (server load)', { timeout: 60_000 }, async () => {
    const local = createLocalRunner();
    const squeueCalls: string[][] = [];
    const runner: CommandRunner = {
      ...local,
      run: (command, args, options) => {
        if (command === 'squeue') squeueCalls.push([...args]);
        return local.run(command, args, options);
      },
    };
    const slurmBackend = createSlurmBackend({ runtime: 'none', runner, statusCacheMs: 0, queueRefreshMs: 600_000, notices: false });
    const handle = await slurmBackend.start(makeJob('true', { partition: downPartition }));
    started.push({ backend: slurmBackend, handle });
    for (let read = 0; read < 5; read += 1) expect(await slurmBackend.status(handle)).toMatchObject({ state: 'pending', queue: { reasonCode: 'PartitionDown' } });
    expect(squeueCalls.map((args) => args[0])).toEqual(['--start', '-h']);
  });
});
