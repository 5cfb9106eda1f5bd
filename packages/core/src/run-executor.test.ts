/**
 * The assign loop of runExecutor() against a fake client and a fake backend:
 * concurrency limit, heartbeat while at capacity, admission by cpu/mem, back-off
 * on errors, unknown funcname, invalid specs, `sync`, and the shutdown modes.
 * (The whole flow against the dev-server and the local backend is in
 * packages/local/src/executor-e2e.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, JobHandle, JobRequest, JobStatus, LogChunk } from './backend';
import { readStateFile } from './executor-state';
import { runExecutor, type ExecutorClient, type ExecutorProcess, type RunningExecutor } from './run-executor';

const EXECUTOR_ID = 'e'.repeat(64);

interface AssignCall {
  timeout?: number;
  availableCpu?: string;
  availableMem?: string;
}

function makeProcess(id: string, overrides: { funcname?: string; cpu?: string; mem?: string; maxexectime?: number } = {}): ExecutorProcess {
  return {
    processid: id,
    state: 1,
    assignedexecutorid: EXECUTOR_ID,
    spec: {
      funcname: overrides.funcname ?? 'execute',
      args: [],
      kwargs: { cmd: 'echo', args: [id], 'docker-image': 'busybox' },
      maxexectime: overrides.maxexectime ?? 60,
      maxretries: 3,
      conditions: { nodes: 1, processespernode: 1, cpu: overrides.cpu ?? '1000m', mem: overrides.mem ?? '1000Mi', walltime: 60 },
      fs: { mount: '', snapshots: [], dirs: [] },
      env: {},
    },
  };
}

class FakeClient {
  readonly id = EXECUTOR_ID;
  readonly colonyName = 'dev';
  queue: ExecutorProcess[] = [];
  processes = new Map<string, ExecutorProcess>();
  assignCalls: AssignCall[] = [];
  assignFailures = 0;
  logs: { processId: string; message: string }[] = [];
  closed: { processId: string; success: boolean; errors?: string[] }[] = [];
  attributes: { processId: string; key: string; value: string }[] = [];

  as(): ExecutorClient {
    return this;
  }
  async assign(request: AssignCall): Promise<ExecutorProcess | null> {
    this.assignCalls.push(request);
    if (this.assignFailures > 0) {
      this.assignFailures -= 1;
      throw Object.assign(new Error('502 bad gateway'), { status: 502 });
    }
    const cpuLimit = request.availableCpu ? Number.parseInt(request.availableCpu, 10) : Infinity;
    const index = this.queue.findIndex((process) => Number.parseInt(process.spec.conditions.cpu, 10) <= cpuLimit);
    if (index >= 0) {
      const [process] = this.queue.splice(index, 1);
      this.processes.set(process!.processid, process!);
      return process!;
    }
    await new Promise((resolve) => setTimeout(resolve, request.timeout && request.timeout > 0 ? 30 : 1));
    return null;
  }
  async getProcess(processId: string): Promise<ExecutorProcess> {
    const process = this.processes.get(processId);
    if (!process) throw Object.assign(new Error('not found'), { status: 404 });
    return process;
  }
  async addLog(processId: string, message: string): Promise<void> {
    this.logs.push({ processId, message });
  }
  async closeSuccessful(processId: string): Promise<void> {
    this.closed.push({ processId, success: true });
    this.processes.get(processId)!.state = 2;
  }
  async closeFailed(processId: string, errors: string[] | string): Promise<void> {
    this.closed.push({ processId, success: false, errors: typeof errors === 'string' ? [errors] : errors });
    const process = this.processes.get(processId);
    if (process) process.state = 3;
  }
  async addAttribute(attribute: { processId: string; key: string; value: string }): Promise<unknown> {
    this.attributes.push(attribute);
    return {};
  }
  async addExecutor(): Promise<unknown> {
    return {};
  }
  async approveExecutor(): Promise<void> {}
  async removeExecutor(): Promise<void> {}
  async getExecutor(): Promise<{ state: number; executorid: string }> {
    return { state: 1, executorid: EXECUTOR_ID };
  }
  async addFunction(): Promise<unknown> {
    return {};
  }
  async removeSnapshot(): Promise<void> {}
  async addFile(): Promise<never> {
    throw new Error('no CFS in this test');
  }
  async getFile(): Promise<never> {
    throw new Error('no CFS in this test');
  }
  async getFiles(): Promise<never> {
    throw new Error('no CFS in this test');
  }
  async getFileLabels(): Promise<never> {
    throw new Error('no CFS in this test');
  }
  async createSnapshot(): Promise<never> {
    throw new Error('no CFS in this test');
  }
  async getSnapshot(): Promise<never> {
    throw new Error('no CFS in this test');
  }
}

/** Jobs that run until `finish(processId, exitCode)`. */
class FakeBackend implements Backend {
  readonly name = 'fake';
  started: JobRequest[] = [];
  cancelled: string[] = [];
  private final = new Map<string, JobStatus>();
  private waiters = new Map<string, () => void>();

  async start(job: JobRequest): Promise<JobHandle> {
    this.started.push(job);
    return { backend: this.name, processId: job.processId, id: job.processId, data: {} };
  }
  async status(handle: JobHandle): Promise<JobStatus> {
    return this.final.get(handle.id) ?? { state: 'running', nodes: ['fake-node'] };
  }
  async *logs(handle: JobHandle, _from: string, signal?: AbortSignal): AsyncIterable<LogChunk> {
    yield { text: `output of ${handle.id}\n`, cursor: '1' };
    if (!this.final.has(handle.id)) {
      await new Promise<void>((resolve) => {
        this.waiters.set(handle.id, resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
  async cancel(handle: JobHandle): Promise<void> {
    this.cancelled.push(handle.id);
    this.finish(handle.id, { state: 'cancelled', reason: 'cancelled' });
  }
  finish(id: string, status: JobStatus): void {
    if (!this.final.has(id)) this.final.set(id, status);
    this.waiters.get(id)?.();
  }
}

let executor: RunningExecutor | undefined;
let root: string | undefined;
afterEach(async () => {
  await executor?.stop('cancel');
  executor = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function start(client: FakeClient, backend: FakeBackend, extra: Partial<Parameters<typeof runExecutor>[0]> = {}): RunningExecutor {
  root = mkdtempSync(join(tmpdir(), 'pollinator-run-executor-'));
  executor = runExecutor({
    client: client,
    backend,
    fsDir: join(root, 'fs'),
    stateDir: join(root, 'state'),
    watchIntervalMs: 20,
    heartbeatIntervalMs: 100,
    assignBackoff: { initialMs: 20, maxMs: 80 },
    ...extra,
  });
  return executor;
}

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
    executor = undefined;

    const client2 = new FakeClient();
    const backend2 = new FakeBackend();
    client2.queue.push(makeProcess('p2'));
    const detached = start(client2, backend2);
    await until(() => backend2.started.length === 1, 'job started');
    await detached.stop('detach');
    executor = undefined;
    expect(client2.closed).toEqual([]);
    expect(backend2.cancelled).toEqual([]);
    const saved = readStateFile(join(root!, 'state', 'executor-state.json'));
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
    expect(() =>
      runExecutor({ client: client, backend, fsDir: join(root!, 'fs'), stateDir: join(root!, 'state') }),
    ).toThrow(/another executor \(pid \d+\) uses the state directory/);
    await first.stop();
    executor = undefined;
    const second = runExecutor({
      client: client,
      backend,
      fsDir: join(root!, 'fs'),
      stateDir: join(root!, 'state'),
      assignTimeoutSeconds: 1,
    });
    executor = second;
    await second.ready;
  });
});
