/**
 * The assign loop of runExecutor() against a fake client and a fake backend:
 * concurrency limit, heartbeat while at capacity, admission by cpu/mem, back-off
 * on errors, unknown funcname, invalid specs, `sync`, and the shutdown modes.
 * (The whole flow against the dev-server and the local backend is in
 * packages/local/src/executor-e2e.test.ts.)
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobHandle, LogChunk } from './backend';
import { readStateFile } from './executor-state';
import { runExecutor } from './run-executor';
import { StateDirLockedError } from './state-dir-lock';
import { current, FakeBackend, FakeClient, makeProcess, start, until } from './run-executor.test-helpers';

describe('runExecutor assign loop', () => {
  it('runs at most maxConcurrency jobs, keeps the heartbeat going at capacity, and takes more when a slot frees', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(makeProcess('p1'), makeProcess('p2'), makeProcess('p3'));
    start(client, backend, { maxConcurrency: 2 });
    await until(() => backend.started.length === 2, 'two jobs started');
    const callsAtCapacity = client.assignCalls.length;
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(backend.started).toHaveLength(2);
    // While at capacity: only heartbeat assigns that match nothing asking for cpu or memory.
    const heartbeats = client.assignCalls.slice(callsAtCapacity);
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    for (const call of heartbeats) expect(call).toMatchObject({ timeout: -1, availableCpu: '0m', availableMem: '0Mi' });

    backend.finish('p1', { state: 'succeeded', exitCode: 0 });
    await until(() => backend.started.length === 3, 'the third job started');
    expect(client.closed).toContainEqual({ processId: 'p1', success: true });
    expect(client.attributes).toContainEqual({ processId: 'p1', key: 'EXITCODE', value: '0', type: 1 });
    expect(client.logs).toContainEqual({ processId: 'p1', message: 'output of p1\n' });
  });

  it('offers only the cpu and memory left (admission)', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(makeProcess('big', { cpu: '3000m', mem: '2048Mi' }));
    start(client, backend, { resources: { cpuMillicores: 4000, memoryBytes: 8 * 1024 ** 3 } });
    await until(() => backend.started.length === 1, 'job started');
    expect(client.assignCalls[0]).toMatchObject({ availableCpu: '4000m', availableMem: '8192Mi' });
    await until(() => client.assignCalls.length >= 3, 'more assigns');
    expect(client.assignCalls.at(-1)).toMatchObject({ availableCpu: '1000m', availableMem: '6144Mi' });
    // A job that does not fit is not taken.
    client.queue.push(makeProcess('too-big', { cpu: '2000m' }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(backend.started).toHaveLength(1);
  });

  it('backs off after assign errors and recovers', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.assignFailures = 3;
    const warnings: string[] = [];
    client.queue.push(makeProcess('p1'));
    start(client, backend, { onEvent: (event) => event.type === 'warning' && warnings.push(event.message) });
    await until(() => backend.started.length === 1, 'job started after the errors');
    expect(warnings.filter((warning) => warning.startsWith('assign failed'))).toHaveLength(3);
  });

  it('closes an unknown funcname and an invalid spec failed at once, and runs `sync` without a job', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const invalid = makeProcess('invalid');
    invalid.spec.conditions.nodes = 0;
    client.queue.push(makeProcess('odd', { funcname: 'train' }), invalid, makeProcess('pre', { funcname: 'sync' }));
    start(client, backend);
    await until(() => client.closed.length === 3, 'three closes');
    expect(client.closed).toContainEqual({
      processId: 'odd',
      success: false,
      errors: ['Unsupported funcname "train" (this executor runs "execute" and "sync")'],
    });
    expect(client.closed).toContainEqual({
      processId: 'invalid',
      success: false,
      errors: ['ContainerExecutor: Invalid funcspec, nodes cannot be 0: Failed to validate funcspec'],
    });
    expect(client.closed).toContainEqual({ processId: 'pre', success: true });
    expect(backend.started).toHaveLength(0);
  });

  it('closes a failed job with the exit code and the original wording', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(makeProcess('p1'));
    start(client, backend);
    await until(() => backend.started.length === 1, 'job started');
    backend.finish('p1', { state: 'failed', exitCode: 7, reason: 'exit code 7' });
    await until(() => client.closed.length === 1, 'closed');
    expect(client.closed[0]).toEqual({
      processId: 'p1',
      success: false,
      errors: ['ContainerExecutor: Exit with an error, exit code = 7: Failed to execute process'],
    });
    expect(client.attributes).toContainEqual({ processId: 'p1', key: 'EXITCODE', value: '7', type: 1 });
    // The error is also the last log line, sent before the close.
    expect(client.logs.at(-1)?.message).toBe('ContainerExecutor: Exit with an error, exit code = 7: Failed to execute process\n');
  });

  it('stops the job when the process is cancelled, and does not close it', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(makeProcess('p1'));
    const events: string[] = [];
    start(client, backend, { onEvent: (event) => events.push(event.type) });
    await until(() => backend.started.length === 1, 'job started');
    client.processes.get('p1')!.state = 4;
    await until(() => backend.cancelled.includes('p1'), 'job cancelled');
    await until(() => events.includes('process.abandoned'), 'abandoned');
    expect(client.closed).toEqual([]);
  });

  it('stops the job at the exec deadline and closes it failed with exit code 124', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const process = makeProcess('p1');
    process.execdeadline = new Date(Date.now() + 150).toISOString();
    client.queue.push(process);
    start(client, backend);
    await until(() => client.closed.length === 1, 'closed at the deadline');
    expect(backend.cancelled).toContain('p1');
    expect(client.closed[0]!.errors![0]).toMatch(/maxexectime of 60 s exceeded, the job was stopped/);
    expect(client.attributes).toContainEqual({ processId: 'p1', key: 'EXITCODE', value: '124', type: 1 });
  });

  it("shutdown 'finish' waits for running jobs; 'detach' leaves them in the state file", async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(makeProcess('p1'));
    const running = start(client, backend);
    await until(() => backend.started.length === 1, 'job started');
    let stopped = false;
    const stopping = running.stop('finish').then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stopped).toBe(false);
    backend.finish('p1', { state: 'succeeded', exitCode: 0 });
    await stopping;
    expect(client.closed).toEqual([{ processId: 'p1', success: true }]);
    current.executor = undefined;

    const client2 = new FakeClient();
    const backend2 = new FakeBackend();
    client2.queue.push(makeProcess('p2'));
    const detached = start(client2, backend2);
    await until(() => backend2.started.length === 1, 'job started');
    await detached.stop('detach');
    current.executor = undefined;
    expect(client2.closed).toEqual([]);
    expect(backend2.cancelled).toEqual([]);
    const saved = readStateFile(join(current.root!, 'state', 'executor-state.json'));
    expect(Object.keys(saved.jobs)).toEqual(['p2']);
    expect(saved.jobs.p2!.handle).toMatchObject({ backend: 'fake', id: 'p2' });
  });

  it('resumes reading the output from the last chunk when a read fails', async () => {
    const client = new FakeClient();
    class FlakyBackend extends FakeBackend {
      reads: string[] = [];
      override async *logs(handle: JobHandle, from: string): AsyncIterable<LogChunk> {
        this.reads.push(from);
        if (from === '') {
          yield { text: 'first\n', cursor: 'a' };
          throw new Error('connection reset');
        }
        yield { text: 'second\n', cursor: 'b' };
        this.finish(handle.id, { state: 'succeeded', exitCode: 0 });
      }
    }
    const backend = new FlakyBackend();
    client.queue.push(makeProcess('p1'));
    start(client, backend);
    await until(() => client.closed.length === 1, 'closed');
    expect(backend.reads).toEqual(['', 'a']);
    expect(client.logs.map((log) => log.message).join('')).toBe('first\nsecond\n');
    expect(client.closed[0]).toEqual({ processId: 'p1', success: true });
  });
});

describe('runExecutor state directory', () => {
  it('refuses a second executor on the same state directory, and frees it on stop', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const first = start(client, backend);
    await first.ready;
    let refusal: unknown;
    try {
      runExecutor({ client: client, backend, fsDir: join(current.root!, 'fs'), stateDir: join(current.root!, 'state') });
    } catch (error) {
      refusal = error;
    }
    // A typed refusal with what to do, so `executor start` explains it (exit 78) instead of calling it a bug.
    expect(StateDirLockedError.isInstance(refusal)).toBe(true);
    expect(refusal).toMatchObject({ code: 'EXECUTOR_STATE_DIR_LOCKED', ownerPid: process.pid });
    expect((refusal as Error).message).toMatch(/another executor \(pid \d+\) uses the state directory/);
    expect((refusal as StateDirLockedError).fix).toContain('--state-dir');
    await first.stop();
    current.executor = undefined;
    const second = runExecutor({
      client: client,
      backend,
      fsDir: join(current.root!, 'fs'),
      stateDir: join(current.root!, 'state'),
      assignTimeoutSeconds: 1,
    });
    current.executor = second;
    await second.ready;
  });
});
