/**
 * Out of memory on a local job (issue #17), for real where this machine lets the test make a memory
 * cgroup (root, a v1 memory controller or cgroup v2 with the memory controller): the job supervisor runs
 * in a cgroup with a 160 MiB limit, its job allocates 400 MiB, the kernel's OOM killer kills it, and the
 * result and the status say "out of memory" with the limit and the peak. Also the cgroup v2 file format
 * (from the kernel's cgroup-v2.rst), and a job killed by a signal without the OOM killer.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeJobCause, jobCauseOf } from '@pollinator/backend';
import { JOB_FILES, type SupervisorConfig, type SupervisorResult } from './job-files';
import { statusFromResult } from './job-status';
import type { LocalHandleData } from './local-handle';
import { memoryCgroupDirectory, oomKilledBetween, readMemoryCgroup } from './memory-cgroup';
import { supervisorArguments } from './supervisor-command';

const MiB = 1024 ** 2;
const root = mkdtempSync(join(tmpdir(), 'pollinator-local-oom-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A child memory cgroup of this process's own, with `limit` bytes; undefined when this machine does not allow one. */
function makeCgroup(limit: number): string | undefined {
  const parent = memoryCgroupDirectory('self');
  if (!parent) return undefined;
  const directory = join(parent, `pollinator-oom-test-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(directory);
    // cgroup v2 names the limit memory.max, v1 memory.limit_in_bytes.
    writeFileSync(join(directory, existsSync(join(parent, 'memory.events')) ? 'memory.max' : 'memory.limit_in_bytes'), String(limit));
    return directory;
  } catch {
    try {
      rmdirSync(directory);
    } catch {
      // never made
    }
    return undefined;
  }
}

const probe = makeCgroup(64 * MiB);
if (probe) rmdirSync(probe);
const cgroupReason = probe ? '' : 'no memory cgroup this test may create (needs root and a memory controller)';

/** Runs the supervisor for `argv` in `cgroup` (it and its job), until it has written its result. */
async function supervise(argv: string[], cgroup: string | undefined, walltimeSeconds = 0): Promise<{ result: SupervisorResult; data: LocalHandleData }> {
  const workDir = mkdtempSync(join(root, 'job-'));
  const config: SupervisorConfig = {
    processId: 'p',
    argv,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: workDir,
    walltimeSeconds,
    graceMs: 1000,
    marker: null,
    stopArgv: null,
    killArgv: null,
    startedAt: Date.now(),
  };
  const configPath = join(workDir, JOB_FILES.config);
  writeFileSync(configPath, JSON.stringify(config));
  const node = [process.execPath, ...supervisorArguments(new URL('./supervisor-command.ts', import.meta.url).href), configPath];
  const script = cgroup ? `echo $$ > '${cgroup}/cgroup.procs' && exec "$@"` : 'exec "$@"';
  const child = spawn('/bin/sh', ['-c', script, 'sh', ...node], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  const result = JSON.parse(readFileSync(join(workDir, JOB_FILES.result), 'utf8')) as SupervisorResult;
  return { result, data: { workDir, mode: 'process' } as LocalHandleData };
}

describe('memory cgroups', () => {
  it('reads cgroup v2 files (memory.events, memory.max, memory.peak)', () => {
    const directory = mkdtempSync(join(root, 'v2-'));
    writeFileSync(join(directory, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n');
    writeFileSync(join(directory, 'memory.max'), `${16 * 1024 * MiB}\n`);
    writeFileSync(join(directory, 'memory.peak'), `${16 * 1024 * MiB - 1}\n`);
    expect(readMemoryCgroup(directory)).toEqual({ directory, oomKills: 1, limitBytes: 16 * 1024 * MiB, peakBytes: 16 * 1024 * MiB - 1 });
    writeFileSync(join(directory, 'memory.max'), 'max\n');
    expect(readMemoryCgroup(directory)?.limitBytes).toBeUndefined();
    expect(oomKilledBetween({ directory, oomKills: 0 }, { directory, oomKills: 1 })).toBe(true);
    expect(oomKilledBetween({ directory, oomKills: 1 }, { directory, oomKills: 1 })).toBe(false);
  });

  it.skipIf(cgroupReason !== '')(`a job the OOM killer stopped is out of memory, with the limit and the peak${cgroupReason ? ` (skipped: ${cgroupReason})` : ''}`, { timeout: 60_000 }, async () => {
    const cgroup = makeCgroup(160 * MiB)!;
    try {
      const { result, data } = await supervise(['python3', '-c', 'x = bytearray(400 << 20); print(len(x))'], cgroup);
      expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', outcome: null, oom: { limitBytes: 160 * MiB } });
      expect(result.oom?.peakBytes).toBeGreaterThan(100 * MiB);
      const status = statusFromResult(result, data);
      expect(status).toMatchObject({ state: 'failed', exitCode: null, cause: { kind: 'out-of-memory', requestedMemoryBytes: 160 * MiB } });
      expect(describeJobCause(jobCauseOf(status)!)).toMatch(/^killed: out of memory \(peak 1[0-6]\d(\.\d)? MiB of 160 MiB requested\) — raise conditions.mem$/);
    } finally {
      rmdirSync(cgroup);
    }
  });

  it('a job killed by a signal without the OOM killer is "killed by signal 9"', { timeout: 60_000 }, async () => {
    const { result, data } = await supervise(['/bin/sh', '-c', 'kill -9 $$'], undefined);
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(result.oom).toBeUndefined();
    const status = statusFromResult(result, data);
    expect(status).toMatchObject({ state: 'failed', exitCode: null, reason: 'killed by signal 9 (SIGKILL)', cause: { kind: 'failed', signal: 9 } });
    expect(describeJobCause(jobCauseOf(status)!)).toBe("failed: killed by signal 9 — see the job's output for why");
  });

  it('a job over its walltime is a time limit with elapsed and limit', { timeout: 60_000 }, async () => {
    const { result, data } = await supervise(['/bin/sh', '-c', 'sleep 30'], undefined, 1);
    expect(result.outcome).toBe('timeLimit');
    const cause = jobCauseOf(statusFromResult(result, data));
    expect(cause).toMatchObject({ kind: 'time-limit', limitSeconds: 1 });
    expect(cause?.elapsedSeconds).toBeGreaterThanOrEqual(1);
  });
});
