// runProject end to end against a real dev-server and blob store. Longer than
// ~500 lines on purpose: each case is one whole run (sync, submit, follow,
// results) whose set-up reads best beside its assertions.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createColoniesClient, UnreadableProcessError, type ColoniesClient, type Process } from '@pollinator/colonies-client';
import { createLocalBlobStore, type BlobStore } from '@pollinator/cfs-sync';
import { startDevServer } from '@pollinator/dev-server';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes';
import { followProcess } from './follow-process';
import { listExecutors, listProcesses } from './process-commands';
import { pullResults } from './pull-results';
import { runProject } from './run-project';
import { collect, fixture, listTree, ofType, scriptedExecutor, serverState, useDevServer, writeProject } from './run-project.test-helpers';

useDevServer();

describe('runProject end to end (dev-server + scripted executor)', () => {
  it('runs a project: logs arrive complete and in order, result files come back, exit code 0', async () => {
    const dir = await writeProject('hello');
    // More lines than one getlogsmsg page (500).
    const lines = Array.from({ length: 520 }, (_, index) => `line ${index}\n`);
    let seenSpec: Process['spec'] | undefined;
    let snapshotFiles = 0;
    const executor = scriptedExecutor(async ({ process, client, log, uploadResult }) => {
      seenSpec = process.spec;
      const snapshotId = process.spec.fs.snapshots?.[0]?.snapshotid ?? '';
      snapshotFiles = (await client.getSnapshot({ snapshotId })).fileids.length;
      for (const line of lines) await log(line);
      await uploadResult({ 'result.txt': 'HELLO WORLD!\n', 'plots/a.csv': '1,2\n' });
      await client.addAttribute({ processId: process.processid, key: 'EXITCODE', value: '0' });
      await client.closeSuccessful(process.processid);
    });

    const { events, result } = await collect({ dir });
    await executor;

    expect(result).toMatchObject({ state: 'success', exitCode: 0, detached: false });
    expect(result.processId).toMatch(/^[0-9a-f]{64}$/);
    // Logs: every line, once, in order.
    expect(ofType(events, 'log').map((event) => event.message)).toEqual(lines);
    // Results downloaded.
    expect(await readFile(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
    expect(await readFile(join(dir, 'cfs', 'result', 'plots', 'a.csv'), 'utf8')).toBe('1,2\n');
    expect(ofType(events, 'result.synced')[0]?.downloaded.files).toBe(2);
    // The submitted spec: the project's, with this run's snapshot of src.
    expect(seenSpec?.label).toBe('hello');
    expect(seenSpec?.kwargs.args).toEqual([`/cfs/pollinator/hello/${seenSpec?.fs.snapshots?.[0]?.snapshotid}/src/main.py`]);
    expect(snapshotFiles).toBe(2);

    // Event order and shape.
    const order = events.map((event) => event.type).filter((type) => type !== 'log' && type !== 'sync.progress' && type !== 'sync.file');
    // Both plans before any upload (a remote change stops the run before anything moves), then both snapshots.
    expect(order.slice(0, 10)).toEqual([
      'project.loaded',
      'sync.plan',
      'sync.plan',
      'sync.done',
      'sync.done',
      'snapshot.created',
      'snapshot.created',
      'spec.built',
      'process.submitted',
      'process.state',
    ]);
    expect(ofType(events, 'snapshot.created').map((event) => [event.target, event.files])).toEqual([
      ['src', 2],
      ['data', 1],
    ]);
    expect(order.at(-1)).toBe('done');
    expect(ofType(events, 'sync.plan').map((event) => [event.target, event.upload.files])).toEqual([
      ['src', 2],
      ['data', 1],
      ['result', 0],
    ]);
    expect(ofType(events, 'process.state').map((event) => event.state).at(-1)).toBe('success');
    expect(ofType(events, 'done')[0]?.result).toEqual(result);
    // Plain JSON all the way (bigint timestamps as strings).
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);
    expect(ofType(events, 'log')[0]?.timestamp).toMatch(/^[0-9]{18,}$/);

    // A re-run uploads nothing new for src/data.
    const again = scriptedExecutor(async ({ process, client }) => client.closeSuccessful(process.processid));
    const second = await collect({ dir });
    await again;
    expect(second.result.exitCode).toBe(0);
    expect(ofType(second.events, 'sync.plan').slice(0, 2).map((event) => event.upload.files)).toEqual([0, 0]);
  }, 90_000);

  it('a failing job yields its exit code, and its partial results still come back', async () => {
    const dir = await writeProject('failing');
    const executor = scriptedExecutor(async ({ process, client, log, uploadResult }) => {
      await log('Traceback (most recent call last):\n');
      await uploadResult({ 'partial.txt': 'half\n' });
      await client.addAttribute({ processId: process.processid, key: 'EXITCODE', value: '3' });
      await client.closeFailed(process.processid, 'ContainerExecutor: exit code 3');
    });
    const { events, result } = await collect({ dir });
    await executor;
    expect(result).toMatchObject({ state: 'failed', exitCode: 3, error: { code: 'PROCESS_FAILED' } });
    expect(ofType(events, 'process.state').at(-1)?.errors).toEqual(['ContainerExecutor: exit code 3']);
    expect(await readFile(join(dir, 'cfs', 'result', 'partial.txt'), 'utf8')).toBe('half\n');
  });

  it('a failed job without a recorded exit code exits 1; result.download on-success skips the download', async () => {
    const dir = await writeProject('nocode', 'result:\n  download: on-success\n');
    const executor = scriptedExecutor(async ({ process, client, uploadResult }) => {
      await uploadResult({ 'partial.txt': 'half\n' });
      await client.closeFailed(process.processid, 'something broke');
    });
    const { events, result } = await collect({ dir });
    await executor;
    expect(result.exitCode).toBe(ExitCode.JOB_FAILED);
    expect(ofType(events, 'result.synced')).toEqual([]);
    await expect(readdir(join(dir, 'cfs', 'result'))).rejects.toThrow();
  });

  it.each([
    ['a job over its time limit', 'ContainerExecutor: TIMEOUT: time limit reached: Failed to execute process', '124', ExitCode.TIME_LIMIT],
    ['a job its executor lost', 'executor lost the job: after a restart, the slurm backend no longer knows job 42', undefined, ExitCode.EXECUTOR_LOST],
  ])('%s yields the reserved code', async (_name, error, recorded, expected) => {
    const dir = await writeProject('reserved');
    const executor = scriptedExecutor(async ({ process, client }) => {
      if (recorded !== undefined) await client.addAttribute({ processId: process.processid, key: 'EXITCODE', value: recorded });
      await client.closeFailed(process.processid, error);
    });
    const { result } = await collect({ dir });
    await executor;
    expect(result).toMatchObject({ state: 'failed', exitCode: expected, error: { message: error } });
  });

  it('a cancelled job yields the cancel code', async () => {
    const dir = await writeProject('cancelled');
    const executor = scriptedExecutor(async ({ log, cancelled }) => {
      await log('working…\n');
      await cancelled();
    });
    const run = runProject({ dir, client: fixture.user, blobStore: fixture.store, stateDir: fixture.stateDir, pollIntervalMs: 50 });
    const states: string[] = [];
    for await (const event of run) {
      if (event.type === 'process.state') {
        states.push(event.state);
        if (event.state === 'running') await fixture.user.cancelProcess(event.processId);
      }
    }
    const result = await run.result;
    await executor;
    expect(result).toMatchObject({ state: 'cancelled', exitCode: ExitCode.CANCELLED, detached: false });
    expect(states.at(-1)).toBe('cancelled');
  });

  it('a dry run changes nothing: not the server, not the blob store, not the project directory', async () => {
    const dir = await writeProject('dry');
    const before = await serverState();
    const localBefore = await listTree(dir);

    // Built from a config instead of a client, as a CLI would.
    const { server } = fixture;
    const config = { url: server.url, privateKey: server.identities.user.privateKey, colonyName: server.identities.colony.name };
    const { events, result } = await collect({ dir, dryRun: true, client: undefined, config });

    expect(result).toEqual({ processId: undefined, state: 'dry-run', exitCode: 0, detached: false });
    const plans = ofType(events, 'sync.plan');
    expect(plans.map((plan) => [plan.target, plan.upload.files])).toEqual([
      ['src', 2],
      ['data', 1],
    ]);
    expect(plans[0]?.entries?.map((entry) => entry.path)).toEqual(['lib/util.py', 'main.py']);
    const spec = ofType(events, 'spec.built')[0]?.spec;
    expect(spec?.fs.snapshots[0]?.snapshotid).toBe('{snapshotid}');
    expect(spec?.conditions.colonyname).toBe(fixture.server.identities.colony.name);
    expect(events.map((event) => event.type)).not.toContain('sync.progress');
    expect(events.map((event) => event.type)).not.toContain('process.submitted');

    expect(await serverState()).toEqual(before);
    expect(await listTree(dir)).toEqual(localBefore);
  });

  it('a dry run of a project without cfs/data plans an empty data sync and creates nothing', async () => {
    const dir = await writeProject('nodata');
    await rm(join(dir, 'cfs', 'data'), { recursive: true });
    const localBefore = await listTree(dir);
    const { events, result } = await collect({ dir, dryRun: true });
    expect(result.state).toBe('dry-run');
    expect(ofType(events, 'sync.plan').map((plan) => [plan.target, plan.upload.files])).toEqual([
      ['src', 2],
      ['data', 0],
    ]);
    expect(await listTree(dir)).toEqual(localBefore);
  });

  it('an invalid project stops before anything happens, with every problem listed (exit 65)', async () => {
    const dir = join(fixture.workDir, 'invalid');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'project.yaml'), 'projectname: x\nconditions: { cpu: 2, mem: 1G }\nenvironment: { cmd: python3 }\n');
    const before = await serverState();
    const { events, result } = await collect({ dir });
    expect(result).toMatchObject({ state: 'not-submitted', exitCode: ExitCode.INVALID_PROJECT });
    const error = ofType(events, 'error')[0];
    // Sorted by position: a missing key points at the mapping that lacks it.
    expect(error?.issues?.map((issue) => `${issue.line}:${issue.column} ${issue.path}`)).toEqual([
      '2:1 conditions.walltime',
      '2:20 conditions.cpu',
      '2:28 conditions.mem',
      '3:1 environment.docker',
    ]);
    expect(await serverState()).toEqual(before);
  });

  it('aborting during sync submits nothing and the next run works', async () => {
    const dir = await writeProject('aborted');
    for (let index = 0; index < 200; index += 1) {
      await writeFile(join(dir, 'cfs', 'data', `file-${index}.bin`), Buffer.alloc(2048, index));
    }
    const controller = new AbortController();
    const run = runProject({ dir, client: fixture.user, blobStore: fixture.store, stateDir: fixture.stateDir, signal: controller.signal });
    for await (const event of run) {
      if (event.type === 'sync.file' && event.target === 'data') controller.abort();
    }
    const result = await run.result;
    expect(result).toMatchObject({ state: 'not-submitted', exitCode: ExitCode.CANCELLED, error: { code: 'ABORTED' } });
    expect(await fixture.user.getProcesses({ state: 0 })).toEqual([]);

    const executor = scriptedExecutor(async ({ process, client }) => {
      const snapshotId = process.spec.fs.snapshots?.[0]?.snapshotid ?? '';
      expect((await client.getSnapshot({ snapshotId })).fileids.length).toBe(2);
      await client.closeSuccessful(process.processid);
    });
    const second = await collect({ dir });
    await executor;
    expect(second.result.exitCode).toBe(0);
    const data = await fixture.user.getFiles('/pollinator/aborted/data');
    expect(data.length).toBe(201);
  });

  it('detached: returns after submit; followProcess, pullResults and the listings pick it up', async () => {
    const dir = await writeProject('detached');
    const { events, result } = await collect({ dir, follow: false });
    expect(result).toMatchObject({ state: 'waiting', exitCode: 0, detached: true });
    expect(events.map((event) => event.type)).toContain('process.submitted');
    const processId = result.processId ?? '';

    const listed = await listProcesses({ client: fixture.user, projectName: 'detached' });
    expect(listed.map((process) => [process.processId, process.state, process.label])).toEqual([[processId, 'waiting', 'detached']]);
    const executors = await listExecutors({ client: fixture.user });
    expect(executors.map((executor) => executor.name)).toContain(fixture.server.identities.executor.name);

    const executor = scriptedExecutor(async ({ process, client, log, uploadResult }) => {
      await log('a\n');
      await log('b\n');
      await uploadResult({ 'out.txt': 'done\n' });
      await client.closeSuccessful(process.processid);
    });
    const follow = followProcess({ client: fixture.user, processId, pollIntervalMs: 50 });
    const messages: string[] = [];
    for await (const event of follow) if (event.type === 'log') messages.push(event.message);
    await executor;
    expect(messages).toEqual(['a\n', 'b\n']);
    expect(await follow.result).toMatchObject({ processId, state: 'success', exitCode: 0 });

    const pull = pullResults({ dir, client: fixture.user, blobStore: fixture.store, stateDir: false });
    for await (const _event of pull) {
      // drain
    }
    expect((await pull.result).exitCode).toBe(0);
    expect(await readFile(join(dir, 'cfs', 'result', 'out.txt'), 'utf8')).toBe('done\n');
    const finished = await listProcesses({ client: fixture.user, state: 'success' });
    expect(finished[0]).toMatchObject({ processId, exitCode: 0 });
  });

  it('aborting while following detaches without cancelling, unless asked to cancel', async () => {
    const dir = await writeProject('follow-abort');
    const controller = new AbortController();
    const run = runProject({ dir, client: fixture.user, blobStore: fixture.store, stateDir: fixture.stateDir, signal: controller.signal, pollIntervalMs: 50 });
    for await (const event of run) if (event.type === 'process.state') controller.abort();
    const result = await run.result;
    expect(result).toMatchObject({ state: 'waiting', exitCode: ExitCode.CANCELLED, detached: true, error: { code: 'DETACHED' } });
    expect((await fixture.user.getProcess(result.processId ?? '')).state).toBe(0);

    const cancelling = new AbortController();
    const second = runProject({
      dir,
      client: fixture.user,
      blobStore: fixture.store,
      stateDir: fixture.stateDir,
      signal: cancelling.signal,
      cancelOnAbort: true,
      pollIntervalMs: 50,
    });
    for await (const event of second) if (event.type === 'process.state' && event.state === 'waiting') cancelling.abort();
    const cancelled = await second.result;
    expect(cancelled).toMatchObject({ state: 'cancelled', exitCode: ExitCode.CANCELLED, detached: false });
    expect((await fixture.user.getProcess(cancelled.processId ?? '')).state).toBe(4);
  });

  it('losing the server while following yields the lost-connection code', async () => {
    const dir = await writeProject('lost');
    const server = await startDevServer({});
    const client = createColoniesClient({
      url: server.url,
      privateKey: server.identities.user.privateKey,
      colonyName: server.identities.colony.name,
      retry: false,
      timeoutMs: 2000,
    });
    const run = runProject({
      dir,
      client,
      blobStore: createLocalBlobStore({ dir: server.blobDir }),
      stateDir: false,
      pollIntervalMs: 50,
      connectionTimeoutMs: 300,
    });
    let closed = false;
    for await (const event of run) {
      if (event.type === 'process.state' && !closed) {
        closed = true;
        await server.close();
      }
    }
    const result = await run.result;
    expect(result).toMatchObject({ state: 'waiting', exitCode: ExitCode.CONNECTION_LOST, detached: true, error: { code: 'CONNECTION_LOST' } });
    expect(result.processId).toMatch(/^[0-9a-f]{64}$/);
  });

  /** The user's client with its `submit` replaced (everything else goes to the real one). */
  function withSubmit(user: ColoniesClient, submit: ColoniesClient['submit']): ColoniesClient {
    return new Proxy(user, {
      get(target, property) {
        if (property === 'submit') return submit;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it('a rejected submission exits 77 and follows nothing', async () => {
    const dir = await writeProject('rejected');
    // The server refuses a spec for a colony the user is not a member of (403).
    const user = fixture.user;
    const client = withSubmit(user, (spec) => user.submit({ ...spec, conditions: { ...spec.conditions, colonyname: 'elsewhere' } }));
    const { result, events } = await collect({ dir, client });
    expect(result).toMatchObject({ state: 'not-submitted', exitCode: ExitCode.SUBMISSION_REJECTED, error: { code: 'SUBMISSION_REJECTED' } });
    expect(ofType(events, 'error')[0]?.message).toMatch(/refused the submission.*403|refused the submission.*elsewhere/);
    expect(ofType(events, 'process.submitted')).toEqual([]);
  });

  it('a process created but unreadable in the reply is named, not reported as refused', async () => {
    const dir = await writeProject('unreadable');
    const user = fixture.user;
    const processId = 'c'.repeat(64);
    const client = withSubmit(user, () =>
      Promise.reject(new UnreadableProcessError({ payloadtype: 'submitfuncspecmsg', processId, reason: 'JSON nested deeper than 512 levels' })),
    );
    const { result, events } = await collect({ dir, client });
    expect(result).toMatchObject({ processId, state: 'waiting', error: { code: 'PROCESS_UNREADABLE' } });
    expect(ofType(events, 'process.submitted')).toEqual([expect.objectContaining({ processId })]);
    expect(ofType(events, 'error')[0]?.message).toContain(`pollinator cancel ${processId}`);
  });

  it('symlinks in cfs/src and cfs/data are not uploaded by default, and run lists each one with the reason and how to opt in', async () => {
    const dir = await writeProject('links');
    const host = await mkdtemp(join(fixture.workDir, 'host-'));
    await writeFile(join(host, 'secret.txt'), 'HOST-SECRET');
    await mkdir(join(host, 'dir'));
    await writeFile(join(host, 'dir', 'inner.txt'), 'HOST-SECRET inner');
    await symlink(join(host, 'secret.txt'), join(dir, 'cfs', 'src', 'secret.txt'));
    await symlink(join(host, 'dir'), join(dir, 'cfs', 'data', 'hostdir'));
    const { events, result } = await collect({ dir, follow: false });
    expect(result).toMatchObject({ exitCode: ExitCode.SUCCESS, detached: true });
    const listed = ofType(events, 'sync.symlinks');
    expect(listed.map((event) => [event.target, event.policy, event.skipped.map((link) => link.path)])).toEqual([
      ['src', 'skip', ['secret.txt']],
      ['data', 'skip', ['hostdir']],
    ]);
    expect(listed[0]?.skipped[0]).toMatchObject({ target: join(host, 'secret.txt'), reason: expect.stringContaining('set sync.symlinks: inside in project.yaml') });
    const blobs = await readdir(fixture.server.blobDir, { withFileTypes: true });
    const contents = await Promise.all(blobs.filter((entry) => entry.isFile()).map((entry) => readFile(join(fixture.server.blobDir, entry.name), 'utf8')));
    expect(contents.some((content) => content.includes('HOST-SECRET'))).toBe(false);
    const names = (await fixture.user.getFiles('/pollinator/links/src')).map((file) => file.name);
    expect(names).not.toContain('secret.txt');
  });

  it('sync.symlinks: inside in project.yaml uploads a link whose target is inside the project, still not one outside', async () => {
    const dir = await writeProject('inside', 'sync:\n  symlinks: inside\n');
    await mkdir(join(dir, 'shared'));
    await writeFile(join(dir, 'shared', 'common.py'), 'COMMON = 1\n');
    await symlink('../../shared/common.py', join(dir, 'cfs', 'src', 'common.py'));
    const host = await mkdtemp(join(fixture.workDir, 'host-'));
    await writeFile(join(host, 'hostname'), 'HOST');
    await symlink(join(host, 'hostname'), join(dir, 'cfs', 'src', 'hostname'));
    const { events, result } = await collect({ dir, follow: false });
    expect(result.exitCode).toBe(ExitCode.SUCCESS);
    const names = (await fixture.user.getFiles('/pollinator/inside/src')).map((file) => file.name).sort();
    expect(names).toEqual(['common.py', 'main.py']);
    expect(ofType(events, 'sync.symlinks').flatMap((event) => event.skipped.map((link) => [event.policy, link.path, link.why]))).toEqual([
      ['inside', 'hostname', 'target outside the project'],
    ]);
  });

  it('sync failures exit 74 and submit nothing', async () => {
    const dir = await writeProject('store-fails');
    // A store that refuses every upload (a full disk, a bucket gone): a sync failure, not the server's.
    const failing: BlobStore = Object.assign(Object.create(fixture.store) as BlobStore, {
      put: async () => {
        throw new Error('the store refused the object');
      },
    });
    const { result, events } = await collect({ dir, blobStore: failing });
    expect(result).toMatchObject({ state: 'not-submitted', exitCode: ExitCode.SYNC_FAILED });
    expect(ofType(events, 'error')[0]?.message).toMatch(/uploading cfs\/src failed/i);
    expect((await serverState()).processes).toEqual([]);
  });
});
