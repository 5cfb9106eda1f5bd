// The Colonies message handlers: authorisation (§3.1), processes and their
// state machine (§3.4–3.9), logs, attributes, executors, functions and the CFS
// metadata (§4.1–4.2), on top of the SQLite store. Every handler runs
// synchronously from start to reply, so two requests never interleave: this
// is what makes assignment exactly-once without row locks. Only an assign
// that has to wait (long-poll) returns a promise.
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { sha3Hex } from '@pollinator/crypto';
import { addSeconds, formatTime, type NanoClock, type Nanos, SECOND } from './clock';
import { goJson, parseRequestJson, sortMapKeys } from './go-json';
import { exceedsJsonDepth } from './json-depth';
import {
  arr,
  bool,
  boundedInt,
  int,
  int64,
  InvalidJsonError,
  type JsonObject,
  obj,
  str,
  strArr,
} from './json-reader';
import type { Logger } from './logger';
import {
  AttributeType,
  type AttributeRow,
  executorJson,
  type ExecutorRow,
  ExecutorState,
  normaliseAllocations,
  normaliseCapabilities,
  normaliseSpec,
  processJson,
  type ProcessRow,
  ProcessState,
} from './model';
import { takeWithinBudget } from './reply-budget';
import { LOG_REPLY_BUDGET_BYTES, REQUEST_LIMITS } from './request-limits';
import { parseCpu, parseMemory } from './resources';
import {
  badRequest,
  forbidden,
  notFound,
  notMember,
  RpcError,
  serverError,
  unknownColony,
} from './rpc-error';

/** A reply payload: the JSON text that goes base64-encoded into the envelope. */
export interface RpcReply {
  payloadtype: string;
  json: string;
}

export type HandlerResult = RpcReply | Promise<RpcReply>;

/** A process changed state (or was closed again): what `/pubsub` pushes. */
export interface ProcessEvent {
  processid: string;
  colonyname: string;
  executortype: string;
  state: number;
  /** Pretty-printed process JSON, as the websocket frame payload. */
  json: string;
}

export interface EngineOptions {
  db: Database.Database;
  clock: NanoClock;
  serverId: string;
  logger: Logger;
  /** `COLONIES_ALLOW_EXECUTOR_REREGISTER`: adding an existing executor name replaces it. */
  allowExecutorReregister: boolean;
  /** `COLONIES_STALE_EXECUTOR_DURATION` in seconds (0 disables stale-executor removal). */
  staleExecutorSeconds: number;
  serverInfo: () => { host: string; port: number };
  buildVersion: string;
  buildTime: string;
}

interface Waiter {
  colonyname: string;
  executor: ExecutorRow;
  availableCpu: number; // -1 = unlimited
  availableMem: bigint; // -1 = unlimited
  resolve: (reply: RpcReply) => void;
  reject: (error: RpcError) => void;
  timer: NodeJS.Timeout;
  done: boolean;
}

/** The context a handler gets: who signed, and the decoded payload. */
interface Call {
  signer: string;
  msg: JsonObject;
}

type Handler = (call: Call) => HandlerResult;

const EMPTY = '{}';
const MAX_LOG_COUNT = 500;
const MAX_PROCESS_COUNT = 100;
const MAX_INT8 = 127;
/** Unassignable stored processes one assign closes failed before it gives up for now. */
const MAX_UNASSIGNABLE_SKIPS = 100;

/** Descriptions used in "Failed to <what>, invalid JSON" messages. */
const WHAT: Record<string, string> = {
  getcolonymsg: 'get colony',
  addcolonymsg: 'add colony',
  addexecutormsg: 'add executor',
  submitfuncspecmsg: 'submit function spec',
  assignprocessmsg: 'assign process',
  getprocessmsg: 'get process',
  getprocessesmsg: 'get processes',
  subscribeprocessmsg: 'subscribe to process',
  subscribeprocessesmsg: 'subscribe to processes',
};

/** "submit function spec", as in the Go server's "Failed to <what>, invalid JSON". */
function describe(payloadtype: string): string {
  return WHAT[payloadtype] ?? payloadtype.replace(/msg$/, '');
}

function randomId(): string {
  return sha3Hex(randomUUID());
}

export class ColoniesEngine {
  readonly #db: Database.Database;
  readonly #clock: NanoClock;
  readonly #options: EngineOptions;
  readonly #handlers = new Map<string, Handler>();
  readonly #waiters = new Set<Waiter>();
  readonly #waiterByReply = new WeakMap<Promise<RpcReply>, Waiter>();
  readonly #statements: Record<string, Database.Statement>;
  #lastLogTimestamp: Nanos;
  #listeners: ((event: ProcessEvent) => void)[] = [];
  #interested: (processid: string, colonyname: string, executortype: string, state: number) => boolean = () => true;
  #mayBeInterested: (processid: string) => boolean = () => true;
  #closed = false;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#db = options.db;
    this.#clock = options.clock;
    this.#statements = this.#prepare();
    const last = (this.#db.prepare('SELECT MAX(timestamp) AS t FROM logs').safeIntegers(true).get() as { t: bigint | null })
      .t;
    this.#lastLogTimestamp = last ?? 0n;
    this.#registerHandlers();
  }

  /** Called after every committed process state change. */
  onProcessEvent(listener: (event: ProcessEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Lets the subscriber side say whether an event would reach anyone (saves building it). */
  setEventFilter(
    interested: (processid: string, colonyname: string, executortype: string, state: number) => boolean,
    mayBeInterested: (processid: string) => boolean = () => true,
  ): void {
    this.#interested = interested;
    this.#mayBeInterested = mayBeInterested;
  }

  has(payloadtype: string): boolean {
    return this.#handlers.has(payloadtype);
  }

  /**
   * Handles one signed message. Throws `RpcError` for error replies: a field
   * of the wrong type or out of its documented range is a 400 naming the
   * field, for every message (InvalidJsonError is mapped here, once).
   */
  handle(payloadtype: string, payloadText: string, signer: string): HandlerResult {
    const handler = this.#handlers.get(payloadtype);
    if (!handler) throw forbidden(`invalid rpcMsg.PayloadType: ${payloadtype}`);
    const msg = this.decode(payloadtype, payloadText);
    try {
      return handler({ signer, msg });
    } catch (error) {
      if (error instanceof InvalidJsonError) throw badRequest(`Failed to ${describe(payloadtype)}, invalid JSON: ${error.message}`);
      throw error;
    }
  }

  /** The client of a waiting assign went away: stop waiting for it. */
  abandon(pending: Promise<RpcReply>): void {
    const waiter = this.#waiterByReply.get(pending);
    if (waiter) this.#finishWaiter(waiter, null);
  }

  /** Decodes a payload as the message's Go struct would (400 on failure). */
  decode(payloadtype: string, payloadText: string): JsonObject {
    const what = describe(payloadtype);
    let msg: unknown;
    try {
      msg = JSON.parse(payloadText) as unknown;
    } catch {
      throw badRequest(`Failed to ${what}, invalid JSON`);
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) throw badRequest(`Failed to ${what}, invalid JSON`);
    if (exceedsJsonDepth(msg, REQUEST_LIMITS.jsonDepth)) {
      throw badRequest(`Failed to ${what}, invalid JSON: nested deeper than ${REQUEST_LIMITS.jsonDepth} levels`);
    }
    // Again, with `since` read exactly: its reviver recurses, so only once the depth is known to be small.
    if (payloadText.includes('"since"')) msg = parseRequestJson(payloadText);
    const record = msg as JsonObject;
    if (record.msgtype !== payloadtype) throw badRequest(`Failed to ${what}, msg.MsgType does not match payloadType`);
    return record;
  }

  /** Answers every waiting assign with 404 and refuses new work (graceful shutdown). */
  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) this.#finishWaiter(waiter, null);
  }

  // ---------------------------------------------------------------- statements

