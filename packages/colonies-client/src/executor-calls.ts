// Executors and the functions they register.
import { checkName } from './argument-checks';
import type { ColonyCallOptions } from './colony-call-options';
import { expectList, expectObject, toExecutor, toFunction } from './convert';
import { read, write, type RpcCore } from './rpc-core';
import type { CallOptions } from './transport';
import type { Capabilities, ColoniesFunction, Executor, ExecutorInput, FunctionInput } from './types';

export interface ExecutorUpdate {
  executorName: string;
  capabilities: Capabilities;
  colonyName?: string;
}

export interface FunctionsQuery {
  executorName?: string;
  colonyName?: string;
}

/** The `capabilities` of an `addexecutormsg`, every field present as the server expects. */
function capabilitiesBody(capabilities: ExecutorInput['capabilities']): Record<string, unknown> {
  const caps = capabilities ?? {};
  return {
    hardware: (caps.hardware ?? []).map((h) => ({
      model: h.model ?? '',
      nodes: h.nodes ?? 0,
      cpu: h.cpu ?? '',
      cores: h.cores ?? 0,
      mem: h.mem ?? '',
      storage: h.storage ?? '',
      gpu: { name: h.gpu?.name ?? '', mem: h.gpu?.mem ?? '', count: h.gpu?.count ?? 0, nodecount: h.gpu?.nodecount ?? 0 },
      platform: h.platform ?? '',
      architecture: h.architecture ?? '',
      network: h.network ?? [],
    })),
    software: caps.software ?? [],
  };
}

export async function addExecutor(core: RpcCore, executor: ExecutorInput, options?: CallOptions): Promise<Executor> {
  checkName(executor.executorname, 'executor name');
  const body = {
    executorid: executor.executorid,
    executortype: executor.executortype,
    executorname: executor.executorname,
    colonyname: core.colony(executor.colonyname),
    state: 0,
    requirefuncreg: executor.requirefuncreg ?? false,
    commissiontime: '0001-01-01T00:00:00Z',
    lastheardfromtime: '0001-01-01T00:00:00Z',
    ...(executor.locationname ? { locationname: executor.locationname } : {}),
    capabilities: capabilitiesBody(executor.capabilities),
  };
  return toExecutor(expectObject('addexecutormsg', await write(core, 'addexecutormsg', { executor: body }, options)));
}

/** `approveexecutormsg`, `rejectexecutormsg` and `removeexecutormsg`: the same fields, no reply. */
export async function changeExecutor(
  core: RpcCore,
  msgtype: 'approveexecutormsg' | 'rejectexecutormsg' | 'removeexecutormsg',
  executorName: string,
  options?: ColonyCallOptions,
): Promise<void> {
  await write(core, msgtype, { colonyname: core.colony(options?.colonyName), executorname: executorName }, options);
}

export async function getExecutor(core: RpcCore, executorName: string, options?: ColonyCallOptions): Promise<Executor> {
  const reply = await read(core, 'getexecutormsg', { colonyname: core.colony(options?.colonyName), executorname: executorName }, options);
  return toExecutor(expectObject('getexecutormsg', reply));
}

export async function getExecutorById(core: RpcCore, executorId: string, options?: ColonyCallOptions): Promise<Executor> {
  const reply = await read(core, 'getexecutorbyidmsg', { colonyname: core.colony(options?.colonyName), executorid: executorId }, options);
  return toExecutor(expectObject('getexecutorbyidmsg', reply));
}

export async function getExecutors(core: RpcCore, options?: ColonyCallOptions): Promise<Executor[]> {
  return expectList('getexecutorsmsg', await read(core, 'getexecutorsmsg', { colonyname: core.colony(options?.colonyName) }, options), toExecutor);
}

export async function updateExecutor(core: RpcCore, update: ExecutorUpdate, options?: CallOptions): Promise<void> {
  await write(
    core,
    'updateexecutormsg',
    { colonyname: core.colony(update.colonyName), executorname: update.executorName, capabilities: update.capabilities },
    options,
  );
}

export async function addFunction(core: RpcCore, fn: FunctionInput, options?: CallOptions): Promise<ColoniesFunction> {
  const body: Record<string, unknown> = {
    functionid: '',
    executorname: fn.executorname ?? '',
    executortype: fn.executortype ?? '',
    colonyname: core.colony(fn.colonyname),
    funcname: fn.funcname,
  };
  if (fn.description !== undefined) body.description = fn.description;
  if (fn.args !== undefined) body.args = fn.args;
  return toFunction(expectObject('addfunctionmsg', await write(core, 'addfunctionmsg', { fun: body }, options)));
}

export async function getFunctions(core: RpcCore, query: FunctionsQuery, options?: CallOptions): Promise<ColoniesFunction[]> {
  const reply = await read(core, 'getfunctionsmsg', { executorname: query.executorName ?? '', colonyname: core.colony(query.colonyName) }, options);
  return expectList('getfunctionsmsg', reply, toFunction);
}
