/**
 * Failure causes on the real Slurm of `scripts/services/slurm-up.sh` (issue #17): what this cluster can
 * produce — a failing exit code, a COMPLETED job whose step failed (desispec#2744), cancel, a requeue
 * (pending again, not failed) and node failure (`scontrol update nodename=… state=down` mid-job). The time
 * limit (Slurm's TIMEOUT) is read through the executor, with the stop signal and a retry, in
 * retry-real.test.ts: one job of a minute or two for all three. Out of memory and preemption cannot happen here (no cgroup enforcement, preempt/none):
 * `slurm-cause.test.ts` covers them from outputs in `__fixtures__/causes/`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeJobCause, jobCauseOf, type Backend, type JobHandle, type JobRequest, type JobStatus } from '@pollinator/backend';
import { waitForFinalStatus, testJobRequest } from '@pollinator/backend/test';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, slurmAvailable, slurmSkipReason } from './services.test-helpers';
import { drainFor, nodeState, resumeNode, setNodeDown, slurm } from './slurm-node.test-helpers';

requireServices(slurmSkipReason);

const root = mkdtempSync(join(tmpdir(), 'pollinator-slurm-cause-'));
const started: { backend: Backend; handle: JobHandle }[] = [];
afterAll(async () => {
  for (const { backend, handle } of started) await backend.cancel(handle).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function makeJob(command: string, resources: Partial<JobRequest['resources']> = {}): JobRequest {
  counter += 1;
  const workDir = join(root, `work-${counter}`);
  mkdirSync(workDir, { recursive: true });
  return testJobRequest(command, workDir, { resources: { memoryBytes: 100 * 1024 * 1024, ...resources } });
}

async function start(backend: Backend, job: JobRequest): Promise<JobHandle> {
  const handle = await backend.start(job);
  started.push({ backend, handle });
  return handle;
}

/** Polls until `accept` says yes (each status read is a real Slurm query), at most `attempts` times. */
async function waitForStatus(backend: Backend, handle: JobHandle, accept: (status: JobStatus) => boolean, attempts = 600): Promise<JobStatus> {
  let status = await backend.status(handle);
  for (let attempt = 0; !accept(status) && attempt < attempts; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    status = await backend.status(handle);
  }
  return status;
}

