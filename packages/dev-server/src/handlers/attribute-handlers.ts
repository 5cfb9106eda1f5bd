// Attributes of a process (§3.9): added by its assigned executor while it runs, read by members.
import { attributeId } from '../identifiers';
import { int, obj, str } from '../json-reader';
import { attributeJson } from '../model';
import { type Call, type HandlerContext, type HandlerTable, ok, type RpcReply } from '../rpc-reply';
import { badRequest } from '../rpc-error';

function addAttribute({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const attribute = obj(msg, 'attribute');
  const processId = str(attribute, 'targetid');
  const type = int(attribute, 'attributetype');
  const key = str(attribute, 'key');
  const value = str(attribute, 'value');
  const row = authorization.requireAssignedExecutor(signer, processId, {
    notRunning: 'Failed to add attribute, process is not running',
    notAllowed: 'Failed to add attribute, not allowed to add attribute',
  });
  if (type < 0 || type > 3) throw badRequest('Failed to add attribute, invalid attribute type');
  const stored = {
    attributeid: attributeId(processId, key, type),
    targetid: processId,
    colonyname: row.colonyname,
    state: int(attribute, 'state'),
    type,
    key,
    value,
  };
  statements.attributes.upsert(stored);
  return ok('addattributemsg', attributeJson(stored));
}

function getAttribute({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const attribute = statements.attributes.get(str(msg, 'attributeid'));
  if (!attribute) throw badRequest('Attribute does not exists');
  authorization.requireMember(signer, attribute.colonyname);
  return ok('getattributemsg', attributeJson(attribute));
}

export const attributeHandlers: HandlerTable = {
  addattributemsg: addAttribute,
  getattributemsg: getAttribute,
};