  #prepare(): Record<string, Database.Statement> {
    const db = this.#db;
    const big = (sql: string): Database.Statement => db.prepare(sql).safeIntegers(true);
    return {
      colony: db.prepare('SELECT name, colonyid, paused FROM colonies WHERE name = ?'),
      colonies: db.prepare('SELECT name, colonyid FROM colonies ORDER BY rowid'),
      insertColony: db.prepare('INSERT INTO colonies (name, colonyid) VALUES (?, ?)'),
      setPaused: db.prepare('UPDATE colonies SET paused = ? WHERE name = ?'),
      user: db.prepare('SELECT * FROM users WHERE colonyname = ? AND userid = ?'),
      userByName: db.prepare('SELECT * FROM users WHERE colonyname = ? AND name = ?'),
      users: db.prepare('SELECT * FROM users WHERE colonyname = ? ORDER BY rowid'),
      insertUser: db.prepare('INSERT INTO users (colonyname, name, userid, email, phone) VALUES (?, ?, ?, ?, ?)'),
      deleteUser: db.prepare('DELETE FROM users WHERE colonyname = ? AND name = ?'),
      executor: big('SELECT * FROM executors WHERE executorid = ?'),
      executorByName: big('SELECT * FROM executors WHERE colonyname = ? AND name = ?'),
      executors: big('SELECT * FROM executors WHERE colonyname = ? ORDER BY rowid'),
      insertExecutor: db.prepare(
        'INSERT INTO executors (executorid, colonyname, name, type, state, locationname, commissiontime, lastheard, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteExecutor: db.prepare('DELETE FROM executors WHERE executorid = ?'),
      setExecutorState: db.prepare('UPDATE executors SET state = ? WHERE executorid = ?'),
      heartbeat: db.prepare('UPDATE executors SET lastheard = ? WHERE executorid = ?'),
      updateExecutorBody: db.prepare('UPDATE executors SET body = ? WHERE executorid = ?'),
      staleExecutors: big('SELECT executorid, colonyname, name FROM executors WHERE lastheard > 0 AND lastheard < ?'),
      insertFunction: db.prepare(
        'INSERT OR REPLACE INTO functions (functionid, colonyname, executorname, funcname, body) VALUES (?, ?, ?, ?, ?)',
      ),
      functionsByExecutor: db.prepare('SELECT body FROM functions WHERE colonyname = ? AND executorname = ? ORDER BY rowid'),
      functionsByColony: db.prepare('SELECT body FROM functions WHERE colonyname = ? ORDER BY rowid'),
      deleteFunctions: db.prepare('DELETE FROM functions WHERE colonyname = ? AND executorname = ?'),
      insertProcess: db.prepare(`INSERT INTO processes (processid, colonyname, executortype, executornames, locationname,
        label, state, isassigned, assignedexecutorid, initiatorid, initiatorname, prioritytime, submissiontime, starttime,
        endtime, waitdeadline, execdeadline, retries, maxretries, maxexectime, maxwaittime, cpu, mem, storage, nodes,
        procs, ppn, spec, input, output, errors)
        VALUES (@processid, @colonyname, @executortype, @executornames, @locationname, @label, 0, 0, '', @initiatorid,
        @initiatorname, @prioritytime, @submissiontime, 0, 0, @waitdeadline, 0, 0, @maxretries, @maxexectime,
        @maxwaittime, @cpu, @mem, @storage, @nodes, @procs, @ppn, @spec, '[]', '[]', '[]')`),
      process: big('SELECT * FROM processes WHERE processid = ?'),
      matchProcess: big(`SELECT * FROM processes
        WHERE colonyname = @colonyname AND state = 0 AND isassigned = 0 AND executortype = @executortype
          AND (executornames IN ('null', '[]') OR EXISTS (SELECT 1 FROM json_each(processes.executornames) WHERE value = @executorname))
          AND (locationname = '' OR lower(locationname) = lower(@locationname))
          AND nodes <= ${MAX_INT8} AND procs <= ${MAX_INT8} AND ppn <= ${MAX_INT8}
          AND storage <= 0
          AND (@cpu < 0 OR cpu <= @cpu) AND (@mem < 0 OR mem <= @mem)
        ORDER BY prioritytime, rowid LIMIT 1`),
      assign: db.prepare(
        'UPDATE processes SET state = 1, isassigned = 1, assignedexecutorid = ?, starttime = ?, execdeadline = ? WHERE processid = ? AND state = 0',
      ),
      setProcessState: db.prepare('UPDATE processes SET state = ?, endtime = ? WHERE processid = ?'),
      closeSuccessful: db.prepare('UPDATE processes SET state = 2, endtime = ? WHERE processid = ?'),
      closeSuccessfulOut: db.prepare('UPDATE processes SET state = 2, endtime = ?, output = ? WHERE processid = ?'),
      closeFailed: db.prepare('UPDATE processes SET state = 3, endtime = ?, errors = ? WHERE processid = ?'),
      requeue: db.prepare(
        "UPDATE processes SET state = 0, isassigned = 0, assignedexecutorid = '', endtime = ?, retries = retries + 1 WHERE processid = ?",
      ),
      setOutput: db.prepare('UPDATE processes SET output = ? WHERE processid = ?'),
      deleteProcess: db.prepare('DELETE FROM processes WHERE processid = ?'),
      expiredWaiting: big(
        'SELECT processid FROM processes WHERE state = 0 AND waitdeadline > 0 AND waitdeadline <= ? ORDER BY waitdeadline',
      ),
      expiredRunning: big(
        'SELECT processid FROM processes WHERE state = 1 AND maxexectime >= 0 AND execdeadline <= ? ORDER BY execdeadline',
      ),
      attributes: big('SELECT * FROM attributes WHERE targetid = ? ORDER BY seq'),
      attribute: big('SELECT * FROM attributes WHERE attributeid = ?'),
      insertAttribute: db.prepare(`INSERT INTO attributes (attributeid, targetid, colonyname, state, type, key, value)
        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (attributeid) DO UPDATE SET value = excluded.value, state = excluded.state`),
      setAttributeStates: db.prepare('UPDATE attributes SET state = ? WHERE targetid = ?'),
      deleteAttributes: db.prepare('DELETE FROM attributes WHERE targetid = ?'),
      insertLog: db.prepare(
        'INSERT INTO logs (processid, colonyname, executorname, message, timestamp) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteLogs: db.prepare('DELETE FROM logs WHERE processid = ?'),
      insertFile: db.prepare(`INSERT INTO files (fileid, colonyname, label, name, size, checksum, checksumalg, ref, added)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      fileById: big('SELECT * FROM files WHERE fileid = ? AND colonyname = ?'),
      fileRevisions: big('SELECT * FROM files WHERE colonyname = ? AND label = ? AND name = ? ORDER BY sequencenr DESC'),
      latestFilesInLabel: big(`SELECT f.* FROM files f WHERE f.colonyname = ? AND f.label = ?
        AND f.sequencenr = (SELECT MAX(g.sequencenr) FROM files g WHERE g.colonyname = f.colonyname AND g.label = f.label AND g.name = f.name)
        ORDER BY f.sequencenr`),
      latestFilesInTree: big(`SELECT f.fileid FROM files f WHERE f.colonyname = @colony AND (f.label = @label OR substr(f.label, 1, length(@label) + 1) = @label || '/')
        AND f.sequencenr = (SELECT MAX(g.sequencenr) FROM files g WHERE g.colonyname = f.colonyname AND g.label = f.label AND g.name = f.name)
        ORDER BY f.sequencenr`),
      labels: db.prepare('SELECT label AS name, COUNT(*) AS files FROM files WHERE colonyname = ? GROUP BY label ORDER BY label'),
      deleteFileById: db.prepare('DELETE FROM files WHERE fileid = ? AND colonyname = ?'),
      deleteFileByName: db.prepare('DELETE FROM files WHERE colonyname = ? AND label = ? AND name = ?'),
      insertSnapshot: db.prepare(
        'INSERT INTO snapshots (snapshotid, colonyname, name, label, fileids, added) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      snapshotById: big('SELECT * FROM snapshots WHERE colonyname = ? AND snapshotid = ?'),
      snapshotByName: big('SELECT * FROM snapshots WHERE colonyname = ? AND name = ?'),
      snapshots: big('SELECT * FROM snapshots WHERE colonyname = ? ORDER BY added DESC, rowid DESC'),
      deleteSnapshotById: db.prepare('DELETE FROM snapshots WHERE colonyname = ? AND snapshotid = ?'),
      deleteSnapshotByName: db.prepare('DELETE FROM snapshots WHERE colonyname = ? AND name = ?'),
      deleteSnapshots: db.prepare('DELETE FROM snapshots WHERE colonyname = ?'),
    };
  }

  // ------------------------------------------------------------ authorisation

  #colony(name: string): { name: string; colonyid: string; paused: number } {
    const colony = this.#statements.colony!.get(name) as { name: string; colonyid: string; paused: number } | undefined;
    if (!colony) throw unknownColony(name);
    return colony;
  }

  #requireServerOwner(signer: string): void {
    if (signer !== this.#options.serverId) throw forbidden('Access denied, not server owner');
  }

  #requireColonyOwner(signer: string, colonyName: string): void {
    const colony = this.#colony(colonyName);
    if (colony.colonyid !== signer) throw forbidden('Access denied, not colony owner');
  }

  /** Users and approved executors of the colony (`pendingOk`: executors in any state but UNREGISTERED... or PENDING). */
  #requireMember(signer: string, colonyName: string, pendingOk = false): void {
    this.#colony(colonyName);
    if (this.#statements.user!.get(colonyName, signer)) return;
    const executor = this.#statements.executor!.get(signer) as ExecutorRow | undefined;
    if (executor && executor.colonyname === colonyName) {
      const state = Number(executor.state);
      if (state === ExecutorState.APPROVED) return;
      if (pendingOk && state === ExecutorState.PENDING) return;
    }
    throw notMember(colonyName);
  }

  #memberName(signer: string, colonyName: string): string {
    const user = this.#statements.user!.get(colonyName, signer) as { name: string } | undefined;
    if (user) return user.name;
    const executor = this.#statements.executor!.get(signer) as ExecutorRow | undefined;
    return executor?.name ?? '';
  }

  // ---------------------------------------------------------------- processes

  #process(processId: string): ProcessRow | undefined {
    return this.#statements.process!.get(processId) as ProcessRow | undefined;
  }

  #attributes(processId: string): AttributeRow[] {
    return this.#statements.attributes!.all(processId) as AttributeRow[];
  }

  #processJson(row: ProcessRow, options?: Parameters<typeof processJson>[2]): JsonObject {
    return processJson(row, this.#attributes(row.processid), options);
  }

  /** Tells subscribers; called after a commit, so it never throws into the request that committed. */
  #emit(processId: string): void {
    if (this.#listeners.length === 0 || !this.#mayBeInterested(processId)) return;
    let event: ProcessEvent;
    try {
      const row = this.#process(processId);
      if (!row || !this.#interested(row.processid, row.colonyname, row.executortype, Number(row.state))) return;
      event = {
        processid: row.processid,
        colonyname: row.colonyname,
        executortype: row.executortype,
        state: Number(row.state),
        json: goJson(this.#processJson(row), true),
      };
    } catch (error) {
      this.#options.logger.error('process event failed', { processid: processId, error: String(error) });
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#options.logger.error('process event listener failed', { error: String(error) });
      }
    }
  }

  /** Sets a process state, its attributes' states and end time (one transaction). */
  #transition(processId: string, state: number, now: Nanos): void {
    this.#statements.setProcessState!.run(state, now, processId);
    this.#statements.setAttributeStates!.run(state, processId);
  }

  #processForMember(signer: string, processId: string): ProcessRow {
    const row = this.#process(processId);
    if (!row) throw notFound('Failed to get process, process not found');
    this.#requireMember(signer, row.colonyname);
    return row;
  }

  /**
   * Tries to give `executor` a process; returns the reply or null.
   * Synchronous: exactly-once. A stored process that cannot be assigned (one
   * written before today's limits, or a damaged row) is closed FAILED with the
   * reason and skipped, so it can never block the queue or fail every assign.
   */
  #tryAssign(
    colonyname: string,
    executor: ExecutorRow,
    availableCpu: number,
    availableMem: bigint,
  ): RpcReply | null {
    for (let skipped = 0; skipped <= MAX_UNASSIGNABLE_SKIPS; skipped++) {
      const row = this.#statements.matchProcess!.get({
        colonyname,
        executortype: executor.type,
        executorname: executor.name,
        locationname: executor.locationname,
        cpu: availableCpu,
        mem: availableMem,
      }) as ProcessRow | undefined;
      if (!row) return null;
      try {
        return this.#assign(row, executor);
      } catch (error) {
        this.#failUnassignable(row.processid, error);
      }
    }
    return null;
  }

  #assign(row: ProcessRow, executor: ExecutorRow): RpcReply {
    if (row.maxexectime > BigInt(REQUEST_LIMITS.durationSeconds)) {
      throw new Error(
        `maxexectime ${row.maxexectime} s is above the limit of ${REQUEST_LIMITS.durationSeconds} s (the process was stored before the limit existed)`,
      );
    }
    const now = this.#clock.now();
    const execDeadline = row.maxexectime > 0n ? addSeconds(now, row.maxexectime) : 0n;
    const previousDeadline = row.execdeadline;
    // The Go server answers with the attributes as they were before the assignment.
    const attributesBefore = this.#attributes(row.processid);
    this.#db.transaction(() => {
      this.#statements.assign!.run(executor.executorid, now, execDeadline, row.processid);
      this.#statements.setAttributeStates!.run(ProcessState.RUNNING, row.processid);
    })();
    const assigned = this.#process(row.processid)!;
    const json = goJson(
      processJson(assigned, attributesBefore, { startTimePrecision: 9, execDeadline: previousDeadline }),
      true,
    );
    this.#emit(row.processid);
    return { payloadtype: 'assignprocessmsg', json };
  }

  /** Closes a process the server cannot hand out FAILED, with the reason in its errors. */
  #failUnassignable(processId: string, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.#options.logger.error('process cannot be assigned, closing it failed', { processid: processId, error: reason });
    const now = this.#clock.now();
    this.#db.transaction(() => {
      this.#transition(processId, ProcessState.FAILED, now);
      this.#statements.closeFailed!.run(now, JSON.stringify([`The dev-server cannot assign this process: ${reason}`]), processId);
    })();
    this.#emit(processId);
  }

  /**
   * A process of this colony became WAITING: hand it to a waiting executor.
   * A failure answers only the waiter it happened for (500), never the others.
   */
  #dispatch(colonyname: string): void {
    for (const waiter of this.#waiters) {
      if (waiter.done || waiter.colonyname !== colonyname) continue;
      try {
        const current = this.#statements.executor!.get(waiter.executor.executorid) as ExecutorRow | undefined;
        if (!current || Number(current.state) !== ExecutorState.APPROVED) {
          this.#finishWaiter(waiter, null, notMember(colonyname));
          continue;
        }
        if (this.#colony(colonyname).paused) continue;
        const reply = this.#tryAssign(colonyname, current, waiter.availableCpu, waiter.availableMem);
        if (reply) this.#finishWaiter(waiter, reply);
      } catch (error) {
        this.#finishWaiter(waiter, null, this.#internalError('assign dispatch failed', error));
      }
    }
  }

  /** `#dispatch` from a microtask or timer, where a throw would end the whole process. */
  #dispatchSafely(colonyname: string): void {
    try {
      this.#dispatch(colonyname);
    } catch (error) {
      this.#internalError('assign dispatch failed', error);
    }
  }

  /** Logs an unexpected error and returns the 500 for the one request it belongs to. */
  #internalError(what: string, error: unknown): RpcError {
    const message = error instanceof Error ? error.message : String(error);
    this.#options.logger.error(what, { error: error instanceof Error ? (error.stack ?? message) : message });
    return serverError(`internal error: ${message}`);
  }

  #finishWaiter(waiter: Waiter, reply: RpcReply | null, error?: RpcError): void {
    if (waiter.done) return;
    waiter.done = true;
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
    if (reply) waiter.resolve(reply);
    else waiter.reject(error ?? notFound('No process available for assignment'));
  }

  /** maxwaittime / maxexectime expiry; returns the earliest pending deadline (for the timer). */
  sweepDeadlines(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    const expiredWaiting = this.#statements.expiredWaiting!.all(now) as { processid: string }[];
    for (const { processid } of expiredWaiting) {
      this.#guarded('waiting deadline', processid, () => {
        this.#db.transaction(() => {
          this.#transition(processid, ProcessState.FAILED, now);
          this.#statements.closeFailed!.run(now, JSON.stringify(['Maximum waiting time limit exceeded']), processid);
        })();
        this.#emit(processid);
      });
    }
    const expiredRunning = this.#statements.expiredRunning!.all(now) as { processid: string }[];
    const requeued = new Set<string>();
    for (const { processid } of expiredRunning) {
      this.#guarded('execution deadline', processid, () => {
        const row = this.#process(processid);
        if (!row) return;
        const maxRetries = Number(row.maxretries);
        if (maxRetries > -1 && Number(row.retries) >= maxRetries) {
          this.#db.transaction(() => {
            this.#transition(processid, ProcessState.FAILED, now);
            this.#statements.closeFailed!.run(now, JSON.stringify(['Maximum execution time limit exceeded']), processid);
          })();
        } else {
          this.#db.transaction(() => {
            this.#statements.requeue!.run(now, processid);
            this.#statements.setAttributeStates!.run(ProcessState.WAITING, processid);
          })();
          requeued.add(row.colonyname);
        }
        this.#emit(processid);
      });
    }
    for (const colonyname of requeued) this.#dispatchSafely(colonyname);
  }

  /** Runs one process's part of a sweep: a failure is logged and skips only that process. */
  #guarded(what: string, processId: string, step: () => void): void {
    try {
      step();
    } catch (error) {
      this.#options.logger.error(`${what} check failed`, { processid: processId, error: String(error) });
    }
  }

  /** Deletes executors silent for longer than the stale duration (§3.11). */
  removeStaleExecutors(): void {
    if (this.#options.staleExecutorSeconds <= 0) return;
    const limit = this.#clock.now() - BigInt(this.#options.staleExecutorSeconds) * SECOND;
    const stale = this.#statements.staleExecutors!.all(limit) as { executorid: string; colonyname: string; name: string }[];
    for (const executor of stale) {
      this.#db.transaction(() => {
        this.#statements.deleteExecutor!.run(executor.executorid);
        this.#statements.deleteFunctions!.run(executor.colonyname, executor.name);
      })();
      this.#options.logger.info('removed stale executor', { colony: executor.colonyname, executor: executor.name });
    }
  }

  /** Subscription support: the process as pretty JSON, checking the signer may see it. */
  subscribeProcess(signer: string, msg: JsonObject): { processid: string; state: number; current?: ProcessEvent } {
    const processId = str(msg, 'processid');
    const state = int(msg, 'state');
    const row = this.#process(processId);
    if (!row) throw forbidden(`Invalid process with Id ${processId}`);
    // Stricter than v1.9.12, which checks no membership here (README: "Deliberate differences").
    this.#requireMember(signer, row.colonyname);
    const current: ProcessEvent = {
      processid: row.processid,
      colonyname: row.colonyname,
      executortype: row.executortype,
      state: Number(row.state),
      json: goJson(this.#processJson(row), true),
    };
    return { processid: processId, state, current };
  }

  /** `subscribeprocessesmsg` is executor-only (v1.9.12: "executor not found" for users). */
  subscribeProcesses(signer: string, msg: JsonObject): { colonyname: string; executortype: string; state: number } {
    const colonyname = str(msg, 'colonyname');
    const executor = this.#statements.executor!.get(signer) as ExecutorRow | undefined;
    if (!executor) throw forbidden('executor not found');
    this.#requireMember(signer, colonyname);
    return { colonyname, executortype: str(msg, 'executortype') || executor.type, state: int(msg, 'state') };
  }

  // ----------------------------------------------------------------- handlers

  #registerHandlers(): void {
    const on = (name: string, handler: Handler): void => {
      this.#handlers.set(name, handler);
    };
    const ok = (payloadtype: string, value: unknown = null, pretty = false): RpcReply => ({
      payloadtype,
      json: value === null ? EMPTY : goJson(value, pretty),
    });
    const list = (payloadtype: string, values: unknown[], pretty = false): RpcReply => ({
      payloadtype,
      json: values.length === 0 ? 'null' : goJson(values, pretty),
    });
    const s = this.#statements;
    const o = this.#options;

    // Server
    on('versionmsg', () => ok('versionmsg', { buildversion: o.buildVersion, buildtime: o.buildTime, msgtype: 'versionmsg' }));
    on('getserverinfomsg', () => {
      const { host, port } = o.serverInfo();
      return ok('getserverinfomsg', {
        buildversion: o.buildVersion,
        buildtime: o.buildTime,
        backends: [{ type: 'http', port, host }],
      });
    });

    // Colonies
    on('addcolonymsg', ({ signer, msg }) => {
      this.#requireServerOwner(signer);
      const colony = obj(msg, 'colony');
      const colonyId = str(colony, 'colonyid');
      const name = str(colony, 'name');
      if (!/^[0-9a-fA-F]{64}$/.test(colonyId)) throw badRequest('Failed to add colony, invalid colony Id length');
      checkName(name, 'colony');
      if (s.colony!.get(name)) throw badRequest(`A Colony with name <${name}> already exists`);
      s.insertColony!.run(name, colonyId.toLowerCase());
      return ok('addcolonymsg', { colonyid: colonyId.toLowerCase(), name });
    });
    on('removecolonymsg', ({ signer, msg }) => {
      this.#requireServerOwner(signer);
      const name = str(msg, 'colonyname');
      if (!s.colony!.get(name)) throw badRequest(`Colony with name <${name}> not found`);
      this.#db.transaction(() => {
        for (const table of ['users', 'executors', 'functions', 'logs', 'files', 'snapshots']) {
          this.#db.prepare(`DELETE FROM ${table} WHERE colonyname = ?`).run(name);
        }
        this.#db.prepare('DELETE FROM attributes WHERE colonyname = ?').run(name);
        this.#db.prepare('DELETE FROM processes WHERE colonyname = ?').run(name);
        this.#db.prepare('DELETE FROM colonies WHERE name = ?').run(name);
      })();
      for (const waiter of [...this.#waiters]) if (waiter.colonyname === name) this.#finishWaiter(waiter, null);
      return ok('removecolonymsg');
    });
    on('getcoloniesmsg', ({ signer }) => {
      this.#requireServerOwner(signer);
      return list('getcoloniesmsg', s.colonies!.all());
    });
    on('getcolonymsg', ({ signer, msg }) => {
      const name = str(msg, 'colonyname');
      this.#requireMember(signer, name);
      const colony = this.#colony(name);
      return ok('getcolonymsg', { colonyid: colony.colonyid, name: colony.name });
    });
    on('getcolonystatsmsg', ({ signer, msg }) => {
      const name = str(msg, 'colonyname');
      this.#requireMember(signer, name);
      const count = (sql: string, ...params: unknown[]): number =>
        (this.#db.prepare(sql).get(...params) as { n: number }).n;
      const processes = (state: number): number =>
        count('SELECT COUNT(*) AS n FROM processes WHERE colonyname = ? AND state = ?', name, state);
      return ok('getcolonystatsmsg', {
        colonies: 1,
        executors: count('SELECT COUNT(*) AS n FROM executors WHERE colonyname = ? AND state != 3', name),
        activeexecutors: count('SELECT COUNT(*) AS n FROM executors WHERE colonyname = ? AND state = 1', name),
        unregisteredexecutors: count('SELECT COUNT(*) AS n FROM executors WHERE colonyname = ? AND state = 3', name),
        waitingprocesses: processes(0),
        runningprocesses: processes(1),
        successfulprocesses: processes(2),
        failedprocesses: processes(3),
        cancelledprocesses: processes(4),
        waitingworkflows: 0,
        runningworkflows: 0,
        successfulworkflows: 0,
        failedworkflows: 0,
        cancelledworkflows: 0,
      });
    });
    on('pauseassignmentsmsg', ({ signer, msg }) => {
      const name = str(msg, 'colonyname');
      this.#requireColonyOwner(signer, name);
      s.setPaused!.run(1, name);
      return ok('pauseassignmentsmsg');
    });
    on('resumeassignmentsmsg', ({ signer, msg }) => {
      const name = str(msg, 'colonyname');
      this.#requireColonyOwner(signer, name);
      s.setPaused!.run(0, name);
      this.#dispatch(name);
      return ok('resumeassignmentsmsg');
    });
    on('getpausestatusmsg', ({ signer, msg }) => {
      const name = str(msg, 'colonyname');
      this.#requireMember(signer, name);
      return ok('pausestatusreplymsg', { colonyname: name, ispaused: this.#colony(name).paused === 1 });
    });

    // Users
    on('addusermsg', ({ signer, msg }) => {
      const user = obj(msg, 'user');
      const colonyname = str(user, 'colonyname');
      this.#requireColonyOwner(signer, colonyname);
      const name = str(user, 'name');
      const userId = str(user, 'userid').toLowerCase();
      checkName(name, 'user');
      if (!/^[0-9a-f]{64}$/.test(userId)) throw badRequest('Failed to add user, invalid user Id length');
      if (s.userByName!.get(colonyname, name)) throw badRequest(`A user with name <${name}> already exists in Colony <${colonyname}>`);
      const record = { colonyname, userid: userId, name, email: str(user, 'email'), phone: str(user, 'phone') };
      s.insertUser!.run(colonyname, name, userId, record.email, record.phone);
      return ok('addusermsg', record);
    });
    on('getusersmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      return list('getusersmsg', (s.users!.all(colonyname) as Record<string, string>[]).map(userJson));
    });
    on('getusermsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const user = s.userByName!.get(colonyname, str(msg, 'name')) as Record<string, string> | undefined;
      if (!user) throw serverError('Failed to get user, user not found');
      return ok('getusermsg', userJson(user));
    });
    on('removeusermsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireColonyOwner(signer, colonyname);
      const name = str(msg, 'name');
      if (!s.userByName!.get(colonyname, name)) throw serverError('Failed to remove user, user not found');
      s.deleteUser!.run(colonyname, name);
      return ok('removeusermsg');
    });

    // Executors
    on('addexecutormsg', ({ signer, msg }) => {
      const executor = obj(msg, 'executor');
      const capabilities = normaliseCapabilities(obj(executor, 'capabilities'));
      const allocations = normaliseAllocations(obj(executor, 'allocations'));
      const colonyname = str(executor, 'colonyname');
      this.#requireColonyOwner(signer, colonyname);
      const executorId = str(executor, 'executorid').toLowerCase();
      const name = str(executor, 'executorname');
      if (!/^[0-9a-f]{64}$/.test(executorId)) throw badRequest('Failed to add executor, invalid executor Id length');
      checkName(name, 'executor');
      const sameName = s.executorByName!.get(colonyname, name) as ExecutorRow | undefined;
      const sameId = s.executor!.get(executorId) as ExecutorRow | undefined;
      if (sameId && sameId.colonyname !== colonyname) throw badRequest('Failed to add executor, executor Id already in use');
      if (sameName && Number(sameName.state) !== ExecutorState.UNREGISTERED && sameName.executorid !== executorId) {
        if (!o.allowExecutorReregister) {
          throw badRequest(`Executor with name <${name}> already exists in Colony <${colonyname}>`);
        }
      }
      if (sameId && Number(sameId.state) !== ExecutorState.UNREGISTERED && !o.allowExecutorReregister) {
        throw badRequest(`Executor with Id <${executorId}> already exists`);
      }
      const now = this.#clock.now();
      const body = {
        requirefuncreg: bool(executor, 'requirefuncreg'),
        capabilities,
        allocations,
        blueprintid: str(executor, 'blueprintid'),
        blueprintgen: int(executor, 'blueprintgen'),
      };
      this.#db.transaction(() => {
        if (sameName) {
          s.deleteExecutor!.run(sameName.executorid);
          if (sameName.executorid !== executorId) s.deleteFunctions!.run(colonyname, name);
        }
        if (sameId) s.deleteExecutor!.run(executorId);
        s.insertExecutor!.run(
          executorId,
          colonyname,
          name,
          str(executor, 'executortype'),
          ExecutorState.PENDING,
          str(executor, 'locationname'),
          now,
          0n,
          JSON.stringify(body),
        );
      })();
      return ok('addexecutormsg', executorJson(s.executor!.get(executorId) as ExecutorRow));
    });
    const setExecutorState = (payloadtype: string, verb: string, state: number) => {
      on(payloadtype, ({ signer, msg }) => {
        const colonyname = str(msg, 'colonyname');
        this.#requireColonyOwner(signer, colonyname);
        const executor = s.executorByName!.get(colonyname, str(msg, 'executorname')) as ExecutorRow | undefined;
        if (!executor) throw serverError(`Failed to ${verb} executor, executor is nil`);
        if (state === ExecutorState.UNREGISTERED) {
          this.#db.transaction(() => {
            s.setExecutorState!.run(state, executor.executorid);
            s.deleteFunctions!.run(colonyname, executor.name);
          })();
          for (const waiter of [...this.#waiters]) {
            if (waiter.executor.executorid === executor.executorid) this.#finishWaiter(waiter, null, notMember(colonyname));
          }
        } else {
          s.setExecutorState!.run(state, executor.executorid);
          if (state === ExecutorState.APPROVED) this.#dispatch(colonyname);
        }
        return ok(payloadtype);
      });
    };
    setExecutorState('approveexecutormsg', 'approve', ExecutorState.APPROVED);
    setExecutorState('rejectexecutormsg', 'reject', ExecutorState.REJECTED);
    setExecutorState('removeexecutormsg', 'remove', ExecutorState.UNREGISTERED);
    on('getexecutormsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const executor = s.executorByName!.get(colonyname, str(msg, 'executorname')) as ExecutorRow | undefined;
      if (!executor) throw serverError('Failed to get executor, executor is nil');
      return ok('getexecutormsg', executorJson(executor));
    });
    on('getexecutorbyidmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const executor = s.executor!.get(str(msg, 'executorid')) as ExecutorRow | undefined;
      if (!executor || executor.colonyname !== colonyname) throw serverError('Failed to get executor, executor is nil');
      return ok('getexecutorbyidmsg', executorJson(executor));
    });
    on('getexecutorsmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname, true);
      return list('getexecutorsmsg', (s.executors!.all(colonyname) as ExecutorRow[]).map(executorJson));
    });
    on('updateexecutormsg', ({ signer, msg }) => {
      const capabilities = normaliseCapabilities(obj(msg, 'capabilities'));
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname, true);
      const executor = s.executorByName!.get(colonyname, str(msg, 'executorname')) as ExecutorRow | undefined;
      if (!executor) throw serverError('Failed to update executor, executor is nil');
      if (executor.executorid !== signer) throw forbidden('Not allowed to update another executor');
      const body = JSON.parse(executor.body) as JsonObject;
      body.capabilities = capabilities;
      s.updateExecutorBody!.run(JSON.stringify(body), executor.executorid);
      return ok('updateexecutormsg');
    });

    // Functions
    on('addfunctionmsg', ({ signer, msg }) => {
      const fun = obj(msg, 'fun');
      const colonyname = str(fun, 'colonyname');
      this.#requireMember(signer, colonyname);
      const executor = s.executor!.get(signer) as ExecutorRow | undefined;
      if (!executor) throw serverError('Failed to add function, executor not found');
      if (executor.name !== str(fun, 'executorname')) throw forbidden('Not allowed to add a function to another executor');
      const description = str(fun, 'description');
      const args = arr(fun, 'args');
      const locationName = str(fun, 'locationname');
      const record: JsonObject = {
        functionid: str(fun, 'functionid') || randomId(),
        executorname: executor.name,
        executortype: str(fun, 'executortype'),
        colonyname,
        funcname: str(fun, 'funcname'),
        ...(description ? { description } : {}),
        ...(args && args.length > 0 ? { args } : {}),
        counter: 0,
        minwaittime: 0,
        maxwaittime: 0,
        minexectime: 0,
        maxexectime: 0,
        avgwaittime: 0,
        avgexectime: 0,
        ...(locationName ? { locationname: locationName } : {}),
      };
      s.insertFunction!.run(record.functionid, colonyname, executor.name, record.funcname, JSON.stringify(record));
      return ok('addfunctionmsg', record);
    });
    on('getfunctionsmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const executorName = str(msg, 'executorname');
      const rows = (
        executorName
          ? s.functionsByExecutor!.all(colonyname, executorName)
          : s.functionsByColony!.all(colonyname)
      ) as { body: string }[];
      return list('getfunctionsmsg', rows.map((row) => JSON.parse(row.body) as unknown));
    });
    on('removefunctionmsg', ({ signer, msg }) => {
      const functionId = str(msg, 'functionid');
      const row = this.#db.prepare('SELECT * FROM functions WHERE functionid = ?').get(functionId) as
        | { colonyname: string; executorname: string }
        | undefined;
      if (!row) throw serverError('Failed to remove function, function not found');
      this.#requireMember(signer, row.colonyname);
      const executor = s.executor!.get(signer) as ExecutorRow | undefined;
      if (!executor || executor.name !== row.executorname) throw forbidden('Not allowed to remove function');
      this.#db.prepare('DELETE FROM functions WHERE functionid = ?').run(functionId);
      return ok('removefunctionmsg');
    });

    // Processes
    on('submitfuncspecmsg', ({ signer, msg }) => {
      const spec = normaliseSpec(obj(msg, 'spec'));
      this.#requireMember(signer, spec.colonyName);
      const now = this.#clock.now();
      const processId = randomId();
      this.#db.transaction(() => {
        s.insertProcess!.run({
          processid: processId,
          colonyname: spec.colonyName,
          executortype: spec.executorType,
          executornames: JSON.stringify(spec.executorNames),
          locationname: spec.locationName,
          label: spec.label,
          initiatorid: signer,
          initiatorname: this.#memberName(signer, spec.colonyName),
          prioritytime: now - BigInt(spec.priority) * 86_400n * SECOND,
          submissiontime: now,
          waitdeadline: spec.maxWaitTime > 0 ? addSeconds(now, spec.maxWaitTime) : 0n,
          maxretries: spec.maxRetries,
          maxexectime: spec.maxExecTime,
          maxwaittime: spec.maxWaitTime,
          cpu: spec.cpu,
          mem: spec.mem,
          storage: spec.storage,
          nodes: spec.nodes,
          procs: spec.processes,
          ppn: spec.processesPerNode,
          spec: JSON.stringify(spec.spec),
        });
        for (const [key, value] of Object.entries(spec.env)) {
          s.insertAttribute!.run(
            attributeId(processId, key, AttributeType.ENV),
            processId,
            spec.colonyName,
            ProcessState.WAITING,
            AttributeType.ENV,
            key,
            value,
          );
        }
      })();
      const row = this.#process(processId)!;
      const reply = ok('submitfuncspecmsg', this.#processJson(row), true);
      this.#emit(processId);
      // The reply is produced first; the dispatch below runs in the same tick,
      // so a waiting executor hears about the process within microseconds.
      queueMicrotask(() => this.#dispatchSafely(spec.colonyName));
      return reply;
    });
    on('getprocessmsg', ({ signer, msg }) => {
      const row = this.#processForMember(signer, str(msg, 'processid'));
      return ok('getprocessmsg', this.#processJson(row), true);
    });
    on('getprocessesmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      const count = int(msg, 'count');
      const state = int(msg, 'state');
      this.#requireMember(signer, colonyname);
      if (count > MAX_PROCESS_COUNT) throw badRequest(`Count is larger than MaxCount limit <${MAX_PROCESS_COUNT}>`);
      if (state < 0 || state > 4) throw badRequest('Failed to get processes, invalid msg.State');
      if (count <= 0) return list('getprocessesmsg', []);
      const executorType = str(msg, 'executortype');
      const initiator = str(msg, 'initiator');
      const label = str(msg, 'label');
      let filter = '';
      const params: unknown[] = [colonyname, state];
      if (executorType) {
        filter = 'AND executortype = ?';
        params.push(executorType);
      } else if (initiator) {
        filter = 'AND initiatorname = ?';
        params.push(initiator);
      } else if (label) {
        filter = 'AND label = ?';
        params.push(label);
      }
      const order = state <= 1 ? 'prioritytime ASC, rowid ASC' : 'endtime DESC, rowid DESC';
      params.push(count);
      const rows = this.#db
        .prepare(`SELECT * FROM processes WHERE colonyname = ? AND state = ? ${filter} ORDER BY ${order} LIMIT ?`)
        .safeIntegers(true)
        .all(...params) as ProcessRow[];
      return list(
        'getprocessesmsg',
        rows.map((row) => this.#processJson(row)),
        true,
      );
    });
    on('assignprocessmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      const timeout = boundedInt(msg, 'timeout', Number.MIN_SAFE_INTEGER, REQUEST_LIMITS.timeoutSeconds);
      if (timeout === 0) throw badRequest('Invalid timeout value, timeout cannot be zero');
      const availableCpuText = str(msg, 'availablecpu');
      const availableMemText = str(msg, 'availablemem');
      this.#requireMember(signer, colonyname);
      const executor = s.executor!.get(signer) as ExecutorRow | undefined;
      if (!executor) throw serverError('Failed to assign process, executor not found');
      s.heartbeat!.run(this.#clock.now(), executor.executorid);
      const availableCpu = availableCpuText === '' ? -1 : parseCpu(availableCpuText, 'availablecpu');
      const availableMem = availableMemText === '' ? -1n : parseMemory(availableMemText, 'availablemem');
      if (this.#closed) throw notFound('No process available for assignment');
      const paused = this.#colony(colonyname).paused === 1;
      if (paused && timeout < 0) throw new RpcError(503, 'Colony assignments are paused');
      if (!paused) {
        const reply = this.#tryAssign(colonyname, executor, availableCpu, availableMem);
        if (reply) return reply;
        if (timeout < 0) throw notFound('No process available for assignment');
      }
      let parked: Waiter | undefined;
      const pending = new Promise<RpcReply>((resolve, reject) => {
        const waiter: Waiter = {
          colonyname,
          executor,
          availableCpu,
          availableMem,
          resolve,
          reject,
          done: false,
          timer: setTimeout(() => {
            try {
              const stillPaused = s.colony!.get(colonyname) && this.#colony(colonyname).paused === 1;
              this.#finishWaiter(
                waiter,
                null,
                stillPaused ? new RpcError(408, 'Colony assignments are paused, timeout') : undefined,
              );
            } catch (error) {
              this.#finishWaiter(waiter, null, this.#internalError('assign timeout failed', error));
            }
          }, timeout * 1000),
        };
        this.#waiters.add(waiter);
        parked = waiter;
      });
      this.#waiterByReply.set(pending, parked!);
      return pending;
    });
    const assignedRunningProcess = (
      signer: string,
      processId: string,
      notRunning: string,
      notAllowed: string,
    ): ProcessRow => {
      const row = this.#processForMember(signer, processId);
      if (Number(row.state) !== ProcessState.RUNNING) throw forbidden(notRunning);
      if (row.assignedexecutorid !== signer) throw forbidden(notAllowed);
      return row;
    };
    on('closesuccessfulmsg', ({ signer, msg }) => {
      const processId = str(msg, 'processid');
      const out = arr(msg, 'out');
      const row = this.#processForMember(signer, processId);
      if (row.isassigned === 0n) throw forbidden('Failed to close process as successful, process is not assigned');
      if (row.assignedexecutorid !== signer) {
        throw forbidden('Failed to close process as successful, not allowed to close process as successful');
      }
      const state = Number(row.state);
      if (state === ProcessState.FAILED) throw badRequest('Tried to set failed process as successful');
      if (state === ProcessState.CANCELLED) throw badRequest('Tried to set cancelled process as successful');
      const now = this.#clock.now();
      this.#db.transaction(() => {
        this.#transition(processId, ProcessState.SUCCESS, now);
        if (out && out.length > 0) s.closeSuccessfulOut!.run(now, goJson(sortMapKeys(out)), processId);
      })();
      this.#emit(processId);
      return ok('closesuccessfulmsg');
    });
    on('closefailedmsg', ({ signer, msg }) => {
      const processId = str(msg, 'processid');
      const errors = strArr(msg, 'errors') ?? [];
      const row = this.#processForMember(signer, processId);
      if (row.isassigned === 0n) throw forbidden('Failed to close process as failed, process is not assigned');
      if (row.assignedexecutorid !== signer) {
        throw forbidden('Failed to close process as failed, not allowed to close process as failed');
      }
      const state = Number(row.state);
      if (state === ProcessState.SUCCESS) throw badRequest('Tried to set successful process as failed');
      if (state === ProcessState.FAILED) throw badRequest('Tried to set failed process as failed');
      if (state === ProcessState.CANCELLED) throw badRequest('Tried to set cancelled process as failed');
      const now = this.#clock.now();
      this.#db.transaction(() => {
        this.#transition(processId, ProcessState.FAILED, now);
        s.closeFailed!.run(now, JSON.stringify(errors), processId);
      })();
      this.#emit(processId);
      return ok('closefailedmsg');
    });
    on('setoutputmsg', ({ signer, msg }) => {
      const processId = str(msg, 'processid');
      const out = arr(msg, 'out') ?? [];
      assignedRunningProcess(
        signer,
        processId,
        'Failed to set output, process is not running',
        'Failed to set output, not allowed to set output',
      );
      s.setOutput!.run(goJson(sortMapKeys(out)), processId);
      return ok('setoutputmsg');
    });
    on('cancelprocessmsg', ({ signer, msg }) => {
      const processId = str(msg, 'processid');
      const row = this.#processForMember(signer, processId);
      const state = Number(row.state);
      if (state === ProcessState.CANCELLED) throw badRequest('Tried to cancel already cancelled process');
      if (state === ProcessState.FAILED) throw badRequest('Tried to cancel failed process');
      if (state === ProcessState.SUCCESS) throw badRequest('Tried to cancel successful process');
      this.#db.transaction(() => this.#transition(processId, ProcessState.CANCELLED, this.#clock.now()))();
      this.#emit(processId);
      return ok('cancelprocessmsg');
    });
    on('removeprocessmsg', ({ signer, msg }) => {
      const processId = str(msg, 'processid');
      const row = this.#processForMember(signer, processId);
      if (Number(row.state) === ProcessState.RUNNING) {
        throw badRequest('Failed to remove process, cannot remove a running process');
      }
      this.#db.transaction(() => {
        s.deleteProcess!.run(processId);
        s.deleteAttributes!.run(processId);
        s.deleteLogs!.run(processId);
      })();
      return ok('removeprocessmsg');
    });
    on('removeallprocessesmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      const state = int(msg, 'state');
      this.#requireColonyOwner(signer, colonyname);
      if (state === ProcessState.RUNNING) throw badRequest('Failed to remove processes, cannot remove running processes');
      const condition = state === -1 ? 'state != 1' : 'state = ?';
      const params = state === -1 ? [colonyname] : [colonyname, state];
      this.#db.transaction(() => {
        const ids = this.#db
          .prepare(`SELECT processid FROM processes WHERE colonyname = ? AND ${condition}`)
          .all(...params) as { processid: string }[];
        for (const { processid } of ids) {
          s.deleteProcess!.run(processid);
          s.deleteAttributes!.run(processid);
          s.deleteLogs!.run(processid);
        }
      })();
      return ok('removeallprocessesmsg');
    });

    // Attributes
    on('addattributemsg', ({ signer, msg }) => {
      const attribute = obj(msg, 'attribute');
      const processId = str(attribute, 'targetid');
      const type = int(attribute, 'attributetype');
      const key = str(attribute, 'key');
      const value = str(attribute, 'value');
      const row = assignedRunningProcess(
        signer,
        processId,
        'Failed to add attribute, process is not running',
        'Failed to add attribute, not allowed to add attribute',
      );
      if (type < 0 || type > 3) throw badRequest('Failed to add attribute, invalid attribute type');
      const id = attributeId(processId, key, type);
      s.insertAttribute!.run(id, processId, row.colonyname, int(attribute, 'state'), type, key, value);
      return ok('addattributemsg', {
        attributeid: id,
        targetid: processId,
        targetcolonyname: row.colonyname,
        targetprocessgraphid: '',
        state: int(attribute, 'state'),
        attributetype: type,
        key,
        value,
      });
    });
    on('getattributemsg', ({ signer, msg }) => {
      const attribute = s.attribute!.get(str(msg, 'attributeid')) as AttributeRow | undefined;
      if (!attribute) throw badRequest('Attribute does not exists');
      this.#requireMember(signer, attribute.colonyname);
      return ok('getattributemsg', {
        attributeid: attribute.attributeid,
        targetid: attribute.targetid,
        targetcolonyname: attribute.colonyname,
        targetprocessgraphid: '',
        state: Number(attribute.state),
        attributetype: Number(attribute.type),
        key: attribute.key,
        value: attribute.value,
      });
    });

    // Logs
    on('addlogmsg', ({ signer, msg }) => {
      const processId = str(msg, 'processid');
      const message = str(msg, 'message');
      const row = assignedRunningProcess(
        signer,
        processId,
        'Failed to set output, process is not running',
        'Failed to add log, not allowed to add log, only the assigned Executor may att logs',
      );
      const executor = s.executor!.get(signer) as ExecutorRow;
      this.#lastLogTimestamp = this.#clock.next(this.#lastLogTimestamp);
      s.insertLog!.run(processId, row.colonyname, executor.name, message, this.#lastLogTimestamp);
      return ok('addlogmsg');
    });
    on('addexecutorlogmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const executor = s.executor!.get(signer) as ExecutorRow | undefined;
      if (!executor) throw serverError('Failed to add executor log, executor not found');
      if (executor.name !== str(msg, 'executorname')) throw forbidden('Not allowed to add logs for another executor');
      this.#lastLogTimestamp = this.#clock.next(this.#lastLogTimestamp);
      s.insertLog!.run('', colonyname, executor.name, str(msg, 'message'), this.#lastLogTimestamp);
      return ok('addexecutorlogmsg');
    });
    on('getlogsmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      const processId = str(msg, 'processid');
      const executorName = str(msg, 'executorname');
      const count = int(msg, 'count');
      const since = int64(msg, 'since');
      const latest = bool(msg, 'latest');
      this.#requireMember(signer, colonyname);
      if (count > MAX_LOG_COUNT) throw forbidden(`Count exceeds max log count (${MAX_LOG_COUNT})`);
      let where: string;
      let key: unknown[];
      if (executorName) {
        where = 'colonyname = ? AND executorname = ?';
        key = [colonyname, executorName];
      } else {
        const row = this.#process(processId);
        if (!row || row.colonyname !== colonyname) throw serverError('Failed to get logs, process does not exist');
        where = 'processid = ?';
        key = [processId];
      }
      if (count <= 0) return list('getlogsmsg', []);
      // Bounded by bytes too (LOG_REPLY_BUDGET_BYTES): fewer than `count`
      // entries when the messages are huge; `latest` keeps the newest.
      const query = (sql: string, ...params: unknown[]): LogRow[] =>
        takeWithinBudget(
          this.#db.prepare(sql).safeIntegers(true).iterate(...params) as IterableIterator<LogRow>,
          LOG_REPLY_BUDGET_BYTES,
          encodedLogSize,
        );
      let rows: LogRow[];
      if (latest) {
        rows = query(`SELECT * FROM logs WHERE ${where} ORDER BY timestamp DESC LIMIT ?`, ...key, count).reverse();
      } else if (since > 0n) {
        rows = query(`SELECT * FROM logs WHERE ${where} AND timestamp > ? ORDER BY timestamp LIMIT ?`, ...key, since, count);
      } else {
        rows = query(`SELECT * FROM logs WHERE ${where} ORDER BY timestamp LIMIT ?`, ...key, count);
      }
      return list('getlogsmsg', rows.map(logJson));
    });
    on('searchlogsmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      const text = str(msg, 'text');
      const days = int(msg, 'days');
      const count = int(msg, 'count');
      this.#requireMember(signer, colonyname);
      if (days > 30) throw badRequest('Failed to search logs, days cannot be larger than 30');
      if (count > 100) throw badRequest('Failed to search logs, count cannot be larger than 100');
      const after = this.#clock.now() - BigInt(Math.max(days, 0)) * 86_400n * SECOND;
      const rows = takeWithinBudget(
        this.#db
          .prepare(
            'SELECT * FROM logs WHERE colonyname = ? AND timestamp > ? AND instr(message, ?) > 0 ORDER BY timestamp LIMIT ?',
          )
          .safeIntegers(true)
          .iterate(colonyname, after, text, Math.max(count, 0)) as IterableIterator<LogRow>,
        LOG_REPLY_BUDGET_BYTES,
        encodedLogSize,
      );
      return list('searchlogsmsg', rows.map(logJson));
    });

    // CFS
    on('addfilemsg', ({ signer, msg }) => {
      const file = obj(msg, 'file');
      const colonyname = str(file, 'colonyname');
      this.#requireMember(signer, colonyname);
      const ref = normaliseRef(obj(file, 'ref'));
      const fileId = randomId();
      const now = this.#clock.now();
      const info = s.insertFile!.run(
        fileId,
        colonyname,
        str(file, 'label'),
        str(file, 'name'),
        int(file, 'size'),
        str(file, 'checksum'),
        str(file, 'checksumalg'),
        JSON.stringify(ref),
        now,
      );
      const row = this.#db.prepare('SELECT * FROM files WHERE sequencenr = ?').safeIntegers(true).get(info.lastInsertRowid) as FileRow;
      return ok('addfilemsg', fileJson(row));
    });
    on('getfilesmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const rows = s.latestFilesInLabel!.all(colonyname, str(msg, 'label')) as FileRow[];
      return ok(
        'getfilesmsg',
        rows.map((row) => ({
          name: row.name,
          checksum: row.checksum,
          size: Number(row.size),
          s3filename: (JSON.parse(row.ref) as { s3object: { object: string } }).s3object.object,
        })),
      );
    });
    on('getfilemsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const fileId = str(msg, 'fileid');
      if (fileId) {
        const row = s.fileById!.get(fileId, colonyname) as FileRow | undefined;
        if (!row) throw badRequest('Failed to get file');
        return ok('getfilemsg', [fileJson(row)]);
      }
      const rows = s.fileRevisions!.all(colonyname, str(msg, 'label'), str(msg, 'name')) as FileRow[];
      if (rows.length === 0) throw notFound('Failed to get file');
      return ok('getfilemsg', (bool(msg, 'latest') ? rows.slice(0, 1) : rows).map(fileJson));
    });
    on('getfilelabelsmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      const name = str(msg, 'name');
      const exact = bool(msg, 'exact');
      this.#requireMember(signer, colonyname);
      const labels = (s.labels!.all(colonyname) as { name: string; files: number }[]).map((label) => ({
        name: label.name,
        files: Number(label.files),
      }));
      if (name === '') return list('getfilelabelsmsg', labels);
      if (exact) {
        // v1.9.12 quirk: a label with no files of its own hides its sub-labels.
        if (!labels.some((label) => label.name === name)) return list('getfilelabelsmsg', []);
        return list(
          'getfilelabelsmsg',
          labels.filter((label) => label.name === name || label.name.startsWith(`${name}/`)),
        );
      }
      return list(
        'getfilelabelsmsg',
        labels.filter((label) => label.name.startsWith(name)),
      );
    });
    on('removefilemsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const fileId = str(msg, 'fileid');
      if (fileId) s.deleteFileById!.run(fileId, colonyname);
      else s.deleteFileByName!.run(colonyname, str(msg, 'label'), str(msg, 'name'));
      return ok('removefilemsg');
    });
    on('createsnapshotmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const label = str(msg, 'label').replace(/\/$/, '');
      const name = str(msg, 'name');
      checkName(name, 'snapshot');
      if (s.snapshotByName!.get(colonyname, name)) {
        throw serverError(`Snapshot with name <${name}> in Colony <${colonyname}> already exists`);
      }
      // v1.9.12 quirk: the same lookup as an exact label query, so a root
      // label without files of its own gives an empty snapshot.
      const hasDirectFiles = (s.latestFilesInLabel!.all(colonyname, label) as FileRow[]).length > 0;
      const fileIds = hasDirectFiles
        ? (s.latestFilesInTree!.all({ colony: colonyname, label }) as { fileid: string }[]).map((row) => row.fileid)
        : [];
      const snapshotId = randomId();
      const now = this.#clock.now();
      s.insertSnapshot!.run(snapshotId, colonyname, name, label, JSON.stringify(fileIds.length ? fileIds : null), now);
      return ok('createsnapshotmsg', {
        snapshotid: snapshotId,
        colonyname,
        label,
        name,
        fileids: fileIds.length ? fileIds : null,
        added: formatTime(now, 9),
      });
    });
    on('getsnapshotmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const snapshotId = str(msg, 'snapshotid');
      const name = str(msg, 'name');
      const row = (snapshotId ? s.snapshotById!.get(colonyname, snapshotId) : s.snapshotByName!.get(colonyname, name)) as
        | SnapshotRow
        | undefined;
      if (!row) {
        throw serverError(
          snapshotId
            ? `Snapshot not found with Id <${snapshotId}> in Colony <${colonyname}> does not exists`
            : `Snapshot not found with name <${name}> in Colony <${colonyname}> does not exists`,
        );
      }
      return ok('getsnapshotmsg', snapshotJson(row));
    });
    on('getsnapshotsmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      return list('getsnapshotsmsg', (s.snapshots!.all(colonyname) as SnapshotRow[]).map(snapshotJson));
    });
    on('removesnapshotmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      const snapshotId = str(msg, 'snapshotid');
      if (snapshotId) s.deleteSnapshotById!.run(colonyname, snapshotId);
      else s.deleteSnapshotByName!.run(colonyname, str(msg, 'name'));
      return ok('removesnapshotmsg');
    });
    on('removeallsnapshotmsg', ({ signer, msg }) => {
      const colonyname = str(msg, 'colonyname');
      this.#requireMember(signer, colonyname);
      s.deleteSnapshots!.run(colonyname);
      return ok('removeallsnapshotmsg');
    });
  }
}

