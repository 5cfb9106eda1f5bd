// The engine's parts on an in-memory store with a clock the test moves: for
// unit tests of the scheduler and the authorization checks.
import { Authorization } from './authorization';
import { NanoClock, type Nanos, SECOND } from './clock';
import { createLogger } from './logger';
import { ExecutorState } from './model';
import { ProcessEvents } from './process-events';
import type { NewProcess } from './process-statements';
import { Scheduler } from './scheduler';
import { prepareStatements, type Statements } from './statements';
import { openStore } from './store';

/** A clock that only moves when told to. */
export class ManualClock extends NanoClock {
  current: Nanos = 1_700_000_000n * SECOND;

  override now(): Nanos {
    return this.current;
  }

  advance(seconds: number): void {
    this.current += BigInt(seconds) * SECOND;
  }
}

export const SERVER_ID = 's'.repeat(64);
export const COLONY_OWNER = 'c'.repeat(64);
export const USER_ID = 'u'.repeat(64);

export interface EngineParts {
  statements: Statements;
  authorization: Authorization;
  scheduler: Scheduler;
  events: ProcessEvents;
  clock: ManualClock;
  close(): void;
}

/** A store with colony `dev` (owner COLONY_OWNER) and user USER_ID in it. */
export function engineParts(staleExecutorSeconds = 0): EngineParts {
  const db = openStore(':memory:');
  const statements = prepareStatements(db);
  const clock = new ManualClock();
  const logger = createLogger('silent');
  const authorization = new Authorization(statements, SERVER_ID);
  const events = new ProcessEvents(statements, logger);
  const transaction = (work: () => void): void => db.transaction(work)();
  const scheduler = new Scheduler({ statements, authorization, events, clock, logger, transaction, staleExecutorSeconds });
  statements.colonies.insert('dev', COLONY_OWNER);
  statements.users.insert({ colonyname: 'dev', name: 'alice', userid: USER_ID, email: '', phone: '' });
  return {
    statements,
    authorization,
    scheduler,
    events,
    clock,
    close: () => {
      scheduler.close();
      db.close();
    },
  };
}

export function addExecutor(parts: EngineParts, executorId: string, state: number = ExecutorState.APPROVED, colonyname = 'dev'): void {
  parts.statements.executors.insert({
    executorid: executorId,
    colonyname,
    name: `executor-${executorId.slice(0, 4)}`,
    type: 'worker',
    state,
    locationname: '',
    commissiontime: parts.clock.now(),
    body: '{}',
  });
}

/** Stores a WAITING process for executors of type `worker`. */
export function addProcess(parts: EngineParts, processId: string, extra: Partial<NewProcess> = {}): void {
  const now = parts.clock.now();
  parts.statements.processes.insert({
    processid: processId,
    colonyname: 'dev',
    executortype: 'worker',
    executornames: 'null',
    locationname: '',
    label: '',
    initiatorid: USER_ID,
    initiatorname: 'alice',
    prioritytime: now,
    submissiontime: now,
    waitdeadline: 0n,
    maxretries: 0,
    maxexectime: -1,
    maxwaittime: -1,
    cpu: 0,
    mem: 0n,
    storage: 0n,
    nodes: 0,
    procs: 0,
    ppn: 0,
    spec: JSON.stringify({ funcname: 'execute', env: {} }),
    ...extra,
  });
}
