// Who runs what, and when it stops waiting: the assign queue and the
// executors waiting on it (long-poll), the wait and execution deadlines with
// their re-queue, and the removal of executors that went silent. Everything
// runs synchronously on the event loop, so an assignment is exactly-once
// without row locks; only a waiting assign returns a promise.
import { addSeconds, type NanoClock, type Nanos, SECOND } from './clock';
import { goJson } from './go-json';
import type { Logger } from './logger';
import { type ExecutorRow, ExecutorState, processJson, type ProcessRow, ProcessState } from './model';
import type { Authorization } from './authorization';
import type { ProcessEvents } from './process-events';
import type { RpcReply } from './rpc-reply';
import { REQUEST_LIMITS } from './request-limits';
import { notFound, notMember, RpcError, serverError } from './rpc-error';
import type { Statements } from './statements';

/** Unassignable stored processes one assign closes failed before it gives up for now. */
const MAX_UNASSIGNABLE_SKIPS = 100;

const NO_PROCESS = 'No process available for assignment';

/** One executor's request for work. */
export interface AssignRequest {
  colonyname: string;
  executor: ExecutorRow;
  /** Millicores available, -1 for unlimited. */
  availableCpu: number;
  /** Bytes available, -1 for unlimited. */
  availableMem: bigint;
  /** Seconds to wait for work; negative: answer at once. */
  timeoutSeconds: number;
}

