// Users of a colony (§3.3): added and removed by the colony's owner, listed by its members.
import { checkName } from '../identifiers';
import { type JsonObject, obj, str } from '../json-reader';
import { type Call, type HandlerContext, type HandlerTable, list, ok, type RpcReply } from '../rpc-reply';
import { badRequest, serverError } from '../rpc-error';
import type { UserRow } from '../stored-rows';

function userJson(row: UserRow): JsonObject {
  return { colonyname: row.colonyname, userid: row.userid, name: row.name, email: row.email, phone: row.phone };
}

function addUser({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const user = obj(msg, 'user');
  const colonyname = str(user, 'colonyname');
  authorization.requireColonyOwner(signer, colonyname);
  const name = str(user, 'name');
  const userId = str(user, 'userid').toLowerCase();
  checkName(name, 'user');
  if (!/^[0-9a-f]{64}$/.test(userId)) throw badRequest('Failed to add user, invalid user Id length');
  if (statements.users.byName(colonyname, name)) throw badRequest(`A user with name <${name}> already exists in Colony <${colonyname}>`);
  const record: UserRow = { colonyname, userid: userId, name, email: str(user, 'email'), phone: str(user, 'phone') };
  statements.users.insert(record);
  return ok('addusermsg', record);
}

function getUsers({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  return list('getusersmsg', statements.users.list(colonyname).map(userJson));
}

function getUser({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const user = statements.users.byName(colonyname, str(msg, 'name'));
  if (!user) throw serverError('Failed to get user, user not found');
  return ok('getusermsg', userJson(user));
}

function removeUser({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = str(msg, 'colonyname');
  authorization.requireColonyOwner(signer, colonyname);
  const name = str(msg, 'name');
  if (!statements.users.byName(colonyname, name)) throw serverError('Failed to remove user, user not found');
  statements.users.remove(colonyname, name);
  return ok('removeusermsg');
}

export const userHandlers: HandlerTable = {
  addusermsg: addUser,
  getusersmsg: getUsers,
  getusermsg: getUser,
  removeusermsg: removeUser,
};