describe.skipIf(!slurmAvailable)(`failure causes on real Slurm${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  // statusCacheMs 0: every read asks Slurm.
  const backend = () => createSlurmBackend({ runtime: 'none', statusCacheMs: 0, notices: false });

  it('a failing exit code is "failed (exit 3)"', { timeout: 120_000 }, async () => {
    const slurmBackend = backend();
    const handle = await start(slurmBackend, makeJob('exit 3'));
    const status = await waitForFinalStatus(slurmBackend, handle, 90_000);
    expect(status).toMatchObject({ state: 'failed', exitCode: 3, cause: { kind: 'failed', exitCode: 3 } });
    expect(describeJobCause(jobCauseOf(status)!)).toBe("failed: exit code 3 — see the job's output for why");
  });

  it('a job whose batch script exits 0 after a failed step is a failure, though Slurm says COMPLETED (desispec#2744)', { timeout: 120_000 }, async () => {
    const slurmBackend = createSlurmBackend({ runtime: 'none', srun: false, statusCacheMs: 0, notices: false });
    const handle = await start(slurmBackend, makeJob('srun sh -c "exit 4"; echo the script goes on; exit 0'));
    const status = await waitForFinalStatus(slurmBackend, handle, 90_000);
    expect(slurm('scontrol', 'show', 'job', '-o', handle.id)).toContain('JobState=COMPLETED');
    expect(status).toMatchObject({ state: 'failed', exitCode: 4, cause: { kind: 'failed', exitCode: 4 } });
    expect(status.state === 'failed' && status.reason).toMatch(/^COMPLETED in Slurm, but sacct State=COMPLETED .*DerivedExitCode=4:0; step \d+\.0 FAILED 4:0$/);
  });

  it('a job cancelled by the executor is "cancelled"; by someone else, a failure caused by a cancel', { timeout: 120_000 }, async () => {
    const slurmBackend = backend();
    const ours = await start(slurmBackend, makeJob('sleep 120'));
    const theirs = await start(slurmBackend, makeJob('sleep 120'));
    await waitForStatus(slurmBackend, theirs, (status) => status.state === 'running');
    await slurmBackend.cancel(ours);
    slurm('scancel', theirs.id);
    expect(await waitForFinalStatus(slurmBackend, ours, 90_000)).toMatchObject({ state: 'cancelled', cause: { kind: 'cancelled' } });
    const status = await waitForFinalStatus(slurmBackend, theirs, 90_000);
    expect(status).toMatchObject({ state: 'failed', cause: { kind: 'cancelled' } });
    expect(status.state === 'failed' && status.cause?.platform).toMatch(/^sacct State=CANCELLED by 0 /);
  });

  it('a job Slurm requeued is pending with the requeue as its reason, not failed, and its log says so', { timeout: 120_000 }, async () => {
    const slurmBackend = createSlurmBackend({ runtime: 'none', statusCacheMs: 0, pendingNoticeDelayMs: 0 });
    const handle = await start(slurmBackend, makeJob('echo first run; sleep 120'));
    await waitForStatus(slurmBackend, handle, (status) => status.state === 'running');
    slurm('scontrol', 'requeue', handle.id);
    const status = await waitForStatus(slurmBackend, handle, (candidate) => candidate.state === 'pending' && candidate.reason.startsWith('requeued'));
    expect(status).toEqual({ state: 'pending', reason: expect.stringMatching(/^requeued: requeued in Slurm \(scontrol requeue or a failed launch\); Slurm runs it again \(restart 1/) });
    // The job's log (where `pollinator run` shows it) tells the user, not only status().
    let text = '';
    for await (const chunk of slurmBackend.logs(handle, '')) {
      text += chunk.text;
      if (text.includes('is pending: requeued')) break;
    }
    expect(text).toMatch(/^\[pollinator\] Slurm job \d+ is pending: requeued: requeued in Slurm .*Slurm runs it again \(restart 1, waiting: BeginTime\)$/m);
    await slurmBackend.cancel(handle);
  });

  it('node failure mid-job: final without requeue, pending "its node failed" with it', { timeout: 180_000 }, async () => {
    const final = createSlurmBackend({ runtime: 'none', statusCacheMs: 0, notices: false, sbatchLines: ['--no-requeue'] });
    const requeued = backend();
    const once = await start(final, makeJob('sleep 120'));
    const again = await start(requeued, makeJob('sleep 120'));
    const running = await waitForStatus(final, once, (status) => status.state === 'running');
    await waitForStatus(requeued, again, (status) => status.state === 'running');
    const node = running.state === 'running' ? running.nodes[0]! : '';
    expect(node).not.toBe('');
    try {
      await drainFor(node, [once.id, again.id]);
      setNodeDown(node);
      const status = await waitForFinalStatus(final, once, 90_000);
      expect(status).toMatchObject({ state: 'failed', exitCode: null, cause: { kind: 'node-failure', nodes: [node] } });
      expect(describeJobCause(jobCauseOf(status)!)).toBe(`killed: node failure (${node}) — not caused by your job: run it again`);
      const pending = await waitForStatus(requeued, again, (candidate) => candidate.state === 'pending' && candidate.reason.startsWith('requeued'));
      expect(pending).toEqual({ state: 'pending', reason: expect.stringMatching(/^requeued: its node failed; Slurm runs it again \(restart 1/) });
    } finally {
      resumeNode(node);
    }
    await requeued.cancel(again);
    expect(nodeState(node)).not.toMatch(/down/);
  });
});
