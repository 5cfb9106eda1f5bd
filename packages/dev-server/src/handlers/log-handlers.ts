// Logs (§4.2): lines added by a process's assigned executor or by an
// executor about itself, read and searched by members. Replies are bounded by
// bytes too (LOG_REPLY_BUDGET_BYTES): fewer than `count` lines when the
// messages are huge.
import { SECOND } from '../clock';
import { goJson } from '../go-json';
import { bool, int, int64, type JsonObject, str } from '../json-reader';
import type { LogSource } from '../log-statements';
import { logWaitsOf } from '../log-waits';
import { takeWithinBudget } from '../reply-budget';
import { LOG_REPLY_BUDGET_BYTES } from '../request-limits';
import { type Call, type HandlerContext, type HandlerResult, type HandlerTable, list, ok, type RpcReply } from '../rpc-reply';
import { badRequest, forbidden, serverError } from '../rpc-error';
import type { LogRow } from '../stored-rows';

const MAX_LOG_COUNT = 500;
const MAX_SEARCH_COUNT = 100;
const MAX_SEARCH_DAYS = 30;
const DAY = 86_400n * SECOND;

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

function withinBudget(rows: Iterable<LogRow>): LogRow[] {
  return takeWithinBudget(rows, LOG_REPLY_BUDGET_BYTES, encodedLogSize);
}

function addLog({ authorization, statements, logTimestamps, events }: HandlerContext, { signer, msg }: Call): RpcReply {
  const processId = str(msg, 'processid');
  const message = str(msg, 'message');
  const row = authorization.requireAssignedExecutor(signer, processId, {
    notRunning: 'Failed to set output, process is not running',
    notAllowed: 'Failed to add log, not allowed to add log, only the assigned Executor may att logs',
  });
  // The assigned executor exists: its id is the process's assignedexecutorid.
  const executor = authorization.requireExecutor(signer, () => serverError('Failed to add log, executor not found'));
  statements.logs.insert({
    processid: processId,
    colonyname: row.colonyname,
    executorname: executor.name,
    message,
    timestamp: logTimestamps.next(),
  });
  logWaitsOf(events).notify(processId);
  return ok('addlogmsg');
}

function addExecutorLog({ authorization, statements, logTimestamps }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const executor = authorization.requireExecutor(signer, () => serverError('Failed to add executor log, executor not found'));
  if (executor.name !== str(msg, 'executorname')) throw forbidden('Not allowed to add logs for another executor');
  statements.logs.insert({
    processid: '',
    colonyname,
    executorname: executor.name,
    message: str(msg, 'message'),
    timestamp: logTimestamps.next(),
  });
  return ok('addexecutorlogmsg');
}

function getLogs({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = str(msg, 'colonyname');
  const processId = str(msg, 'processid');
  const executorName = str(msg, 'executorname');
  const count = int(msg, 'count');
  const since = int64(msg, 'since');
  const latest = bool(msg, 'latest');
  authorization.requireMember(signer, colonyname);
  if (count > MAX_LOG_COUNT) throw forbidden(`Count exceeds max log count (${MAX_LOG_COUNT})`);
  let source: LogSource;
  if (executorName) {
    source = { colonyName: colonyname, executorName };
  } else {
    const row = statements.processes.get(processId);
    if (!row || row.colonyname !== colonyname) throw serverError('Failed to get logs, process does not exist');
    source = { processId };
  }
  if (count <= 0) return list('getlogsmsg', []);
  const rows = withinBudget(statements.logs.page({ source, count, since, latest }));
  // `latest` reads newest first, so the budget keeps the newest lines; the reply is oldest first.
  if (latest) rows.reverse();
  return list('getlogsmsg', rows.map(logJson));
}

/**
 * `pollinatorwaitlogsmsg` (the dev-server's own; a real server answers 403
 * "invalid rpcMsg.PayloadType"): `getlogsmsg` of one process (`processid`,
 * `count`, `since`) that, when there is no line after `since` yet and the
 * process is still in `state` (the state the follower last saw; -1: any
 * state ends the wait at once), waits up to `waitms` for a line or a state
 * change. The reply is `getlogsmsg`'s: the lines (oldest first), or null.
 */
function waitLogs(context: HandlerContext, { signer, msg }: Call): HandlerResult {
  const { authorization, statements, events } = context;
  const colonyname = str(msg, 'colonyname');
  const processId = str(msg, 'processid');
  const count = int(msg, 'count');
  const since = int64(msg, 'since');
  const state = int(msg, 'state');
  const waitMs = int(msg, 'waitms');
  authorization.requireMember(signer, colonyname);
  if (count > MAX_LOG_COUNT) throw forbidden(`Count exceeds max log count (${MAX_LOG_COUNT})`);
  const row = statements.processes.get(processId);
  if (!row || row.colonyname !== colonyname) throw serverError('Failed to wait for logs, process does not exist');
  const lines = (): RpcReply => {
    if (count <= 0) return list('pollinatorwaitlogsmsg', []);
    return list('pollinatorwaitlogsmsg', withinBudget(statements.logs.page({ source: { processId }, count, since, latest: false })).map(logJson));
  };
  const now = lines();
  if (now.json !== 'null' || Number(row.state) !== state || waitMs <= 0) return now;
  return logWaitsOf(events).wait(processId, waitMs, lines);
}

function searchLogs({ authorization, statements, clock }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = str(msg, 'colonyname');
  const text = str(msg, 'text');
  const days = int(msg, 'days');
  const count = int(msg, 'count');
  authorization.requireMember(signer, colonyname);
  if (days > MAX_SEARCH_DAYS) throw badRequest(`Failed to search logs, days cannot be larger than ${MAX_SEARCH_DAYS}`);
  if (count > MAX_SEARCH_COUNT) throw badRequest(`Failed to search logs, count cannot be larger than ${MAX_SEARCH_COUNT}`);
  const after = clock.now() - BigInt(Math.max(days, 0)) * DAY;
  const rows = withinBudget(statements.logs.search(colonyname, after, text, Math.max(count, 0)));
  return list('searchlogsmsg', rows.map(logJson));
}

export const logHandlers: HandlerTable = {
  addlogmsg: addLog,
  addexecutorlogmsg: addExecutorLog,
  getlogsmsg: getLogs,
  pollinatorwaitlogsmsg: waitLogs,
  searchlogsmsg: searchLogs,
};
