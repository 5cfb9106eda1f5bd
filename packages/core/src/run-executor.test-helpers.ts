/**
 * Fakes for the runExecutor() tests: a client that hands out queued processes
 * and records closes, logs and attributes, and a backend whose jobs run until
 * `finish(processId, status)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Backend, JobHandle, JobRequest, JobStatus, LogChunk } from './backend';
import { runExecutor, type ExecutorClient, type ExecutorProcess, type RunningExecutor } from './run-executor';

export const EXECUTOR_ID = 'e'.repeat(64);

export interface AssignCall {
  timeout?: number;
  availableCpu?: string;
  availableMem?: string;
}

export function makeProcess(id: string, overrides: { funcname?: string; cpu?: string; mem?: string; maxexectime?: number } = {}): ExecutorProcess {
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

export class FakeClient {
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
export class FakeBackend implements Backend {
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

/** The executor and temporary root of the current test (stopped and removed after each). */
export const current: { executor: RunningExecutor | undefined; root: string | undefined } = { executor: undefined, root: undefined };
afterEach(async () => {
  await current.executor?.stop('cancel');
  current.executor = undefined;
  if (current.root) rmSync(current.root, { recursive: true, force: true });
  current.root = undefined;
});

export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function start(client: FakeClient, backend: FakeBackend, extra: Partial<Parameters<typeof runExecutor>[0]> = {}): RunningExecutor {
  const root = mkdtempSync(join(tmpdir(), 'pollinator-run-executor-'));
  current.root = root;
  current.executor = runExecutor({
    client: client,
    backend,
    fsDir: join(root, 'fs'),
    stateDir: join(root, 'state'),
    watchIntervalMs: 20,
    heartbeatIntervalMs: 100,
    assignBackoff: { initialMs: 20, maxMs: 80 },
    ...extra,
  });
  return current.executor;
}

