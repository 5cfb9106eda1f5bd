// Functions an executor offers (§4.1): added and removed by that executor, listed by members.
import { randomId } from '../identifiers';
import { arr, type JsonObject, obj, str } from '../json-reader';
import { type Call, type HandlerContext, type HandlerTable, list, ok, type RpcReply } from '../rpc-reply';
import { forbidden, serverError } from '../rpc-error';

function addFunction({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const fun = obj(msg, 'fun');
  const colonyname = str(fun, 'colonyname');
  authorization.requireMember(signer, colonyname);
  const executor = authorization.requireExecutor(signer, () => serverError('Failed to add function, executor not found'));
  if (executor.name !== str(fun, 'executorname')) throw forbidden('Not allowed to add a function to another executor');
  const description = str(fun, 'description');
  const args = arr(fun, 'args');
  const locationName = str(fun, 'locationname');
  const functionId = str(fun, 'functionid') || randomId();
  const funcName = str(fun, 'funcname');
  const record: JsonObject = {
    functionid: functionId,
    executorname: executor.name,
    executortype: str(fun, 'executortype'),
    colonyname,
    funcname: funcName,
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
  statements.functions.insert(functionId, colonyname, executor.name, funcName, JSON.stringify(record));
  return ok('addfunctionmsg', record);
}

function getFunctions({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const bodies = statements.functions.bodies(colonyname, str(msg, 'executorname'));
  return list('getfunctionsmsg', bodies.map((body) => JSON.parse(body) as unknown));
}

function removeFunction({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const functionId = str(msg, 'functionid');
  const row = statements.functions.byId(functionId);
  if (!row) throw serverError('Failed to remove function, function not found');
  authorization.requireMember(signer, row.colonyname);
  const executor = statements.executors.byId(signer);
  if (!executor || executor.name !== row.executorname) throw forbidden('Not allowed to remove function');
  statements.functions.remove(functionId);
  return ok('removefunctionmsg');
}

export const functionHandlers: HandlerTable = {
  addfunctionmsg: addFunction,
  getfunctionsmsg: getFunctions,
  removefunctionmsg: removeFunction,
};