interface LogRow {
  processid: string;
  colonyname: string;
  executorname: string;
  message: string;
  timestamp: bigint;
}

interface FileRow {
  sequencenr: bigint;
  fileid: string;
  colonyname: string;
  label: string;
  name: string;
  size: bigint;
  checksum: string;
  checksumalg: string;
  ref: string;
  added: bigint;
}

interface SnapshotRow {
  snapshotid: string;
  colonyname: string;
  name: string;
  label: string;
  fileids: string;
  added: bigint;
}

/** Bytes a log entry's message takes in a reply (escapes included). */
function encodedLogSize(row: LogRow): number {
  return Buffer.byteLength(goJson(row.message));
}

function logJson(row: LogRow): JsonObject {
  return {
    processid: row.processid,
    colonyname: row.colonyname,
    executorname: row.executorname,
    message: row.message,
    timestamp: row.timestamp,
  };
}

function fileJson(row: FileRow): JsonObject {
  return {
    fileid: row.fileid,
    colonyname: row.colonyname,
    label: row.label,
    name: row.name,
    size: Number(row.size),
    sequencenr: Number(row.sequencenr),
    checksum: row.checksum,
    checksumalg: row.checksumalg,
    ref: JSON.parse(row.ref) as unknown,
    added: formatTime(row.added),
  };
}