interface Waiter {
  request: AssignRequest;
  resolve: (reply: RpcReply) => void;
  reject: (error: RpcError) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

export interface SchedulerOptions {
  statements: Statements;
  authorization: Authorization;
  events: ProcessEvents;
  clock: NanoClock;
  logger: Logger;
  /** Runs `work` in one SQLite transaction. */
  transaction: (work: () => void) => void;
  /** `COLONIES_STALE_EXECUTOR_DURATION` in seconds (0 disables stale-executor removal). */
  staleExecutorSeconds: number;
  /** Who a submit wakes (see `AssignWakeUp`; default `matching`). */
  assignWakeUp?: AssignWakeUp;
}

/**
 * Who a submitted process wakes among the executors waiting in an assign
 * long-poll. `matching`: every waiting executor gets a chance at once, so a
 * process reaches one it matches immediately. `one-per-submit`: what a real
 * v1.9.12 server does (colonies-protocol.md, errata 2026-12): each submit
 * wakes ONE waiting executor, round-robin, whether or not the process matches
 * it (`executornames`); one it was meant for gets it only when its own
 * long-poll ends and it asks again.
 */
export type AssignWakeUp = 'matching' | 'one-per-submit';

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #statements: Statements;
  readonly #waiters = new Set<Waiter>();
  readonly #waiterByReply = new WeakMap<Promise<RpcReply>, Waiter>();
  /** The round-robin position of `one-per-submit`. */
  #nextWoken = 0;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#statements = options.statements;
  }

  /** Gives the executor a process now, or waits for one up to its timeout (404 when none comes). */
  assign(request: AssignRequest): RpcReply | Promise<RpcReply> {
    if (this.#closed) throw notFound(NO_PROCESS);
    const paused = this.#options.authorization.colony(request.colonyname).paused === 1;
    if (paused && request.timeoutSeconds < 0) throw new RpcError(503, 'Colony assignments are paused');
    if (!paused) {
      const reply = this.#tryAssign(request.colonyname, request.executor, request);
      if (reply) return reply;
      if (request.timeoutSeconds < 0) throw notFound(NO_PROCESS);
    }
    return this.#park(request);
  }

  /** A process of this colony became WAITING: hand it out from a microtask, after the current reply. */
  dispatchSoon(colonyname: string): void {
    if (this.#options.assignWakeUp === 'one-per-submit') queueMicrotask(() => this.#wakeOne(colonyname));
    else queueMicrotask(() => this.#dispatchSafely(colonyname));
  }

  /** `one-per-submit`: the next waiting executor of the colony in turn tries; the others keep waiting. */
  #wakeOne(colonyname: string): void {
    const waiting = [...this.#waiters].filter((waiter) => !waiter.done && waiter.request.colonyname === colonyname);
    if (waiting.length === 0) return;
    const woken = waiting[this.#nextWoken++ % waiting.length]!;
    try {
      this.#offer(woken, colonyname);
    } catch (error) {
      this.#finish(woken, null, this.#internalError('assign dispatch failed', error));
    }
  }

  /** Gives one waiting executor a process it matches, if there is one (it keeps waiting otherwise). */
  #offer(waiter: Waiter, colonyname: string): void {
    const current = this.#statements.executors.byId(waiter.request.executor.executorid);
    if (!current || current.state !== ExecutorState.APPROVED) {
      this.#finish(waiter, null, notMember(colonyname));
      return;
    }
    if (this.#options.authorization.colony(colonyname).paused) return;
    const reply = this.#tryAssign(colonyname, current, waiter.request);
    if (reply) this.#finish(waiter, reply);
  }

  /**
   * A process of this colony became assignable: hand it to a waiting executor.
   * A failure answers only the waiter it happened for (500), never the others.
   */
  dispatch(colonyname: string): void {
    for (const waiter of this.#waiters) {
      if (waiter.done || waiter.request.colonyname !== colonyname) continue;
      try {
        this.#offer(waiter, colonyname);
      } catch (error) {
        this.#finish(waiter, null, this.#internalError('assign dispatch failed', error));
      }
    }
  }

  /** The colony is gone: its waiting executors get 404. */
  releaseColony(colonyname: string): void {
    for (const waiter of [...this.#waiters]) if (waiter.request.colonyname === colonyname) this.#finish(waiter, null);
  }

  /** The executor was removed: its waiting assigns get the not-a-member 403. */
  releaseExecutor(executorId: string, colonyname: string): void {
    for (const waiter of [...this.#waiters]) {
      if (waiter.request.executor.executorid === executorId) this.#finish(waiter, null, notMember(colonyname));
    }
  }

  /** The client of a waiting assign went away: stop waiting for it. */
  abandon(pending: Promise<RpcReply>): void {
    const waiter = this.#waiterByReply.get(pending);
    if (waiter) this.#finish(waiter, null);
  }

  /** Answers every waiting assign with 404 and refuses new work (graceful shutdown). */
  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) this.#finish(waiter, null);
  }

  /** maxwaittime / maxexectime expiry: fails or re-queues every process past its deadline. */
  sweepDeadlines(): void {
    if (this.#closed) return;
    const now = this.#options.clock.now();
    for (const processId of this.#statements.processes.expiredWaiting(now)) {
      this.#guarded('waiting deadline', processId, () => this.#closeFailed(processId, 'Maximum waiting time limit exceeded', now));
    }
    const requeued = new Set<string>();
    for (const processId of this.#statements.processes.expiredRunning(now)) {
      this.#guarded('execution deadline', processId, () => {
        const colonyname = this.#expireRunning(processId, now);
        if (colonyname !== undefined) requeued.add(colonyname);
      });
    }
    for (const colonyname of requeued) this.#dispatchSafely(colonyname);
  }

  /** Deletes executors silent for longer than the stale duration (§3.11). */
  removeStaleExecutors(): void {
    const { staleExecutorSeconds, clock, logger, transaction } = this.#options;
    if (staleExecutorSeconds <= 0) return;
    const limit = clock.now() - BigInt(staleExecutorSeconds) * SECOND;
    for (const executor of this.#statements.executors.staleSince(limit)) {
      transaction(() => {
        this.#statements.executors.remove(executor.executorid);
        this.#statements.functions.removeOfExecutor(executor.colonyname, executor.name);
      });
      logger.info('removed stale executor', { colony: executor.colonyname, executor: executor.name });
    }
  }

  /** A running process past its execution deadline: re-queued while it has retries left, else failed. Returns the colony when re-queued. */
  #expireRunning(processId: string, now: Nanos): string | undefined {
    const row = this.#statements.processes.get(processId);
    if (!row) return undefined;
    const maxRetries = Number(row.maxretries);
    if (maxRetries > -1 && Number(row.retries) >= maxRetries) {
      this.#closeFailed(processId, 'Maximum execution time limit exceeded', now);
      return undefined;
    }
    this.#options.transaction(() => {
      this.#statements.processes.requeue(processId, now);
      this.#statements.attributes.setStates(processId, ProcessState.WAITING);
    });
    this.#options.events.emit(processId);
    return row.colonyname;
  }

  /** Closes a process FAILED with one error, and tells subscribers. */
  #closeFailed(processId: string, reason: string, now: Nanos): void {
    this.#options.transaction(() => {
      this.#statements.processes.transition(processId, ProcessState.FAILED, now);
      this.#statements.processes.closeFailed(processId, now, JSON.stringify([reason]));
    });
    this.#options.events.emit(processId);
  }

  /**
   * Tries to give `executor` a process; returns the reply or null.
   * Synchronous: exactly-once. A stored process that cannot be assigned (one
   * written before today's limits, or a damaged row) is closed FAILED with the
   * reason and skipped, so it can never block the queue or fail every assign.
   */
  #tryAssign(colonyname: string, executor: ExecutorRow, available: Pick<AssignRequest, 'availableCpu' | 'availableMem'>): RpcReply | null {
    for (let skipped = 0; skipped <= MAX_UNASSIGNABLE_SKIPS; skipped++) {
      const row = this.#statements.processes.match({
        colonyname,
        executortype: executor.type,
        executorname: executor.name,
        locationname: executor.locationname,
        cpu: available.availableCpu,
        mem: available.availableMem,
      });
      if (!row) return null;
      try {
        return this.#assignProcess(row, executor);
      } catch (error) {
        this.#failUnassignable(row.processid, error);
      }
    }
    return null;
  }

  #assignProcess(row: ProcessRow, executor: ExecutorRow): RpcReply {
    if (row.maxexectime > BigInt(REQUEST_LIMITS.durationSeconds)) {
      throw new Error(
        `maxexectime ${row.maxexectime} s is above the limit of ${REQUEST_LIMITS.durationSeconds} s (the process was stored before the limit existed)`,
      );
    }
    const now = this.#options.clock.now();
    const execDeadline = row.maxexectime > 0n ? addSeconds(now, row.maxexectime) : 0n;
    // The Go server answers with the attributes as they were before the assignment.
    const attributesBefore = this.#statements.attributes.ofTarget(row.processid);
    this.#options.transaction(() => {
      this.#statements.processes.assign(row.processid, executor.executorid, now, execDeadline);
      this.#statements.attributes.setStates(row.processid, ProcessState.RUNNING);
    });
    const assigned = this.#statements.processes.get(row.processid);
    if (!assigned) throw new Error(`process ${row.processid} vanished while it was assigned`);
    const json = goJson(processJson(assigned, attributesBefore, { startTimePrecision: 9, execDeadline: row.execdeadline }), true);
    this.#options.events.emit(row.processid);
    return { payloadtype: 'assignprocessmsg', json };
  }

  /** Closes a process the server cannot hand out FAILED, with the reason in its errors. */
  #failUnassignable(processId: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#options.logger.error('process cannot be assigned, closing it failed', { processid: processId, error: reason });
    this.#closeFailed(processId, `The dev-server cannot assign this process: ${reason}`, this.#options.clock.now());
  }

  #park(request: AssignRequest): Promise<RpcReply> {
    const waiter: Waiter = { request, resolve: () => {}, reject: () => {}, done: false, timer: undefined };
    // The executor runs synchronously: the waiter has its real callbacks before anything can finish it.
    const promise = new Promise<RpcReply>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    waiter.timer = setTimeout(() => this.#timeOut(waiter), request.timeoutSeconds * 1000);
    this.#waiters.add(waiter);
    this.#waiterByReply.set(promise, waiter);
    return promise;
  }

  /** A waiting assign's time is up: 404, or 408 while the colony's assignments are paused. */
  #timeOut(waiter: Waiter): void {
    const colonyname = waiter.request.colonyname;
    try {
      const stillPaused = this.#statements.colonies.get(colonyname)?.paused === 1;
      this.#finish(waiter, null, stillPaused ? new RpcError(408, 'Colony assignments are paused, timeout') : undefined);
    } catch (error) {
      this.#finish(waiter, null, this.#internalError('assign timeout failed', error));
    }
  }

  #finish(waiter: Waiter, reply: RpcReply | null, error?: RpcError): void {
    if (waiter.done) return;
    waiter.done = true;
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
    if (reply) waiter.resolve(reply);
    else waiter.reject(error ?? notFound(NO_PROCESS));
  }

  /** `dispatch` from a microtask or timer, where a throw would end the whole process. */
  #dispatchSafely(colonyname: string): void {
    try {
      this.dispatch(colonyname);
    } catch (error) {
      this.#internalError('assign dispatch failed', error);
    }
  }

  /** Runs one process's part of a sweep: a failure is logged and skips only that process. */
  #guarded(what: string, processId: string, step: () => void): void {
    try {
      step();
    } catch (error) {
      this.#options.logger.error(`${what} check failed`, { processid: processId, error: String(error) });
    }
  }

  /** Logs an unexpected error and returns the 500 for the one request it belongs to. */
  #internalError(what: string, error: unknown): RpcError {
    const message = error instanceof Error ? error.message : String(error);
    this.#options.logger.error(what, { error: error instanceof Error ? (error.stack ?? message) : message });
    return serverError(`internal error: ${message}`);
  }
}
