/**
 * Issue #13 on the local backend itself: a walltime longer than Node's
 * longest timer does not end the job at once (case 6), a cancel kills the
 * children that left the job's process group (setsid, double fork), the
 * path-rewriting mode says that it isolates nothing, a symlinked staging
 * directory is never bound, and a bwrap job does not see its protected paths
 * (case 7).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFinalJobStatus, type Backend, type JobHandle, type JobRequest, type JobStatus } from '@pollinator/backend';
import { createLocalBackend, type LocalBackend } from './local-backend';
import { pidAlive } from './processes';
import { bwrapUsable, REWRITE_MODE_WARNING } from './sandbox';

const bwrapMissing = !(await bwrapUsable());

let root: string;
const started: { backend: Backend; handle: JobHandle }[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pollinator-local-hardening-'));
});

afterEach(async () => {
  for (const { backend, handle } of started.splice(0)) await backend.cancel(handle).catch(() => undefined);
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function makeJob(command: string, overrides: Partial<JobRequest> = {}): JobRequest {
  counter += 1;
  const processId = randomBytes(32).toString('hex');
  const mountDir = join(root, `fs-${counter}`, 'proj', 'data');
  mkdirSync(mountDir, { recursive: true });
  const workDir = join(root, `state-${counter}`, 'jobs', processId);
  mkdirSync(workDir, { recursive: true });
  return {
    processId,
    image: 'unused',
    rebuildImage: false,
    initCommand: '',
    command,
    env: { PROJECT_DIR: '/cfs/proj', COLONIES_PROCESS_ID: processId },
    resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 0, memoryBytes: 0, gpu: { count: 0, name: '' }, walltimeSeconds: 0 },
    mounts: [{ hostPath: mountDir, containerPath: '/cfs/proj/data' }],
    protectedPaths: [join(root, `fs-${counter}`), join(root, `state-${counter}`)],
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

async function waitFor<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function finalStatus(backend: Backend, handle: JobHandle): Promise<JobStatus> {
  return waitFor(() => backend.status(handle), isFinalJobStatus);
}

async function output(backend: Backend, handle: JobHandle): Promise<string> {
  let text = '';
  for await (const chunk of backend.logs(handle, '')) text += chunk.text;
  return text;
}

const variants: { name: string; create: () => LocalBackend; skip: boolean }[] = [
  {
    name: 'path rewriting',
    create: () => createLocalBackend({ mode: 'process', isolation: 'rewrite', stopGraceSeconds: 1, onWarning: () => undefined }),
    skip: false,
  },
  { name: 'bubblewrap', create: () => createLocalBackend({ mode: 'process', isolation: 'bwrap', stopGraceSeconds: 1 }), skip: bwrapMissing },
];

for (const variant of variants) {
  describe.skipIf(variant.skip)(`local backend (${variant.name})`, () => {
    it('does not time a job out at once when its walltime is longer than the longest Node timer', async () => {
      const backend = variant.create();
      // 30 days: past 2^31 - 1 ms, where a single setTimeout fires immediately.
      const job = makeJob('sleep 2; echo finished', {
        resources: { ...makeJob('').resources, walltimeSeconds: 30 * 86_400 },
      });
      const handle = await start(backend, job);
      const status = await finalStatus(backend, handle);
      expect(status).toMatchObject({ state: 'succeeded', exitCode: 0 });
      expect(await output(backend, handle)).toContain('finished');
    });

    it('kills children that left the process group (setsid, double fork) on cancel', async () => {
      const backend = variant.create();
      const job = makeJob('');
      const pidFile = join(job.mounts[0]!.hostPath, 'escaped.pid');
      // The escaped sleeper says it is there through a file; its host pid is found through /proc.
      job.command = [
        // setsid: its own session and process group; the subshell that started it exits at once (double fork).
        `(setsid sh -c 'echo $$ > /cfs/proj/data/escaped.pid.tmp; mv /cfs/proj/data/escaped.pid.tmp /cfs/proj/data/escaped.pid; exec sleep 300' &)`,
        'sleep 300',
      ].join('; ');
      const handle = await start(backend, job);
      await waitFor(() => existsSync(pidFile), Boolean);
      expect(existsSync(pidFile)).toBe(true);
      const escapedPids = hostPidsOf('sleep 300', job);
      expect(escapedPids.length).toBeGreaterThan(0);
      await backend.cancel(handle);
      expect(await backend.status(handle)).toMatchObject({ state: 'cancelled' });
      const survivors = await waitFor(() => escapedPids.filter((pid) => pidAlive(pid, null)), (alive) => alive.length === 0, 5000);
      expect(survivors).toEqual([]);
    });
  });
}

/** Host pids of the job's processes running `command` (found by the job's marker in their environment). */
function hostPidsOf(command: string, job: JobRequest): number[] {
  const handleFile = JSON.parse(readFileSync(join(job.workDir, 'job.json'), 'utf8')) as { marker: string | null };
  const pids: number[] = [];
  for (const entry of readdirProc()) {
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (cmdline === command && handleFile.marker !== null && environ.includes(handleFile.marker)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

function readdirProc(): string[] {
  return readdirSync('/proc').filter((entry) => /^[0-9]+$/.test(entry));
}

describe('local backend isolation report', () => {
  it('says once, as it starts, that path rewriting isolates nothing', async () => {
    const warnings: string[] = [];
    const backend = createLocalBackend({ mode: 'process', isolation: 'rewrite', onWarning: (message) => warnings.push(message) });
    expect(await backend.describeIsolation()).toEqual({ isolation: 'rewrite', isolatesFilesystem: false, warning: REWRITE_MODE_WARNING });
    await start(backend, makeJob('true'));
    await start(backend, makeJob('true'));
    expect(warnings).toEqual([REWRITE_MODE_WARNING]);
    expect(REWRITE_MODE_WARNING).toMatch(/isolates nothing/);
  });

  it.skipIf(bwrapMissing)('reports bubblewrap as isolating, with no warning', async () => {
    const warnings: string[] = [];
    const backend = createLocalBackend({ mode: 'process', isolation: 'auto', onWarning: (message) => warnings.push(message) });
    expect(await backend.describeIsolation()).toEqual({ isolation: 'bwrap', isolatesFilesystem: true });
    expect(warnings).toEqual([]);
  });

  it('refuses a bwrap that cannot work when bwrap was asked for', async () => {
    const backend = createLocalBackend({ mode: 'process', isolation: 'bwrap', bwrapPath: join(root, 'no-such-bwrap') });
    await expect(backend.describeIsolation()).rejects.toThrow(/missing or cannot create namespaces/);
    await expect(backend.start(makeJob('true'))).rejects.toThrow(/missing or cannot create namespaces/);
  });

  it('refuses to bind a staging directory that is a symbolic link', async () => {
    const backend = createLocalBackend({ mode: 'process', isolation: 'rewrite', onWarning: () => undefined });
    const job = makeJob('true');
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    rmSync(job.mounts[0]!.hostPath, { recursive: true });
    symlinkSync(elsewhere, job.mounts[0]!.hostPath);
    await expect(backend.start(job)).rejects.toThrow(/symbolic link/);
  });
});

describe.skipIf(bwrapMissing)('local backend (bubblewrap) and protected paths', () => {
  it("hides the executor's state and the other staging directories from the job", async () => {
    const backend = createLocalBackend({ mode: 'process', isolation: 'bwrap', stopGraceSeconds: 1 });
    const job = makeJob('');
    const stateDir = join(job.workDir, '..', '..');
    writeFileSync(join(stateDir, 'executor-state.json'), '{"privateKey":"SECRET"}\n');
    const otherProject = join(job.mounts[0]!.hostPath, '..', '..', 'other');
    mkdirSync(otherProject, { recursive: true });
    writeFileSync(join(otherProject, 'theirs.txt'), 'SECRET of another project\n');
    job.command = [
      `cat ${join(stateDir, 'executor-state.json')}`,
      `cat ${join(otherProject, 'theirs.txt')}`,
      // The host is read-only, and the host's /tmp is not the job's /tmp.
      'touch /usr/pollinator-planted && echo PLANTED',
      `touch ${join(root, 'planted')}`,
      'echo ok > /cfs/proj/data/out.txt',
      'echo end',
    ].join('; ');
    const handle = await start(backend, job);
    expect(await finalStatus(backend, handle)).toMatchObject({ state: 'succeeded' });
    const text = await output(backend, handle);
    expect(text).toContain('end');
    expect(text).not.toMatch(/SECRET|PLANTED/);
    expect(existsSync('/usr/pollinator-planted')).toBe(false);
    expect(existsSync(join(root, 'planted'))).toBe(false);
    expect(readFileSync(join(job.mounts[0]!.hostPath, 'out.txt'), 'utf8')).toBe('ok\n');
  });
});
