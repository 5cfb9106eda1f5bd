// Processes: submit, read, list, assign, close, remove, pause.
import type { ColonyCallOptions } from './colony-call-options';
import { completeSpec } from './complete-spec';
import { expectObject } from './convert';
import { ColoniesArgumentError, ColoniesError } from './errors';
import { decodeProcess, decodeProcessListing, type ProcessListing } from './process-decoding';
import { read, write, type RpcCore } from './rpc-core';
import type { CallOptions } from './transport';
import type { FunctionSpecInput, JsonValue, Process, ProcessState } from './types';

/** The query of `getProcesses` / `getProcessListing`. */
export interface ProcessesQuery {
  state?: ProcessState;
  count?: number;
  executorType?: string;
  label?: string;
  initiator?: string;
  colonyName?: string;
}

export interface AssignRequest {
  timeout?: number;
  availableCpu?: string;
  availableMem?: string;
  colonyName?: string;
}

export interface ProcessHistoryQuery {
  state: ProcessState;
  seconds: number;
  executorId?: string;
  colonyName?: string;
}

export interface RemoveAllProcessesQuery {
  state?: ProcessState | -1;
  colonyName?: string;
}

async function readProcessListing(core: RpcCore, msgtype: string, fields: Record<string, unknown>, options?: CallOptions): Promise<ProcessListing> {
  const { status, text } = await core.rpcText(msgtype, fields, true, options);
  return decodeProcessListing(msgtype, status, text);
}

function throwFirstUnreadable(listing: ProcessListing): Process[] {
  const first = listing.unreadable[0];
  if (first !== undefined) throw first;
  return listing.processes;
}

export async function submit(core: RpcCore, spec: FunctionSpecInput, options?: CallOptions): Promise<Process> {
  const full = completeSpec(spec, core.defaultColonyName);
  // The process exists once this answers: an UnreadableProcessError here carries its id.
  return decodeProcess('submitfuncspecmsg', (await core.rpcText('submitfuncspecmsg', { spec: full }, false, options)).text);
}

export async function getProcess(core: RpcCore, processId: string, options?: CallOptions): Promise<Process> {
  return decodeProcess('getprocessmsg', (await core.rpcText('getprocessmsg', { processid: processId }, true, options)).text);
}

export async function getProcessListing(core: RpcCore, query: ProcessesQuery, options?: CallOptions): Promise<ProcessListing> {
  const count = query.count ?? 100;
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new ColoniesArgumentError(`getProcesses: count must be 1–100, got ${count}`);
  return readProcessListing(
    core,
    'getprocessesmsg',
    {
      colonyname: core.colony(query.colonyName),
      count,
      state: query.state ?? 0,
      executortype: query.executorType ?? '',
      label: query.label ?? '',
      initiator: query.initiator ?? '',
    },
    options,
  );
}

export async function getProcesses(core: RpcCore, query: ProcessesQuery, options?: CallOptions): Promise<Process[]> {
  return throwFirstUnreadable(await getProcessListing(core, query, options));
}

export async function assign(core: RpcCore, request: AssignRequest, options?: CallOptions): Promise<Process | null> {
  const timeout = request.timeout ?? 60;
  if (!Number.isInteger(timeout) || timeout === 0) {
    throw new ColoniesArgumentError('assign: timeout must be a non-zero integer number of seconds (negative = no waiting)');
  }
  const timeoutMs = Math.max(options?.timeoutMs ?? core.timeoutMs, timeout > 0 ? timeout * 1000 + core.assignMarginMs : 0);
  let text: string;
  try {
    ({ text } = await core.rpcText(
      'assignprocessmsg',
      { colonyname: core.colony(request.colonyName), timeout, availablecpu: request.availableCpu ?? '', availablemem: request.availableMem ?? '' },
      false,
      { ...options, timeoutMs },
    ));
  } catch (error) {
    if (ColoniesError.isInstance(error) && error.isNoProcessAvailable) return null;
    throw error;
  }
  // Assigned but unreadable: UnreadableProcessError with the id, so the caller can close it failed.
  return decodeProcess('assignprocessmsg', text);
}

export async function closeSuccessful(core: RpcCore, processId: string, out: JsonValue[] | undefined, options?: CallOptions): Promise<void> {
  await write(core, 'closesuccessfulmsg', out === undefined ? { processid: processId } : { processid: processId, out }, options);
}

export async function closeFailed(core: RpcCore, processId: string, errors: string[] | string, options?: CallOptions): Promise<void> {
  await write(core, 'closefailedmsg', { processid: processId, errors: typeof errors === 'string' ? [errors] : errors }, options);
}

export async function setOutput(core: RpcCore, processId: string, out: JsonValue[], options?: CallOptions): Promise<void> {
  await write(core, 'setoutputmsg', { processid: processId, out }, options);
}

export async function cancelProcess(core: RpcCore, processId: string, options?: CallOptions): Promise<void> {
  await write(core, 'cancelprocessmsg', { processid: processId }, options);
}

export async function removeProcess(core: RpcCore, processId: string, options?: CallOptions & { all?: boolean }): Promise<void> {
  await write(core, 'removeprocessmsg', { processid: processId, all: options?.all ?? false }, options);
}

export async function removeAllProcesses(core: RpcCore, query: RemoveAllProcessesQuery, options?: CallOptions): Promise<void> {
  await write(core, 'removeallprocessesmsg', { colonyname: core.colony(query.colonyName), state: query.state ?? -1 }, options);
}

export async function getProcessHistory(core: RpcCore, query: ProcessHistoryQuery, options?: CallOptions): Promise<Process[]> {
  const listing = await readProcessListing(
    core,
    'getprocesshistmsg',
    { colonyname: core.colony(query.colonyName), executorid: query.executorId ?? '', seconds: query.seconds, state: query.state },
    options,
  );
  return throwFirstUnreadable(listing);
}

/** `pauseassignmentsmsg` and `resumeassignmentsmsg`: the same fields, no reply. */
export async function setAssignmentsPaused(core: RpcCore, paused: boolean, options?: ColonyCallOptions): Promise<void> {
  await write(core, paused ? 'pauseassignmentsmsg' : 'resumeassignmentsmsg', { colonyname: core.colony(options?.colonyName) }, options);
}

export async function getPauseStatus(core: RpcCore, options?: ColonyCallOptions): Promise<boolean> {
  const reply = expectObject('getpausestatusmsg', await read(core, 'getpausestatusmsg', { colonyname: core.colony(options?.colonyName) }, options));
  return reply.ispaused === true;
}
