/**
 * The container client commands the backend runs itself (`rm` on cleanup,
 * `kill` when a cancelled job's supervisor is gone) are asynchronous: a slow
 * engine must not freeze the executor's event loop (they were
 * `execFileSync` calls of up to 10 and 30 s).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobHandle } from '@pollinator/backend';
import { JOB_FILES } from './job-files';
import { createLocalBackend } from './local-backend';
import { groupAlive } from './processes';

const root = mkdtempSync(join(tmpdir(), 'pollinator-local-client-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A docker client that takes a second for anything and logs its argv. */
const slowClient = join(root, 'slow-docker');
writeFileSync(slowClient, `#!/bin/sh\necho "$@" >> ${join(root, 'calls.log')}\nsleep 1\n`);
chmodSync(slowClient, 0o755);

/** How many 50 ms ticks the event loop managed while `work` ran. */
async function ticksDuring(work: () => Promise<void>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

function dockerHandle(workDir: string, id: string): JobHandle {
  return {
    backend: 'local',
    processId: 'p'.repeat(64),
    id,
    data: { workDir, mode: 'docker', startTicks: '0', containerName: 'pollinator-test' },
  };
}

describe('container client commands', () => {
  const backend = createLocalBackend({ mode: 'docker', containerCommand: slowClient, stopGraceSeconds: 1 });

  it('removes the container on cleanup without blocking the event loop', async () => {
    const workDir = mkdtempSync(join(root, 'job-'));
    const ticks = await ticksDuring(() => backend.cleanup!(dockerHandle(workDir, '1')));
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(readFileSync(join(root, 'calls.log'), 'utf8')).toContain('rm --force pollinator-test');
  });

  it('kills the container of a job whose supervisor is gone without blocking the event loop', async () => {
    const workDir = mkdtempSync(join(root, 'job-'));
    // The job's group is alive, its supervisor is not (a pid whose start time does not match).
    const job = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    job.unref();
    const pgid = job.pid!;
    writeFileSync(join(workDir, JOB_FILES.pgid), String(pgid));
    const ticks = await ticksDuring(() => backend.cancel(dockerHandle(workDir, String(pgid))));
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(readFileSync(join(root, 'calls.log'), 'utf8')).toContain('kill pollinator-test');
    expect(groupAlive(pgid)).toBe(false);
    expect(JSON.parse(readFileSync(join(workDir, JOB_FILES.result), 'utf8'))).toMatchObject({ outcome: 'cancelled' });
  });
});
