// CFS snapshots (§4.1): the newest file revisions under a label, frozen under a name, kept by members.
import { formatTime } from '../clock';
import { checkName, randomId } from '../identifiers';
import { type JsonObject, str } from '../json-reader';
import { type Call, type HandlerContext, type HandlerTable, list, ok, type RpcReply } from '../rpc-reply';
import { serverError } from '../rpc-error';
import type { SnapshotRow } from '../stored-rows';

function snapshotJson(row: SnapshotRow): JsonObject {
  return {
    snapshotid: row.snapshotid,
    colonyname: row.colonyname,
    label: row.label,
    name: row.name,
    fileids: JSON.parse(row.fileids) as unknown,
    added: formatTime(row.added),
  };
}

function createSnapshot({ authorization, statements, clock }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const label = str(msg, 'label').replace(/\/$/, '');
  const name = str(msg, 'name');
  checkName(name, 'snapshot');
  if (statements.snapshots.byName(colonyname, name)) {
    throw serverError(`Snapshot with name <${name}> in Colony <${colonyname}> already exists`);
  }
  // v1.9.12 quirk: the same lookup as an exact label query, so a root
  // label without files of its own gives an empty snapshot.
  const hasDirectFiles = statements.files.latestInLabel(colonyname, label).length > 0;
  const fileIds = hasDirectFiles ? statements.files.latestIdsInTree(colonyname, label) : [];
  const snapshotId = randomId();
  const now = clock.now();
  const storedIds = fileIds.length ? fileIds : null;
  statements.snapshots.insert({ snapshotid: snapshotId, colonyname, name, label, fileids: JSON.stringify(storedIds), added: now });
  return ok('createsnapshotmsg', {
    snapshotid: snapshotId,
    colonyname,
    label,
    name,
    fileids: storedIds,
    added: formatTime(now, 9),
  });
}

function getSnapshot({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const snapshotId = str(msg, 'snapshotid');
  const name = str(msg, 'name');
  const row = snapshotId ? statements.snapshots.byId(colonyname, snapshotId) : statements.snapshots.byName(colonyname, name);
  if (!row) {
    throw serverError(
      snapshotId
        ? `Snapshot not found with Id <${snapshotId}> in Colony <${colonyname}> does not exists`
        : `Snapshot not found with name <${name}> in Colony <${colonyname}> does not exists`,
    );
  }
  return ok('getsnapshotmsg', snapshotJson(row));
}

function getSnapshots({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  return list('getsnapshotsmsg', statements.snapshots.list(colonyname).map(snapshotJson));
}

function removeSnapshot({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const snapshotId = str(msg, 'snapshotid');
  if (snapshotId) statements.snapshots.removeById(colonyname, snapshotId);
  else statements.snapshots.removeByName(colonyname, str(msg, 'name'));
  return ok('removesnapshotmsg');
}

function removeAllSnapshots({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  statements.snapshots.removeAll(colonyname);
  return ok('removeallsnapshotmsg');
}

export const snapshotHandlers: HandlerTable = {
  createsnapshotmsg: createSnapshot,
  getsnapshotmsg: getSnapshot,
  getsnapshotsmsg: getSnapshots,
  removesnapshotmsg: removeSnapshot,
  removeallsnapshotmsg: removeAllSnapshots,
};
