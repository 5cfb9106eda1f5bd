/**
 * runExecutor() against hostile specs (issue #13, cases 2, 3, 5, 6 and 9,
 * executor side), with the fake client and backend: every refusal closes the
 * process failed with a message naming the spec field, before any staging
 * work; staging never goes through a symlink; a job gets only its own staged
 * directories as mounts and the executor's own paths as protected paths.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryBlobStore, createMemoryCfsMetadata } from '@pollinator/cfs-sync';
import { UnreadableProcessError } from '@pollinator/colonies-client';
import type { JobHandle } from './backend';
import { runExecutor, type ExecutorProcess } from './run-executor';
import { current, FakeBackend, FakeClient, makeProcess, start, until } from './run-executor.test-helpers';

function cfs() {
  return { store: createMemoryBlobStore(), metadata: createMemoryCfsMetadata() };
}

function withDirs(id: string, dirs: { dir: string; label: string; keepfiles?: boolean }[]): ExecutorProcess {
  const process = makeProcess(id);
  process.spec.fs = {
    mount: '/cfs',
    snapshots: [],
    dirs: dirs.map((entry) => ({ keepfiles: false, ...entry, onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: true } } })),
  };
  return process;
}

async function closedError(client: FakeClient, processId: string): Promise<string> {
  await until(() => client.closed.some((close) => close.processId === processId), `${processId} closed`);
  const close = client.closed.find((entry) => entry.processId === processId)!;
  expect(close.success).toBe(false);
  return close.errors![0]!;
}

describe('runExecutor: hostile staging specs (case 3)', () => {
  it('refuses fs.dirs[0].dir "/" with keepfiles false before staging, naming the field; other projects stay', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(withDirs('root-dir', [{ dir: '/', label: '/pollinator/evil/result' }]));
    start(client, backend, { cfs: cfs() });
    const other = join(current.root!, 'fs', 'pollinator', 'victim', 'data');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'keep.csv'), 'victim data\n');
    const error = await closedError(client, 'root-dir');
    expect(error).toMatch(/^ContainerExecutor: Invalid funcspec, fs\.dirs\[0\]\.dir "\/" is the root/);
    expect(error).toMatch(/Failed to validate funcspec$/);
    expect(backend.started).toHaveLength(0);
    expect(readFileSync(join(other, 'keep.csv'), 'utf8')).toBe('victim data\n');
  });

  it.each([
    ['/pollinator', 'fs.dirs[0].dir', /too close to the root/],
    ['/pollinator/p/../../etc', 'fs.dirs[0].dir', /not a normal path/],
    ['/pollinator//p', 'fs.dirs[0].dir', /not a normal path/],
    ['/pollinator/p/./data', 'fs.dirs[0].dir', /not a normal path/],
    ['/pollinator/p\\..\\x', 'fs.dirs[0].dir', /backslash/],
    ['/pollinator/p/da\nta', 'fs.dirs[0].dir', /control character/],
    ['pollinator/p/data', 'fs.dirs[0].dir', /absolute/],
  ])('refuses dir %j naming %s', async (dir, field, problem) => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(withDirs('bad', [{ dir, label: '/pollinator/p/data' }]));
    start(client, backend, { cfs: cfs() });
    const error = await closedError(client, 'bad');
    expect(error).toContain(`Invalid funcspec, ${field} `);
    expect(error).toMatch(problem);
    expect(backend.started).toHaveLength(0);
  });

  it('refuses a label "/" or with ".." naming fs.dirs[i].label', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(withDirs('label-root', [{ dir: '/pollinator/p/result', label: '/' }]));
    client.queue.push(withDirs('label-up', [{ dir: '/pollinator/p/data', label: '/pollinator/../x' }]));
    start(client, backend, { cfs: cfs() });
    expect(await closedError(client, 'label-root')).toContain('Invalid funcspec, fs.dirs[0].label "/" is the root');
    expect(await closedError(client, 'label-up')).toContain('Invalid funcspec, fs.dirs[0].label "/pollinator/../x" is not a normal path');
  });

  it('refuses a dir that is an ancestor of a dir another running process uses, and keeps that dir', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(withDirs('owner', [{ dir: '/pollinator/a/data', label: '/pollinator/a/data', keepfiles: true }]));
    start(client, backend, { cfs: cfs() });
    await until(() => backend.started.length === 1, 'owner started');
    const staged = join(current.root!, 'fs', 'pollinator', 'a', 'data');
    writeFileSync(join(staged, 'mine.txt'), 'owner\n');
    client.queue.push(withDirs('wide', [{ dir: '/pollinator/a', label: '/pollinator/wide' }]));
    const error = await closedError(client, 'wide');
    expect(error).toContain('Invalid funcspec, fs.dirs[0].dir "/pollinator/a" contains "/pollinator/a/data", the staging directory of another running process');
    expect(readFileSync(join(staged, 'mine.txt'), 'utf8')).toBe('owner\n');
    backend.finish('owner', { state: 'succeeded', exitCode: 0 });
  });

  it('keeps a keepfiles-false dir while another running process of the project uses it', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(withDirs('first', [{ dir: '/pollinator/q/result', label: '/pollinator/q/result' }]));
    client.queue.push(withDirs('second', [{ dir: '/pollinator/q/result', label: '/pollinator/q/result' }]));
    start(client, backend, { cfs: cfs() });
    await until(() => backend.started.length === 2, 'both started');
    const result = join(current.root!, 'fs', 'pollinator', 'q', 'result');
    backend.finish('first', { state: 'succeeded', exitCode: 0 });
    await until(() => client.closed.some((close) => close.processId === 'first'), 'first closed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(result)).toBe(true);
    backend.finish('second', { state: 'succeeded', exitCode: 0 });
    await until(() => !existsSync(result), 'removed after the last user');
  });

  it('never stages or deletes through a symlinked ancestor (a job planted it), and says which path', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    start(client, backend, { cfs: cfs() });
    await current.executor!.ready;
    const outside = join(current.root!, 'outside');
    mkdirSync(join(outside, 'data'), { recursive: true });
    writeFileSync(join(outside, 'data', 'precious.txt'), 'host file\n');
    mkdirSync(join(current.root!, 'fs', 'pollinator'), { recursive: true });
    symlinkSync(outside, join(current.root!, 'fs', 'pollinator', 'b'));
    client.queue.push(withDirs('planted', [{ dir: '/pollinator/b/data', label: '/pollinator/b/data' }]));
    const error = await closedError(client, 'planted');
    expect(error).toContain(`refused ${join(current.root!, 'fs', 'pollinator', 'b')}: it is a symlink`);
    expect(readFileSync(join(outside, 'data', 'precious.txt'), 'utf8')).toBe('host file\n');
    expect(backend.started).toHaveLength(0);
  });
});

describe('runExecutor: what a job is given (case 2)', () => {
  it('mounts only the job’s own staged dirs and protects the state dir, fsDir and the configured paths', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const process = withDirs('p1', [
      { dir: '/pollinator/p/result', label: '/pollinator/p/result' },
      { dir: '/pollinator/p/data', label: '/pollinator/p/data', keepfiles: true },
    ]);
    client.queue.push(process);
    start(client, backend, { cfs: cfs(), protectedPaths: ['/srv/dev-server/data'] });
    await until(() => backend.started.length === 1, 'started');
    const root = current.root!;
    const job = backend.started[0]!;
    expect(job.mounts).toEqual([
      { hostPath: join(root, 'fs', 'pollinator', 'p', 'data'), containerPath: '/cfs/pollinator/p/data' },
      { hostPath: join(root, 'fs', 'pollinator', 'p', 'result'), containerPath: '/cfs/pollinator/p/result' },
    ]);
    expect(job.protectedPaths).toEqual([join(root, 'state'), join(root, 'fs'), '/srv/dev-server/data']);
    backend.finish('p1', { state: 'succeeded', exitCode: 0 });
    await until(() => client.closed.length === 1, 'closed');
    // keepfiles false: the job's own result dir is removed (after the close), its data dir (keepfiles true) stays.
    await until(() => !existsSync(join(root, 'fs', 'pollinator', 'p', 'result')), 'result dir removed');
    expect(existsSync(join(root, 'fs', 'pollinator', 'p', 'data'))).toBe(true);
  });

  it('refuses to upload a result dir the job replaced with a symlink, and leaves the target alone', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(withDirs('swap', [{ dir: '/pollinator/s/result', label: '/pollinator/s/result' }]));
    start(client, backend, { cfs: cfs() });
    await until(() => backend.started.length === 1, 'started');
    const root = current.root!;
    const hostDir = join(root, 'host-dir');
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'canary.txt'), 'secret\n');
    const result = join(root, 'fs', 'pollinator', 's', 'result');
    // What a job does: replace its result dir with a link to a host directory.
    rmSync(result, { recursive: true });
    symlinkSync(hostDir, result);
    backend.finish('swap', { state: 'succeeded', exitCode: 0 });
    const error = await closedError(client, 'swap');
    expect(error).toContain(`refused ${result}: it is a symlink`);
    expect(error).toContain('Failed to sync to filesystem');
    expect(readFileSync(join(hostDir, 'canary.txt'), 'utf8')).toBe('secret\n');
    expect(existsSync(join(hostDir, '.cfs'))).toBe(false);
  });
});

describe('runExecutor: hostile strings and numbers (cases 5 and 6)', () => {
  it.each([
    ['kwargs.cmd', (process: ExecutorProcess) => (process.spec.kwargs!.cmd = 'echo a\0b'), /kwargs\.cmd contains a NUL character/],
    ['kwargs.docker-image', (process: ExecutorProcess) => (process.spec.kwargs!['docker-image'] = 'busybox\nevil'), /kwargs\.docker-image contains a line break/],
    ['kwargs.args[0]', (process: ExecutorProcess) => (process.spec.kwargs!.args = ['a\0b']), /kwargs\.args\[0\] contains a NUL/],
    ['conditions.gpu.name', (process: ExecutorProcess) => (process.spec.conditions.gpu = { name: 'a100\r', count: 1 }), /conditions\.gpu\.name contains a line break/],
    ['conditions.executortype', (process: ExecutorProcess) => (process.spec.conditions.executortype = 'x\ny'), /conditions\.executortype contains a line break/],
    ['env key', (process: ExecutorProcess) => (process.spec.env = { 'A\nB': '1' }), /env key "A\\nB" contains a line break/],
    ['env value', (process: ExecutorProcess) => (process.spec.env = { A: '1\x002' }), /env\.A contains a NUL/],
    ['conditions.walltime', (process: ExecutorProcess) => (process.spec.conditions.walltime = 7.4e9), /conditions\.walltime is 7400000000 s, above the limit of 31536000 s/],
    ['maxexectime', (process: ExecutorProcess) => {
      process.spec.conditions.walltime = 31_536_000;
      process.spec.maxexectime = 2 ** 53;
    }, /walltime must be >= maxexectime/],
    ['conditions.nodes', (process: ExecutorProcess) => (process.spec.conditions.nodes = 1e9), /conditions\.nodes is 1000000000, above the limit/],
    ['conditions.processespernode', (process: ExecutorProcess) => (process.spec.conditions.processespernode = 2.5), /processespernode must be a positive integer/],
    ['conditions.cpu', (process: ExecutorProcess) => (process.spec.conditions.cpu = '99999999999m'), /conditions\.cpu "99999999999m" is above the limit/],
    ['conditions.mem', (process: ExecutorProcess) => (process.spec.conditions.mem = '99999999999999Gi'), /conditions\.mem "99999999999999Gi" is above the limit of 1048576Gi/],
    ['conditions.gpu.count', (process: ExecutorProcess) => (process.spec.conditions.gpu = { name: '', count: 1e6 }), /conditions\.gpu\.count is 1000000, above the limit of 1024/],
    ['maxretries', (process: ExecutorProcess) => (process.spec.maxretries = 1e12), /maxretries is 1000000000000, above the limit/],
  ])('closes a spec with a bad %s failed, naming it', async (_field, mutate, message) => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const process = makeProcess('bad');
    mutate(process);
    client.queue.push(process);
    start(client, backend);
    const error = await closedError(client, 'bad');
    expect(error).toMatch(/^ContainerExecutor: Invalid funcspec, /);
    expect(error).toMatch(message);
    expect(backend.started).toHaveLength(0);
  });

  it('runs a spec at the limits (365-day walltime) without stopping it at once', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const process = makeProcess('long');
    process.spec.conditions.walltime = 31_536_000;
    process.spec.maxexectime = 31_536_000;
    client.queue.push(process);
    start(client, backend);
    await until(() => backend.started.length === 1, 'started');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(backend.cancelled).toEqual([]);
    expect(client.closed).toEqual([]);
    backend.finish('long', { state: 'succeeded', exitCode: 0 });
    await until(() => client.closed.length === 1, 'closed');
  });
});

describe('runExecutor: an unreadable process (case 9)', () => {
  it('closes a process assign could not decode failed instead of leaving it RUNNING', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    let thrown = false;
    const assign = client.assign.bind(client);
    client.assign = async (request) => {
      if (!thrown) {
        thrown = true;
        throw new UnreadableProcessError({ payloadtype: 'assignprocessmsg', reason: 'string too long', processId: 'unreadable' });
      }
      return assign(request);
    };
    client.queue.push(makeProcess('next'));
    start(client, backend);
    const error = await closedError(client, 'unreadable');
    expect(error).toContain('the executor could not read the process');
    expect(error).toContain('string too long');
    // The loop goes on: the next process runs.
    await until(() => backend.started.length === 1, 'the next process started');
  });
});

describe('runExecutor: leftovers of a crash (case 11)', () => {
  it('removes the temporary files an interrupted staging left in fsDir at start', async () => {
    const client = new FakeClient();
    const root = mkdtempSync(join(tmpdir(), 'pollinator-run-executor-'));
    current.root = root;
    const staged = join(root, 'fs', 'pollinator', 'p', 'data');
    mkdirSync(staged, { recursive: true });
    writeFileSync(join(staged, '.pollinator-tmp-0123abcd-input.csv'), Buffer.alloc(4096));
    writeFileSync(join(staged, 'input.csv'), 'kept\n');
    current.executor = runExecutor({ client, backend: new FakeBackend(), fsDir: join(root, 'fs'), stateDir: join(root, 'state'), assignTimeoutSeconds: 1 });
    await current.executor.ready;
    expect(readdirSync(staged)).toEqual(['input.csv']);
  });
});

describe('runExecutor: a job whose process cannot be read back after a restart (case 9)', () => {
  it('stops the job and closes the process failed', async () => {
    const client = new FakeClient();
    class ReattachingBackend extends FakeBackend {
      async reattach(saved: JobHandle): Promise<JobHandle> {
        return saved;
      }
    }
    const backend = new ReattachingBackend();
    client.queue.push(makeProcess('p1'));
    const first = start(client, backend);
    await until(() => backend.started.length === 1, 'started');
    await first.stop('detach');
    const root = current.root!;
    current.root = undefined;
    client.getProcess = async () => {
      throw new UnreadableProcessError({ payloadtype: 'getprocessmsg', reason: 'kwargs nested too deep', processId: 'p1' });
    };
    current.executor = runExecutor({ client, backend, fsDir: join(root, 'fs'), stateDir: join(root, 'state'), assignTimeoutSeconds: 1 });
    current.root = root;
    await current.executor.ready;
    expect(backend.cancelled).toContain('p1');
    const error = await closedError(client, 'p1');
    expect(error).toContain('the executor could not read the process after a restart');
  });
});
