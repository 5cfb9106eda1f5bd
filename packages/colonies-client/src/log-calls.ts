// Process and executor logs, and process attributes.
import { expectList, expectObject, toLog } from './convert';
import { ColoniesArgumentError } from './errors';
import { read, write, type RpcCore } from './rpc-core';
import type { CallOptions } from './transport';
import { AttributeType, type Attribute, type Log } from './types';

export interface ExecutorLogEntry {
  executorName: string;
  message: string;
  colonyName?: string;
}

export interface LogsQuery {
  processId?: string;
  executorName?: string;
  count?: number;
  /** An exact int64 cursor: a `timestamp` you received (a string of digits also works). */
  since?: bigint | string;
  latest?: boolean;
  colonyName?: string;
}

export interface LogSearch {
  text: string;
  days?: number;
  count?: number;
  colonyName?: string;
}

export interface AttributeInput {
  processId: string;
  key: string;
  value: string;
  type?: AttributeType;
  colonyName?: string;
}

function toSince(since: bigint | string | undefined): bigint | number {
  if (since === undefined) return 0;
  if (typeof since === 'bigint') return since;
  if (typeof since === 'string' && /^\d+$/.test(since)) return BigInt(since);
  throw new ColoniesArgumentError('getLogs: since must be a bigint (or a string of digits): a log timestamp, exactly');
}

export async function addLog(core: RpcCore, processId: string, message: string, options?: CallOptions): Promise<void> {
  await write(core, 'addlogmsg', { processid: processId, message }, options);
}

export async function addExecutorLog(core: RpcCore, entry: ExecutorLogEntry, options?: CallOptions): Promise<void> {
  await write(
    core,
    'addexecutorlogmsg',
    { colonyname: core.colony(entry.colonyName), executorname: entry.executorName, message: entry.message },
    options,
  );
}

export async function getLogs(core: RpcCore, query: LogsQuery, options?: CallOptions): Promise<Log[]> {
  const count = query.count ?? 100;
  if (!Number.isInteger(count) || count < 1 || count > 500) throw new ColoniesArgumentError(`getLogs: count must be 1–500, got ${count}`);
  const since = toSince(query.since);
  const reply = await read(
    core,
    'getlogsmsg',
    {
      colonyname: core.colony(query.colonyName),
      processid: query.processId ?? '',
      executorname: query.executorName ?? '',
      count,
      since,
      latest: query.latest ?? false,
    },
    options,
  );
  return expectList('getlogsmsg', reply, toLog);
}

export async function searchLogs(core: RpcCore, query: LogSearch, options?: CallOptions): Promise<Log[]> {
  const reply = await read(
    core,
    'searchlogsmsg',
    { colonyname: core.colony(query.colonyName), text: query.text, days: query.days ?? 1, count: query.count ?? 100 },
    options,
  );
  return expectList('searchlogsmsg', reply, toLog);
}

export async function addAttribute(core: RpcCore, attribute: AttributeInput, options?: CallOptions): Promise<Attribute> {
  const body = {
    attributeid: '',
    targetid: attribute.processId,
    targetcolonyname: core.colony(attribute.colonyName),
    targetprocessgraphid: '',
    state: 0,
    attributetype: attribute.type ?? AttributeType.OUT,
    key: attribute.key,
    value: attribute.value,
  };
  return expectObject('addattributemsg', await write(core, 'addattributemsg', { attribute: body }, options)) as unknown as Attribute;
}

export async function getAttribute(core: RpcCore, attributeId: string, options?: CallOptions): Promise<Attribute> {
  return expectObject('getattributemsg', await read(core, 'getattributemsg', { attributeid: attributeId }, options)) as unknown as Attribute;
}
