// CFS file metadata (§4.1): revisions of named files under labels, kept and read by members.
import { formatTime } from '../clock';
import { randomId } from '../identifiers';
import { bool, int, type JsonObject, obj, str } from '../json-reader';
import { type Call, type HandlerContext, type HandlerTable, list, ok, type RpcReply } from '../rpc-reply';
import { badRequest, notFound } from '../rpc-error';
import type { FileRow, LabelRow } from '../stored-rows';

export function fileJson(row: FileRow): JsonObject {
  return {
    fileid: row.fileid,
    colonyname: row.colonyname,
    label: row.label,
    name: row.name,
    size: Number(row.size),
    sequencenr: Number(row.sequencenr),
    checksum: row.checksum,
    checksumalg: row.checksumalg,
    ref: JSON.parse(row.ref) as unknown,
    added: formatTime(row.added),
  };
}

function normaliseRef(source: JsonObject | null): JsonObject {
  const s3 = obj(source, 's3object');
  return {
    protocol: str(source, 'protocol'),
    s3object: {
      server: str(s3, 'server'),
      port: int(s3, 'port'),
      tls: bool(s3, 'tls'),
      accesskey: str(s3, 'accesskey'),
      secretkey: str(s3, 'secretkey'),
      region: str(s3, 'region'),
      encryptionkey: str(s3, 'encryptionkey'),
      encryptionalg: str(s3, 'encryptionalg'),
      object: str(s3, 'object'),
      bucket: str(s3, 'bucket'),
    },
  };
}

/** The object name of a stored S3 reference. */
function s3ObjectName(ref: string): string {
  return str(obj(JSON.parse(ref) as JsonObject, 's3object'), 'object');
}

function addFile({ authorization, statements, clock }: HandlerContext, { signer, msg }: Call): RpcReply {
  const file = obj(msg, 'file');
  const colonyname = str(file, 'colonyname');
  authorization.requireMember(signer, colonyname);
  const ref = normaliseRef(obj(file, 'ref'));
  const stored = statements.files.insert({
    fileid: randomId(),
    colonyname,
    label: str(file, 'label'),
    name: str(file, 'name'),
    size: int(file, 'size'),
    checksum: str(file, 'checksum'),
    checksumalg: str(file, 'checksumalg'),
    ref: JSON.stringify(ref),
    added: clock.now(),
  });
  return ok('addfilemsg', fileJson(stored));
}

function getFiles({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const rows = statements.files.latestInLabel(colonyname, str(msg, 'label'));
  return ok(
    'getfilesmsg',
    rows.map((row) => ({ name: row.name, checksum: row.checksum, size: Number(row.size), s3filename: s3ObjectName(row.ref) })),
  );
}

function getFile({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const fileId = str(msg, 'fileid');
  if (fileId) {
    const row = statements.files.byId(colonyname, fileId);
    if (!row) throw badRequest('Failed to get file');
    return ok('getfilemsg', [fileJson(row)]);
  }
  const rows = statements.files.revisions(colonyname, str(msg, 'label'), str(msg, 'name'));
  if (rows.length === 0) throw notFound('Failed to get file');
  return ok('getfilemsg', (bool(msg, 'latest') ? rows.slice(0, 1) : rows).map(fileJson));
}

/** The labels a `getfilelabelsmsg` asks for: all, one label and those below it (`exact`), or by prefix. */
function matchingLabels(labels: LabelRow[], name: string, exact: boolean): LabelRow[] {
  if (name === '') return labels;
  if (!exact) return labels.filter((label) => label.name.startsWith(name));
  // v1.9.12 quirk: a label with no files of its own hides its sub-labels.
  if (!labels.some((label) => label.name === name)) return [];
  return labels.filter((label) => label.name === name || label.name.startsWith(`${name}/`));
}

function getFileLabels({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = str(msg, 'colonyname');
  const name = str(msg, 'name');
  const exact = bool(msg, 'exact');
  authorization.requireMember(signer, colonyname);
  return list('getfilelabelsmsg', matchingLabels(statements.files.labels(colonyname), name, exact));
}

function removeFile({ authorization, statements }: HandlerContext, { signer, msg }: Call): RpcReply {
  const colonyname = authorization.requireMember(signer, str(msg, 'colonyname'));
  const fileId = str(msg, 'fileid');
  if (fileId) statements.files.removeById(colonyname, fileId);
  else statements.files.removeByName(colonyname, str(msg, 'label'), str(msg, 'name'));
  return ok('removefilemsg');
}

export const fileHandlers: HandlerTable = {
  addfilemsg: addFile,
  getfilesmsg: getFiles,
  getfilemsg: getFile,
  getfilelabelsmsg: getFileLabels,
  removefilemsg: removeFile,
};
