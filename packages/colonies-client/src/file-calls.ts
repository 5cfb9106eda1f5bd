// CFS file revisions, labels and snapshots (the blobs themselves go to S3 separately).
import { checkName } from './argument-checks';
import type { ColonyCallOptions } from './colony-call-options';
import { expectList, expectObject, toCfsFile, toFileData, toLabel, toSnapshot } from './convert';
import { ColoniesError } from './errors';
import { read, write, type RpcCore } from './rpc-core';
import type { CallOptions } from './transport';
import type { CfsFile, CfsFileInput, FileData, Label, Snapshot } from './types';

/** One file revision by id, or the file `label`+`name`. */
export type FileQuery = { fileId: string; colonyName?: string } | { label: string; name: string; colonyName?: string };

export interface FileRevisionsQuery {
  label: string;
  name: string;
  colonyName?: string;
}

export interface FileLabelsQuery {
  name?: string;
  exact?: boolean;
  colonyName?: string;
}

export interface SnapshotInput {
  label: string;
  name: string;
  colonyName?: string;
}

/** One snapshot by id or by name. */
export type SnapshotQuery = { snapshotId: string; colonyName?: string } | { name: string; colonyName?: string };

/** The `file` of an `addfilemsg`, every field present as the server expects (S3 credentials left empty). */
function fileBody(core: RpcCore, file: CfsFileInput): Record<string, unknown> {
  const s3 = file.ref.s3object;
  return {
    fileid: file.fileid ?? '',
    colonyname: core.colony(file.colonyname),
    label: file.label,
    name: file.name,
    size: file.size,
    sequencenr: file.sequencenr ?? 0,
    checksum: file.checksum,
    checksumalg: file.checksumalg ?? 'SHA256',
    ref: {
      protocol: file.ref.protocol ?? 's3',
      s3object: {
        server: s3.server ?? '',
        port: s3.port ?? -1,
        tls: s3.tls ?? false,
        accesskey: s3.accesskey ?? '',
        secretkey: s3.secretkey ?? '',
        region: s3.region ?? '',
        encryptionkey: s3.encryptionkey ?? '',
        encryptionalg: s3.encryptionalg ?? '',
        object: s3.object,
        bucket: s3.bucket ?? '',
      },
    },
    added: file.added ?? '0001-01-01T00:00:00Z',
  };
}

export async function addFile(core: RpcCore, file: CfsFileInput, options?: CallOptions): Promise<CfsFile> {
  return toCfsFile(expectObject('addfilemsg', await write(core, 'addfilemsg', { file: fileBody(core, file) }, options)));
}

async function getFileQuery(core: RpcCore, fields: Record<string, unknown>, options?: CallOptions): Promise<CfsFile[]> {
  return expectList('getfilemsg', await read(core, 'getfilemsg', fields, options), toCfsFile);
}

export async function getFile(core: RpcCore, query: FileQuery, options?: CallOptions): Promise<CfsFile> {
  const files = await getFileQuery(
    core,
    'fileId' in query
      ? { colonyname: core.colony(query.colonyName), fileid: query.fileId, label: '', name: '', latest: false }
      : { colonyname: core.colony(query.colonyName), fileid: '', label: query.label, name: query.name, latest: true },
    options,
  );
  const file = files[0];
  if (!file) throw new ColoniesError({ status: 404, httpStatus: 200, serverMessage: 'no such file', payloadtype: 'getfilemsg', envelope: false, retryable: false });
  return file;
}

export async function getFileRevisions(core: RpcCore, query: FileRevisionsQuery, options?: CallOptions): Promise<CfsFile[]> {
  return getFileQuery(core, { colonyname: core.colony(query.colonyName), fileid: '', label: query.label, name: query.name, latest: false }, options);
}

export async function getFiles(core: RpcCore, label: string, options?: ColonyCallOptions): Promise<FileData[]> {
  return expectList('getfilesmsg', await read(core, 'getfilesmsg', { label, colonyname: core.colony(options?.colonyName) }, options), toFileData);
}

export async function getFileLabels(core: RpcCore, query: FileLabelsQuery, options?: CallOptions): Promise<Label[]> {
  const reply = await read(
    core,
    'getfilelabelsmsg',
    { colonyname: core.colony(query.colonyName), name: query.name ?? '', exact: query.exact ?? false },
    options,
  );
  return expectList('getfilelabelsmsg', reply, toLabel);
}

export async function removeFile(core: RpcCore, query: FileQuery, options?: CallOptions): Promise<void> {
  const fields =
    'fileId' in query
      ? { colonyname: core.colony(query.colonyName), fileid: query.fileId, label: '', name: '' }
      : { colonyname: core.colony(query.colonyName), fileid: '', label: query.label, name: query.name };
  await write(core, 'removefilemsg', fields, options);
}

export async function createSnapshot(core: RpcCore, query: SnapshotInput, options?: CallOptions): Promise<Snapshot> {
  checkName(query.name, 'snapshot name');
  const reply = await write(core, 'createsnapshotmsg', { colonyname: core.colony(query.colonyName), label: query.label, name: query.name }, options);
  return toSnapshot(expectObject('createsnapshotmsg', reply));
}

function snapshotFields(core: RpcCore, query: SnapshotQuery): Record<string, unknown> {
  return 'snapshotId' in query
    ? { colonyname: core.colony(query.colonyName), snapshotid: query.snapshotId, name: '' }
    : { colonyname: core.colony(query.colonyName), snapshotid: '', name: query.name };
}

export async function getSnapshot(core: RpcCore, query: SnapshotQuery, options?: CallOptions): Promise<Snapshot> {
  return toSnapshot(expectObject('getsnapshotmsg', await read(core, 'getsnapshotmsg', snapshotFields(core, query), options)));
}

export async function getSnapshots(core: RpcCore, options?: ColonyCallOptions): Promise<Snapshot[]> {
  return expectList('getsnapshotsmsg', await read(core, 'getsnapshotsmsg', { colonyname: core.colony(options?.colonyName) }, options), toSnapshot);
}

export async function removeSnapshot(core: RpcCore, query: SnapshotQuery, options?: CallOptions): Promise<void> {
  await write(core, 'removesnapshotmsg', snapshotFields(core, query), options);
}

export async function removeAllSnapshots(core: RpcCore, options?: ColonyCallOptions): Promise<void> {
  await write(core, 'removeallsnapshotmsg', { colonyname: core.colony(options?.colonyName) }, options);
}
