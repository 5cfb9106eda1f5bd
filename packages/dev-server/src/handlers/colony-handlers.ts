// Colonies (§3.2): added and removed by the server owner, paused and resumed by their owner.
import { checkName } from '../identifiers';
import { obj, str } from '../json-reader';
import { type Call, type HandlerContext, type HandlerTable, list, ok, type RpcReply } from '../rpc-reply';
import { badRequest } from '../rpc-error';

function addColony({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  authorization.requireServerOwner(signer);
  const colony = obj(msg, 'colony');
  const colonyId = str(colony, 'colonyid');
  const name = str(colony, 'name');
  if (!/^[0-9a-fA-F]{64}$/.test(colonyId)) throw badRequest('Failed to add colony, invalid colony Id length');
  checkName(name, 'colony');
  if (statements.colonies.get(name)) throw badRequest(`A Colony with name <${name}> already exists`);
  statements.colonies.insert(name, colonyId.toLowerCase());
  return ok('addcolonymsg', { colonyid: colonyId.toLowerCase(), name });
}

function removeColony({ authorization, statements, scheduler, transaction }: HandlerContext, { signer, msg }: Call): RpcReply {
  authorization.requireServerOwner(signer);
  const name = str(msg, 'colonyname');
  if (!statements.colonies.get(name)) throw badRequest(`Colony with name <${name}> not found`);
  transaction(() => statements.colonies.deleteWithContents(name));
  scheduler.releaseColony(name);
  return ok('removecolonymsg');
}

function getColonies({ authorization, statements }: HandlerContext, { signer }: Call): RpcReply {
  authorization.requireServerOwner(signer);
  return list('getcoloniesmsg', statements.colonies.list());
}

function getColony({ authorization }: HandlerContext, { signer, msg }: Call): RpcReply {
  const name = authorization.requireMember(signer, str(msg, 'colonyname'));
  const colony = authorization.colony(name);
  return ok('getcolonymsg', { colonyid: colony.colonyid, name: colony.name });
}

function pauseAssignments({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const name = str(msg, 'colonyname');
  authorization.requireColonyOwner(signer, name);
  statements.colonies.setPaused(name, true);
  return ok('pauseassignmentsmsg');
}

function resumeAssignments({ authorization, statements, scheduler }: HandlerContext, { signer, msg }: Call): RpcReply {
  const name = str(msg, 'colonyname');
  authorization.requireColonyOwner(signer, name);
  statements.colonies.setPaused(name, false);
  scheduler.dispatch(name);
  return ok('resumeassignmentsmsg');
}

function getPauseStatus({ authorization }: HandlerContext, { signer, msg }: Call): RpcReply {
  const name = authorization.requireMember(signer, str(msg, 'colonyname'));
  return ok('pausestatusreplymsg', { colonyname: name, ispaused: authorization.colony(name).paused === 1 });
}

export const colonyHandlers: HandlerTable = {
  addcolonymsg: addColony,
  removecolonymsg: removeColony,
  getcoloniesmsg: getColonies,
  getcolonymsg: getColony,
  pauseassignmentsmsg: pauseAssignments,
  resumeassignmentsmsg: resumeAssignments,
  getpausestatusmsg: getPauseStatus,
};
