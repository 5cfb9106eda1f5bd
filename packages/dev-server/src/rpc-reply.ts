// Replies, handlers and the table that registers them: the shapes every
// handler module shares.
import type { ChannelRouter } from './channel-router';
import type { NanoClock } from './clock';
import { goJson } from './go-json';
import type { JsonObject } from './json-reader';
import type { Logger } from './logger';
import type { LogTimestamps } from './log-timestamps';
import type { Authorization } from './authorization';
import type { ProcessEvents } from './process-events';
import type { Scheduler } from './scheduler';
import type { Statements } from './statements';

/** A reply payload: the JSON text that goes base64-encoded into the envelope. */
export interface RpcReply {
  payloadtype: string;
  json: string;
}

export type HandlerResult = RpcReply | Promise<RpcReply>;

/** The context a handler gets: who signed, and the decoded payload. */
export interface Call {
  signer: string;
  msg: JsonObject;
}

/** One message type's handler: plain functions of the shared context, no closures over engine state. */
export type Handler = (context: HandlerContext, call: Call) => HandlerResult;

/** Handlers by the payload type they answer. */
export type HandlerTable = Readonly<Record<string, Handler>>;

/** Settings of the server a handler may read. */
export interface ServerSettings {
  /** `COLONIES_ALLOW_EXECUTOR_REREGISTER`: adding an existing executor name replaces it. */
  allowExecutorReregister: boolean;
  serverInfo: () => { host: string; port: number };
  buildVersion: string;
  buildTime: string;
  /** The local blob directory (`pollinatorgcmsg` collects in it); none: blobs are elsewhere. */
  blobDir?: string;
}

/** What every handler module is built from. */
export interface HandlerContext {
  statements: Statements;
  authorization: Authorization;
  scheduler: Scheduler;
  events: ProcessEvents;
  /** Process channels, in memory only (as the real server keeps them). */
  channels: ChannelRouter;
  clock: NanoClock;
  logTimestamps: LogTimestamps;
  logger: Logger;
  settings: ServerSettings;
  /** Runs `work` in one SQLite transaction. */
  transaction: (work: () => void) => void;
}

/** A reply with one value (`{}` for none), compact unless `pretty`. */
export function ok(payloadtype: string, value: unknown = null, pretty = false): RpcReply {
  return { payloadtype, json: value === null ? '{}' : goJson(value, pretty) };
}

/** A reply with a list: an empty one is JSON `null`, as a Go nil slice marshals. */
export function list(payloadtype: string, values: unknown[], pretty = false): RpcReply {
  return { payloadtype, json: values.length === 0 ? 'null' : goJson(values, pretty) };
}