function snapshotJson(row: SnapshotRow): JsonObject {
  return {
    snapshotid: row.snapshotid,
    colonyname: row.colonyname,
    label: row.label,
    name: row.name,
    fileids: JSON.parse(row.fileids) as unknown,
    added: formatTime(row.added),
  };
}

function userJson(row: Record<string, string>): JsonObject {
  return { colonyname: row.colonyname, userid: row.userid, name: row.name, email: row.email, phone: row.phone };
}

function normaliseRef(source: JsonObject | null): JsonObject {
  const s3 = obj(source, 's3object');
  return {
    protocol: str(source, 'protocol'),
    s3object: {
      server: str(s3, 'server'),
      port: int(s3, 'port'),
      tls: bool(s3, 'tls'),
      accesskey: str(s3, 'accesskey'),
      secretkey: str(s3, 'secretkey'),
      region: str(s3, 'region'),
      encryptionkey: str(s3, 'encryptionkey'),
      encryptionalg: str(s3, 'encryptionalg'),
      object: str(s3, 'object'),
      bucket: str(s3, 'bucket'),
    },
  };
}

/** `attributeid = SHA3-256(targetid + key + decimal(attributetype))` (§3.9). */
function attributeId(targetId: string, key: string, type: number): string {
  return sha3Hex(`${targetId}${key}${type}`);
}

/**
 * Names are stored as `colony:name` by the real server, so a `:` in a name
 * breaks later listings there (§3.10). We refuse such names up front.
 */
function checkName(name: string, kind: string): void {
  if (name.includes(':')) throw badRequest(`Invalid ${kind} name <${name}>: ":" is not allowed in names`);
}

