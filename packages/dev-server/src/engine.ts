// The Colonies message engine: decodes a signed message, finds its handler
// (one module per resource under handlers/) and runs it against the SQLite
// store through typed statements, with the named checks of authorization.ts
// and the assign queue and deadlines of scheduler.ts. Every handler runs
// synchronously from start to reply, so two requests never interleave: this
// is what makes assignment exactly-once without row locks. Only an assign
// that has to wait (long-poll) returns a promise.
import type Database from 'better-sqlite3';
import { Authorization } from './authorization';
import { type ChannelLimits, type ChannelListener, ChannelRouter } from './channel-router';
import { channelEntryJson, openChannelSubscription } from './handlers/channel-handlers';
import type { NanoClock } from './clock';
import { parseRequestJson } from './go-json';
import { allHandlers } from './handlers/handler-table';
import { exceedsJsonDepth } from './json-depth';
import { int, InvalidJsonError, type JsonObject, str } from './json-reader';
import type { Logger } from './logger';
import { LogTimestamps } from './log-timestamps';
import { logWaitsOf } from './log-waits';
import {
  type EventInterest,
  type ProcessEvent,
  processEventOf,
  type ProcessEventListener,
  ProcessEvents,
} from './process-events';
import { REQUEST_LIMITS } from './request-limits';
import { badRequest, forbidden } from './rpc-error';
import type { Handler, HandlerContext, HandlerResult, RpcReply, ServerSettings } from './rpc-reply';
import { type AssignWakeUp, Scheduler } from './scheduler';
import { prepareStatements } from './statements';

export type { HandlerResult, RpcReply } from './rpc-reply';
export type { ProcessEvent } from './process-events';

export interface EngineOptions extends ServerSettings {
  db: Database.Database;
  clock: NanoClock;
  serverId: string;
  logger: Logger;
  /** `COLONIES_STALE_EXECUTOR_DURATION` in seconds (0 disables stale-executor removal). */
  staleExecutorSeconds: number;
  /** Overrides of the channel limits (read on every call; tests). */
  channelLimits?: Partial<ChannelLimits>;
  /** Who a submit wakes among waiting executors (default `matching`; see `AssignWakeUp`). */
  assignWakeUp?: AssignWakeUp;
}

/** Descriptions used in "Failed to <what>, invalid JSON" messages. */
const WHAT: Readonly<Record<string, string>> = {
  getcolonymsg: 'get colony',
  addcolonymsg: 'add colony',
  addexecutormsg: 'add executor',
  submitfuncspecmsg: 'submit function spec',
  assignprocessmsg: 'assign process',
  getprocessmsg: 'get process',
  getprocessesmsg: 'get processes',
  subscribeprocessmsg: 'subscribe to process',
  subscribeprocessesmsg: 'subscribe to processes',
  channelappendmsg: 'append to channel',
  channelreadmsg: 'read from channel',
  subscribechannelmsg: 'subscribe to channel',
};

/** "submit function spec", as in the Go server's "Failed to <what>, invalid JSON". */
function describe(payloadtype: string): string {
  return WHAT[payloadtype] ?? payloadtype.replace(/msg$/, '');
}

export class ColoniesEngine {
  readonly #handlers: ReadonlyMap<string, Handler> = allHandlers();
  readonly #context: HandlerContext;

  constructor(options: EngineOptions) {
    const { db, clock, logger } = options;
    const statements = prepareStatements(db);
    const authorization = new Authorization(statements, options.serverId);
    const events = new ProcessEvents(statements, logger);
    const channels = new ChannelRouter(options.channelLimits === undefined ? {} : { limits: options.channelLimits });
    // Closing a process deletes its channels (every state change passes here, subscribed or not).
    events.onStateChange((processId, state) => channels.processChanged(processId, state));
    const transaction = (work: () => void): void => db.transaction(work)();
    const scheduler = new Scheduler({
      statements,
      authorization,
      events,
      clock,
      logger,
      transaction,
      staleExecutorSeconds: options.staleExecutorSeconds,
      ...(options.assignWakeUp === undefined ? {} : { assignWakeUp: options.assignWakeUp }),
    });
    this.#context = {
      statements,
      authorization,
      scheduler,
      events,
      channels,
      clock,
      logTimestamps: new LogTimestamps(clock, statements.logs.latestTimestamp()),
      logger,
      settings: {
        allowExecutorReregister: options.allowExecutorReregister,
        serverInfo: options.serverInfo,
        buildVersion: options.buildVersion,
        buildTime: options.buildTime,
        ...(options.blobDir === undefined ? {} : { blobDir: options.blobDir }),
      },
      transaction,
    };
  }

  /** Called after every committed process state change. */
  onProcessEvent(listener: ProcessEventListener): void {
    this.#context.events.listen(listener);
  }

  /** Lets the subscriber side say whether an event would reach anyone (saves building it). */
  setEventFilter(interested: EventInterest, mayBeInterested: (processid: string) => boolean = () => true): void {
    this.#context.events.setFilter(interested, mayBeInterested);
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
      return handler(this.#context, { signer, msg });
    } catch (error) {
      if (InvalidJsonError.isInstance(error)) throw badRequest(`Failed to ${describe(payloadtype)}, invalid JSON: ${error.message}`);
      throw error;
    }
  }

  /** The client of a waiting assign went away: stop waiting for it. */
  abandon(pending: Promise<RpcReply>): void {
    this.#context.scheduler.abandon(pending);
    logWaitsOf(this.#context.events).abandon(pending);
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
    this.#context.scheduler.close();
    logWaitsOf(this.#context.events).close();
  }

  /** maxwaittime / maxexectime expiry (the server's timer calls this). */
  sweepDeadlines(): void {
    this.#context.scheduler.sweepDeadlines();
  }

  /** Deletes executors silent for longer than the stale duration (§3.11). */
  removeStaleExecutors(): void {
    this.#context.scheduler.removeStaleExecutors();
  }

  /** Subscription support: the process as pretty JSON, checking the signer may see it. */
  subscribeProcess(signer: string, msg: JsonObject): { processid: string; state: number; current?: ProcessEvent } {
    const processId = str(msg, 'processid');
    const state = int(msg, 'state');
    const row = this.#context.statements.processes.get(processId);
    if (!row) throw forbidden(`Invalid process with Id ${processId}`);
    // Stricter than v1.9.12, which checks no membership here (README: "Deliberate differences").
    this.#context.authorization.requireMember(signer, row.colonyname);
    return { processid: processId, state, current: processEventOf(this.#context.statements, row) };
  }

  /**
   * `subscribechannelmsg`: the same checks as a read; the entries already in
   * the log from `afterseq` on, and a way to hear the next ones.
   */
  subscribeChannel(
    signer: string,
    msg: JsonObject,
  ): { existing: Record<string, unknown>[]; listen: (listener: ChannelListener) => () => void } {
    const channels = this.#context.channels;
    const { processId, name, from, log } = openChannelSubscription(this.#context, signer, msg);
    return { existing: log.slice(from).map(channelEntryJson), listen: (listener) => channels.listen(processId, name, listener) };
  }

  /** `subscribeprocessesmsg` is executor-only (v1.9.12: "executor not found" for users). */
  subscribeProcesses(signer: string, msg: JsonObject): { colonyname: string; executortype: string; state: number } {
    const colonyname = str(msg, 'colonyname');
    const executor = this.#context.authorization.requireExecutor(signer, () => forbidden('executor not found'));
    this.#context.authorization.requireMember(signer, colonyname);
    return { colonyname, executortype: str(msg, 'executortype') || executor.type, state: int(msg, 'state') };
  }
}
