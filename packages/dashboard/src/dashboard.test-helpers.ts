// A dev-server colony, the dashboard in front of it, and a raw HTTP client
// that can send any Host / Origin / cookie and keeps every body it received
// (the tests scan them all for private keys).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createLocalBlobStore, type BlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { RunRecordKey } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { startDashboardServer, type DashboardServer } from './dashboard-server';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface DashboardColony {
  server: DevServer;
  user: ColoniesClient;
  executor: ColoniesClient;
  dashboard: DashboardServer;
  webDir: string;
  /** Every body the dashboard sent, for the private-key scan. */
  bodies: Buffer[];
  /** A request with the session token (as a Bearer header unless `headers` says otherwise). */
  call(path: string, options?: { method?: string; headers?: Record<string, string>; token?: boolean }): Promise<Reply>;
  /** Submits a process of `project` and (with `assign`) has the bootstrap executor take it. */
  submit(project: string, options?: { assign?: boolean }): Promise<string>;
  /** Records `files` as the results of `processId` (a CFS snapshot named in its attributes). */
  recordResults(processId: string, project: string, files: Record<string, Buffer>): Promise<void>;
  close(): Promise<void>;
}

export interface DashboardColonyOptions {
  /** Write the stand-in app files (default true). */
  built?: boolean;
  /** Where the results' bytes go (default the dev-server's local blob directory; S3 for the S3 test). */
  blobStore?: BlobStore;
  toolVersion?: string;
}

export async function startDashboardColony(options: DashboardColonyOptions = {}): Promise<DashboardColony> {
  const server = await startDevServer({});
  const { colony, user, executor } = server.identities;
  const as = (privateKey: string) => createColoniesClient({ url: server.url, privateKey, colonyName: colony.name, retry: false });
  const webDir = mkdtempSync(join(tmpdir(), 'pollinator-dashboard-web-'));
  if (options.built !== false) {
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Pollinator</title><div id="app"></div>');
    writeFileSync(join(webDir, 'app.js'), 'console.log("app")');
  }
  const blobStore = options.blobStore ?? createLocalBlobStore({ dir: server.blobDir });
  const dashboard = await startDashboardServer({
    client: as(user.privateKey),
    webDir,
    pollIntervalMs: 50,
    blobStore: async () => blobStore,
    ...(options.toolVersion === undefined ? {} : { toolVersion: options.toolVersion }),
  });
  const bodies: Buffer[] = [];
  const userClient = as(user.privateKey);
  const executorClient = as(executor.privateKey);
  const self: DashboardColony = {
    server,
    user: userClient,
    executor: executorClient,
    dashboard,
    webDir,
    bodies,
    async call(path, callOptions = {}) {
      const headers: Record<string, string> = { host: `127.0.0.1:${dashboard.port}`, ...callOptions.headers };
      if (callOptions.token !== false && headers.cookie === undefined) headers.authorization = `Bearer ${dashboard.token}`;
      const reply = await rawRequest(dashboard.port, path, callOptions.method ?? 'GET', headers);
      bodies.push(reply.body);
      return reply;
    },
    async submit(project, submitOptions = {}) {
      const submitted = await userClient.submit({ funcname: 'execute', label: project, conditions: { executortype: executor.type }, maxexectime: 600 });
      if (submitOptions.assign === true) {
        const assigned = await executorClient.assign({ timeout: 5 });
        if (assigned?.processid !== submitted.processid) throw new Error('the test process was not assigned to the executor');
      }
      return submitted.processid;
    },
    async recordResults(processId, project, files) {
      const label = `/pollinator/${project}/result`;
      for (const [path, bytes] of Object.entries(files)) {
        const key = randomBytes(32).toString('hex');
        await blobStore.put(key, Readable.from([bytes]), { size: bytes.length });
        const slash = path.lastIndexOf('/');
        await executorClient.addFile({
          label: slash === -1 ? label : `${label}/${path.slice(0, slash)}`,
          name: path.slice(slash + 1),
          size: bytes.length,
          checksum: createHash('sha256').update(bytes).digest('hex'),
          // As the executor records them: where the object is (S3: server, bucket…) and its key.
          ref: { protocol: 's3', s3object: { ...blobStore.location, object: key } },
        });
      }
      const snapshot = await executorClient.createSnapshot({ label, name: `result-${processId}-${randomBytes(4).toString('hex')}` });
      await executorClient.addAttribute({ processId, key: RunRecordKey.resultSnapshot, value: snapshot.snapshotid });
    },
    async close() {
      await dashboard.close();
      await server.close();
      rmSync(webDir, { recursive: true, force: true });
    },
  };
  return self;
}

export function rawRequest(port: number, path: string, method: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method, headers, setHost: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString('utf8') });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

/** Reads Server-Sent Events from `path` until `until` says stop; returns them. */
export function readEvents(
  port: number,
  path: string,
  headers: Record<string, string>,
  until: (event: { event: string; data: unknown; id?: string }, all: { event: string; data: unknown; id?: string }[]) => boolean,
  onRaw?: (chunk: Buffer) => void,
): Promise<{ event: string; data: unknown; id?: string }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: unknown; id?: string }[] = [];
    const request = httpRequest({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers }, setHost: false }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`SSE ${path} answered ${response.statusCode}`));
      let buffer = '';
      const finish = () => {
        request.destroy();
        resolve(events);
      };
      response.on('data', (chunk: Buffer) => {
        onRaw?.(chunk);
        buffer += chunk.toString('utf8');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(block.split('\n').filter((line) => !line.startsWith(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
          if (fields.event === undefined) continue;
          const event = { event: fields.event, data: JSON.parse(fields.data ?? 'null') as unknown, ...(fields.id === undefined ? {} : { id: fields.id }) };
          events.push(event);
          if (until(event, events)) return finish();
        }
      });
      response.on('end', () => resolve(events));
    });
    request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
    request.end();
  });
}
