import { afterEach, describe, expect, it } from 'vitest';
import { addExecutor, addProcess, type EngineParts, engineParts } from './engine-parts.test-helpers';
import { type ExecutorRow, ProcessState } from './model';
import type { AssignRequest } from './scheduler';
import { RpcError } from './rpc-error';

let parts: EngineParts | undefined;
afterEach(() => parts?.close());

const EXECUTOR_ID = 'e'.repeat(64);

function executor(current: EngineParts): ExecutorRow {
  const row = current.statements.executors.byId(EXECUTOR_ID);
  if (!row) throw new Error('the test executor is missing');
  return row;
}

function request(current: EngineParts, timeoutSeconds: number): AssignRequest {
  return { colonyname: 'dev', executor: executor(current), availableCpu: -1, availableMem: -1n, timeoutSeconds };
}

/** The HTTP status `run` ends with: 200, or its RpcError's (thrown at once or from the promise). */
async function statusOf(run: () => unknown): Promise<number> {
  try {
    await run();
    return 200;
  } catch (error) {
    if (!RpcError.isInstance(error)) throw error;
    return error.status;
  }
}

describe('the scheduler', () => {
  it('assigns a waiting process at once, exactly once', async () => {
    parts = engineParts();
    addExecutor(parts, EXECUTOR_ID);
    addProcess(parts, 'p'.repeat(64));
    const reply = await parts.scheduler.assign(request(parts, -1));
    expect(JSON.parse(reply.json)).toMatchObject({ processid: 'p'.repeat(64), isassigned: true, state: ProcessState.RUNNING });
    expect(parts.statements.processes.get('p'.repeat(64))?.assignedexecutorid).toBe(EXECUTOR_ID);
    expect(await statusOf(() => parts?.scheduler.assign(request(parts, -1)))).toBe(404);
  });

  it('answers a waiting executor when a process is dispatched, and frees it when it is removed or goes away', async () => {
    parts = engineParts();
    addExecutor(parts, EXECUTOR_ID);
    const waiting = parts.scheduler.assign(request(parts, 60));
    addProcess(parts, 'p'.repeat(64));
    parts.scheduler.dispatch('dev');
    expect(JSON.parse((await waiting).json).processid).toBe('p'.repeat(64));

    const removed = parts.scheduler.assign(request(parts, 60));
    parts.scheduler.releaseExecutor(EXECUTOR_ID, 'dev');
    expect(await statusOf(() => removed)).toBe(403);

    const abandoned = parts.scheduler.assign(request(parts, 60));
    expect(abandoned).toBeInstanceOf(Promise);
    parts.scheduler.abandon(abandoned as Promise<never>);
    expect(await statusOf(() => abandoned)).toBe(404);
  });

  it('fails a process past its wait deadline, re-queues one past its execution deadline while it has retries', async () => {
    parts = engineParts();
    addExecutor(parts, EXECUTOR_ID);
    const { statements, clock, scheduler } = parts;
    addProcess(parts, 'w'.repeat(64), { waitdeadline: clock.now() + 1n, maxwaittime: 1 });
    addProcess(parts, 'r'.repeat(64), { maxexectime: 5, maxretries: 1, prioritytime: clock.now() - 1n });
    await scheduler.assign(request(parts, -1));
    clock.advance(6);
    scheduler.sweepDeadlines();
    const expiredWaiting = statements.processes.get('w'.repeat(64));
    expect(Number(expiredWaiting?.state)).toBe(ProcessState.FAILED);
    expect(expiredWaiting?.errors).toBe('["Maximum waiting time limit exceeded"]');
    const requeued = statements.processes.get('r'.repeat(64));
    expect([Number(requeued?.state), Number(requeued?.retries), requeued?.assignedexecutorid]).toEqual([ProcessState.WAITING, 1, '']);

    await scheduler.assign(request(parts, -1));
    clock.advance(6);
    scheduler.sweepDeadlines();
    const failed = statements.processes.get('r'.repeat(64));
    expect(Number(failed?.state)).toBe(ProcessState.FAILED);
    expect(failed?.errors).toBe('["Maximum execution time limit exceeded"]');
  });

  it('removes executors silent for longer than the stale duration, with their functions', () => {
    parts = engineParts(60);
    addExecutor(parts, EXECUTOR_ID);
    const { statements, clock, scheduler } = parts;
    statements.functions.insert('f'.repeat(64), 'dev', executor(parts).name, 'execute', '{}');
    statements.executors.heartbeat(EXECUTOR_ID, clock.now());
    clock.advance(59);
    scheduler.removeStaleExecutors();
    expect(statements.executors.byId(EXECUTOR_ID)).toBeDefined();
    clock.advance(2);
    scheduler.removeStaleExecutors();
    expect(statements.executors.byId(EXECUTOR_ID)).toBeUndefined();
    expect(statements.functions.bodies('dev', '')).toEqual([]);
  });
});
