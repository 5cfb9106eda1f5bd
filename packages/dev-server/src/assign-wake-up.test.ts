/**
 * `assignWakeUp`: by default a submit reaches a waiting executor it matches at
 * once; `one-per-submit` reproduces the real v1.9.12 server, which wakes one
 * waiting executor round-robin whatever the spec's `executornames`, so a
 * process targeted at B waits while A was the one woken, until B asks again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { addExecutor, addProcess, type EngineParts, engineParts } from './engine-parts.test-helpers';
import { createLogger } from './logger';
import { ProcessState, type ExecutorRow } from './model';
import type { RpcReply } from './rpc-reply';
import { type AssignWakeUp, Scheduler } from './scheduler';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const TARGETED = 'p'.repeat(64);

let parts: EngineParts | undefined;
let scheduler: Scheduler | undefined;
afterEach(() => {
  scheduler?.close();
  parts?.close();
});

function setup(assignWakeUp?: AssignWakeUp): { parts: EngineParts; scheduler: Scheduler; row: (id: string) => ExecutorRow } {
  parts = engineParts();
  const current = parts;
  scheduler = new Scheduler({
    statements: current.statements,
    authorization: current.authorization,
    events: current.events,
    clock: current.clock,
    logger: createLogger('silent'),
    transaction: (work) => work(),
    staleExecutorSeconds: 0,
    ...(assignWakeUp === undefined ? {} : { assignWakeUp }),
  });
  addExecutor(current, A);
  addExecutor(current, B);
  const row = (id: string): ExecutorRow => current.statements.executors.byId(id)!;
  return { parts: current, scheduler, row };
}

/** A long-poll of `executor` (its promise, parked in the scheduler). */
function waitFor(current: Scheduler, executor: ExecutorRow): Promise<RpcReply> {
  const pending = current.assign({ colonyname: 'dev', executor, availableCpu: -1, availableMem: -1n, timeoutSeconds: 60 });
  expect(pending).toBeInstanceOf(Promise);
  return pending as Promise<RpcReply>;
}

/** Lets the scheduler's queued dispatch run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('assign wake-up', () => {
  it('matching (default): the process targeted at B reaches B at once, though A waited first', async () => {
    const { parts: current, scheduler: server, row } = setup();
    const a = waitFor(server, row(A));
    const b = waitFor(server, row(B));
    addProcess(current, TARGETED, { executornames: JSON.stringify([row(B).name]) });
    server.dispatchSoon('dev');
    expect(JSON.parse((await b).json)).toMatchObject({ processid: TARGETED, assignedexecutorid: B });
    server.abandon(a);
    await expect(a).rejects.toMatchObject({ status: 404 });
  });

  it('one-per-submit: A is woken, B keeps waiting, and B gets the process only when it asks again', async () => {
    const { parts: current, scheduler: server, row } = setup('one-per-submit');
    const a = waitFor(server, row(A));
    const b = waitFor(server, row(B));
    addProcess(current, TARGETED, { executornames: JSON.stringify([row(B).name]) });
    server.dispatchSoon('dev');
    await settle();
    expect(Number(current.statements.processes.get(TARGETED)?.state)).toBe(ProcessState.WAITING);
    // B's long-poll ends empty (as its timeout would end it); its next assign finds the process.
    server.abandon(b);
    await expect(b).rejects.toMatchObject({ status: 404 });
    const again = server.assign({ colonyname: 'dev', executor: row(B), availableCpu: -1, availableMem: -1n, timeoutSeconds: 60 });
    expect(JSON.parse((await again).json)).toMatchObject({ processid: TARGETED, assignedexecutorid: B });
    server.abandon(a);
    await expect(a).rejects.toMatchObject({ status: 404 });
  });

  it('one-per-submit: submits wake the waiting executors in turn', async () => {
    const { parts: current, scheduler: server, row } = setup('one-per-submit');
    const a = waitFor(server, row(A));
    const b = waitFor(server, row(B));
    addProcess(current, TARGETED, { executornames: JSON.stringify([row(B).name]) });
    server.dispatchSoon('dev'); // wakes A: nothing for it
    await settle();
    server.dispatchSoon('dev'); // wakes B: its process
    expect(JSON.parse((await b).json)).toMatchObject({ processid: TARGETED, assignedexecutorid: B });
    server.abandon(a);
    await expect(a).rejects.toMatchObject({ status: 404 });
  });
});
