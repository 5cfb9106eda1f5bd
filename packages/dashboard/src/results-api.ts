// A run's results: the files of the result snapshot its executor recorded
// (POLLINATOR_RESULT_SNAPSHOT), each downloadable byte for byte from the blob
// store, and all of them as one `.tar`.
import type { ServerResponse } from 'node:http';
import type { BlobStore } from '@pollinator/cfs-sync';
import type { CfsFile, ColoniesClient } from '@pollinator/colonies-client';
import { RunRecordKey } from '@pollinator/core';
import type { ResultFile, RunResults } from './api-types';
import { DashboardError, notFound } from './dashboard-errors';
import { tarHeader, tarPadding, TAR_END } from './tar-entry';

interface ResolvedResults {
  snapshotId?: string;
  files: { file: ResultFile; object: string }[];
}

const ROOT_KEEP_FILE = '.pollinator-keep';

async function resolveResults(client: ColoniesClient, processId: string, signal?: AbortSignal): Promise<ResolvedResults> {
  const call = signal === undefined ? {} : { signal };
  const process = await client.getProcess(processId, call);
  const snapshotId = (process.attributes ?? []).filter((attribute) => attribute.key === RunRecordKey.resultSnapshot && attribute.value !== '').at(-1)?.value;
  if (snapshotId === undefined) return { files: [] };
  const colonyName = process.spec.conditions.colonyname;
  const snapshot = await client.getSnapshot({ snapshotId, colonyName }, call);
  const revisions: CfsFile[] = await Promise.all((snapshot.fileids ?? []).map((fileId) => client.getFile({ fileId, colonyName }, call)));
  const files = revisions
    .map((revision) => {
      const below = revision.label === snapshot.label ? '' : revision.label.slice(snapshot.label.length).replace(/^\/+/, '');
      const path = below === '' ? revision.name : `${below}/${revision.name}`;
      return { file: { path, size: revision.size, checksum: revision.checksum, added: revision.added }, object: revision.ref.s3object.object };
    })
    .filter((entry) => entry.file.path !== ROOT_KEEP_FILE)
    .sort((a, b) => (a.file.path < b.file.path ? -1 : a.file.path > b.file.path ? 1 : 0));
  return { snapshotId, files };
}

export async function listResults(client: ColoniesClient, processId: string, signal?: AbortSignal): Promise<RunResults> {
  const resolved = await resolveResults(client, processId, signal);
  if (resolved.snapshotId === undefined) {
    return { files: [], note: 'no results recorded for this run (yet): its executor records them when the job ends' };
  }
  return { snapshotId: resolved.snapshotId, files: resolved.files.map((entry) => entry.file) };
}

function noStore(): DashboardError {
  return new DashboardError('DASHBOARD_NO_RESULTS', 503, 'this dashboard has no access to the blob store, so it cannot download files');
}

/** Streams one result file, byte-exact. */
export async function sendResultFile(
  response: ServerResponse,
  options: { client: ColoniesClient; blobStore?: () => Promise<BlobStore>; processId: string; path: string; signal?: AbortSignal },
): Promise<void> {
  const resolved = await resolveResults(options.client, options.processId, options.signal);
  const found = resolved.files.find((entry) => entry.file.path === options.path);
  if (found === undefined) throw notFound(`the result file "${options.path}" of process ${options.processId}`);
  if (options.blobStore === undefined) throw noStore();
  const store = await options.blobStore();
  const body = await store.get(found.object, { size: found.file.size, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  const name = found.file.path.split('/').at(-1) ?? 'result';
  response.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': found.file.size,
    'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  body.pipe(response);
  await new Promise<void>((resolve, reject) => {
    body.once('error', reject);
    response.once('close', resolve);
  });
}

/** Streams every result file of the run as one ustar archive. */
export async function sendResultsTar(
  response: ServerResponse,
  options: { client: ColoniesClient; blobStore?: () => Promise<BlobStore>; processId: string; signal?: AbortSignal },
): Promise<void> {
  const resolved = await resolveResults(options.client, options.processId, options.signal);
  if (resolved.snapshotId === undefined) throw new DashboardError('DASHBOARD_NO_RESULTS', 404, `process ${options.processId} has no recorded results (yet)`);
  if (options.blobStore === undefined) throw noStore();
  const store = await options.blobStore();
  const headers = resolved.files.map((entry) => tarHeader(entry.file.path, entry.file.size, Date.parse(entry.file.added) || Date.now()));
  response.writeHead(200, {
    'content-type': 'application/x-tar',
    'content-disposition': `attachment; filename="${options.processId}-results.tar"`,
    'cache-control': 'no-store',
  });
  for (const [index, entry] of resolved.files.entries()) {
    response.write(headers[index]);
    const body = await store.get(entry.object, { size: entry.file.size, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    for await (const chunk of body) {
      if (!response.write(chunk as Buffer)) await new Promise((resolve) => response.once('drain', resolve));
    }
    response.write(tarPadding(entry.file.size));
  }
  response.end(TAR_END);
}
