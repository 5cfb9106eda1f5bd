// Executors (§3.10): registered by the colony's owner, approved, rejected or
// removed by it, read by members, and updating their own capabilities.
import { checkName } from '../identifiers';
import { bool, int, type JsonObject, obj, str } from '../json-reader';
import { executorJson, type ExecutorRow, ExecutorState, normaliseAllocations, normaliseCapabilities } from '../model';
import { type Call, type Handler, type HandlerContext, type HandlerTable, list, ok, type RpcReply } from '../rpc-reply';
import { badRequest, forbidden, serverError } from '../rpc-error';

/** Refuses a second executor of the same name or id unless it replaces an unregistered one (or re-registering is allowed). */
function checkNotRegistered(
  { settings }: HandlerContext,
  colonyname: string,
  executorId: string,
  name: string,
  existing: { sameName: ExecutorRow | undefined; sameId: ExecutorRow | undefined },
): void {
  const { sameName, sameId } = existing;
  if (sameId && sameId.colonyname !== colonyname) throw badRequest('Failed to add executor, executor Id already in use');
  if (sameName && sameName.state !== ExecutorState.UNREGISTERED && sameName.executorid !== executorId) {
    if (!settings.allowExecutorReregister) {
      throw badRequest(`Executor with name <${name}> already exists in Colony <${colonyname}>`);
    }
  }
  if (sameId && sameId.state !== ExecutorState.UNREGISTERED && !settings.allowExecutorReregister) {
    throw badRequest(`Executor with Id <${executorId}> already exists`);
  }
}

function addExecutor(context: HandlerContext, { signer, msg }: Call): RpcReply {
  const { authorization, statements, transaction, clock } = context;
  const executor = obj(msg, 'executor');
  const capabilities = normaliseCapabilities(obj(executor, 'capabilities'));
  const allocations = normaliseAllocations(obj(executor, 'allocations'));
  const colonyname = str(executor, 'colonyname');
  authorization.requireColonyOwner(signer, colonyname);
  const executorId = str(executor, 'executorid').toLowerCase();
  const name = str(executor, 'executorname');
  if (!/^[0-9a-f]{64}$/.test(executorId)) throw badRequest('Failed to add executor, invalid executor Id length');
  checkName(name, 'executor');
  const sameName = statements.executors.byName(colonyname, name);
  const sameId = statements.executors.byId(executorId);
  checkNotRegistered(context, colonyname, executorId, name, { sameName, sameId });
  const now = clock.now();
  const body = {
    requirefuncreg: bool(executor, 'requirefuncreg'),
    capabilities,
    allocations,
    blueprintid: str(executor, 'blueprintid'),
    blueprintgen: int(executor, 'blueprintgen'),
  };
  transaction(() => {
    if (sameName) {
      statements.executors.remove(sameName.executorid);
      if (sameName.executorid !== executorId) statements.functions.removeOfExecutor(colonyname, name);
    }
    if (sameId) statements.executors.remove(executorId);
    statements.executors.insert({
      executorid: executorId,
      colonyname,
      name,
      type: str(executor, 'executortype'),
      state: ExecutorState.PENDING,
      locationname: str(executor, 'locationname'),
      commissiontime: now,
      body: JSON.stringify(body),
    });
  });
  const stored = statements.executors.byId(executorId);
  if (!stored) throw serverError('Failed to add executor, executor is nil');
  return ok('addexecutormsg', executorJson(stored));
}

/** approve, reject and remove: the colony owner sets an executor's state. */
function executorStateHandler(payloadtype: string, verb: string, state: number): Handler {
  return ({ authorization, statements, scheduler, transaction }, { signer, msg }) => {
    const colonyname = str(msg, 'colonyname');
    authorization.requireColonyOwner(signer, colonyname);
    const executor = statements.executors.byName(colonyname, str(msg, 'executorname'));
    if (!executor) throw serverError(`Failed to ${verb} executor, executor is nil`);
    if (state === ExecutorState.UNREGISTERED) {
      transaction(() => {
        statements.executors.setState(executor.executorid, state);
        statements.functions.removeOfExecutor(colonyname, executor.name);
      });
      scheduler.releaseExecutor(executor.executorid, colonyname);
    } else {
      statements.executors.setState(executor.executorid, state);
      if (state === ExecutorState.APPROVED) scheduler.dispatch(colonyname);
    }
    return ok(payloadtype);
  };
}

function getExecutor({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const executor = statements.executors.byName(colonyname, str(msg, 'executorname'));
  if (!executor) throw serverError('Failed to get executor, executor is nil');
  return ok('getexecutormsg', executorJson(executor));
}

function getExecutorById({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const executor = statements.executors.byId(str(msg, 'executorid'));
  if (!executor || executor.colonyname !== colonyname) throw serverError('Failed to get executor, executor is nil');
  return ok('getexecutorbyidmsg', executorJson(executor));
}

function getExecutors({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'), true);
  return list('getexecutorsmsg', statements.executors.list(colonyname).map(executorJson));
}

function updateExecutor({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const capabilities = normaliseCapabilities(obj(msg, 'capabilities'));
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'), true);
  const executor = statements.executors.byName(colonyname, str(msg, 'executorname'));
  if (!executor) throw serverError('Failed to update executor, executor is nil');
  if (executor.executorid !== signer) throw forbidden('Not allowed to update another executor');
  const body = JSON.parse(executor.body) as JsonObject;
  body.capabilities = capabilities;
  statements.executors.setBody(executor.executorid, JSON.stringify(body));
  return ok('updateexecutormsg');
}

export const executorHandlers: HandlerTable = {
  addexecutormsg: addExecutor,
  approveexecutormsg: executorStateHandler('approveexecutormsg', 'approve', ExecutorState.APPROVED),
  rejectexecutormsg: executorStateHandler('rejectexecutormsg', 'reject', ExecutorState.REJECTED),
  removeexecutormsg: executorStateHandler('removeexecutormsg', 'remove', ExecutorState.UNREGISTERED),
  getexecutormsg: getExecutor,
  getexecutorbyidmsg: getExecutorById,
  getexecutorsmsg: getExecutors,
  updateexecutormsg: updateExecutor,
};
