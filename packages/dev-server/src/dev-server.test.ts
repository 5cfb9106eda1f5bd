import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createColoniesClient, loadColoniesConfig } from '@pollinator/colonies-client';
import { generatePrivateKey, idOf } from '@pollinator/crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DevServer, startDevServer } from './index';
import { envelope, postRaw, rpc } from './rpc-test-client.test-helpers';

const servers: DevServer[] = [];
const dirs: string[] = [];
async function start(options: Parameters<typeof startDevServer>[0] = {}): Promise<DevServer> {
  const server = await startDevServer(options);
  servers.push(server);
  return server;
}
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pollinator-dev-server-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const spec = (executortype = 'container-executor') => ({
  funcname: 'execute',
  maxexectime: -1,
  maxwaittime: -1,
  conditions: { colonyname: 'dev', executortype },
});

describe('startDevServer', () => {
  it('starts on a fresh data dir well under a second, with bootstrap identities that work', async () => {
    const started = performance.now();
    const server = await start();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { user, executor, colony, serverOwner } = server.identities;
    expect(idOf(user.privateKey)).toBe(user.id);
    expect((await rpc(server.url, user.privateKey)('getcolonymsg', { colonyname: colony.name })).json).toEqual({
      colonyid: colony.id,
      name: colony.name,
    });
    expect((await rpc(server.url, serverOwner.privateKey)('getcoloniesmsg')).status).toBe(200);
    const executorView = await rpc(server.url, user.privateKey)('getexecutormsg', {
      colonyname: colony.name,
      executorname: executor.name,
    });
    expect(executorView.json).toMatchObject({ executorid: executor.id, state: 1, executortype: executor.type });
    expect((await stat(server.blobDir)).isDirectory()).toBe(true);
  });

  it('writes an env file that COLONIES_* readers understand', async () => {
    const server = await start();
    const dir = await tempDir();
    await server.writeEnvFile(join(dir, 'user.env'));
    await server.writeEnvFile(join(dir, 'executor.env'), 'executor');
    const parse = (text: string) =>
      Object.fromEntries(
        text
          .split('\n')
          .filter((line) => line && !line.startsWith('#'))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
    const userEnv = parse(await readFile(join(dir, 'user.env'), 'utf8'));
    const executorEnv = parse(await readFile(join(dir, 'executor.env'), 'utf8'));
    expect(userEnv.COLONIES_PRVKEY).toBe(server.identities.user.privateKey);
    expect(executorEnv.COLONIES_PRVKEY).toBe(server.identities.executor.privateKey);
    expect(((await stat(join(dir, 'user.env'))).mode & 0o777).toString(8)).toBe('600');
    const config = loadColoniesConfig(userEnv);
    const client = createColoniesClient(config);
    expect((await client.getColony()).name).toBe(server.identities.colony.name);
  });

  it('keeps its identities and state across restarts on the same data dir', async () => {
    const dataDir = await tempDir();
    const first = await startDevServer({ dataDir });
    const submitted = await rpc(first.url, first.identities.user.privateKey)('submitfuncspecmsg', { spec: spec() });
    await first.close();
    const second = await start({ dataDir });
    expect(second.identities).toEqual(first.identities);
    const again = await rpc(second.url, second.identities.user.privateKey)('getprocessmsg', {
      processid: submitted.json.processid,
    });
    expect(again.json.processid).toBe(submitted.json.processid);
  });

  it('refuses to bind a non-loopback address without allowRemote', async () => {
    await expect(startDevServer({ host: '0.0.0.0' })).rejects.toThrow(/refusing to bind 0\.0\.0\.0/);
    const server = await start({ host: '0.0.0.0', allowRemote: true });
    expect(server.port).toBeGreaterThan(0);
  });

  it('finishes in-flight requests on close and releases everything', async () => {
    const server = await startDevServer();
    const { executor, colony } = server.identities;
    // A waiting long-poll is answered (404, the normal "nothing to do") rather than cut off.
    const poll = postRaw(server.url, envelope('assignprocessmsg', { colonyname: colony.name, timeout: 30 }, executor.privateKey));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/pubsub`);
    await new Promise((resolve) => ws.once('open', resolve));
    const wsClosed = new Promise((resolve) => ws.once('close', resolve));
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect((await poll).status).toBe(404);
    await wsClosed;
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    // The temporary data dir is gone.
    await expect(stat(server.dataDir)).rejects.toThrow();
  });

  it('leaves no timer, socket or handle behind after close', async () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap').length;
    for (let i = 0; i < 10; i++) {
      const server = await startDevServer();
      const user = rpc(server.url, server.identities.user.privateKey);
      await user('submitfuncspecmsg', { spec: spec() });
      await server.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap').length;
    expect(after).toBeLessThanOrEqual(before);
  });

  it('answers /health, CORS preflight and plain-text envelopes', async () => {
    const server = await start();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    const preflight = await fetch(`${server.url}/api`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    const reply = await fetch(`${server.url}/api`, {
      method: 'POST',
      body: envelope('getcolonymsg', { colonyname: 'dev' }, server.identities.user.privateKey),
    });
    expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });
});

describe('processes', () => {
  it('assigns by priority, then submission order', async () => {
    const server = await start();
    const user = rpc(server.url, server.identities.user.privateKey);
    const executor = rpc(server.url, server.identities.executor.privateKey);
    const low = await user('submitfuncspecmsg', { spec: { ...spec(), priority: -1 } });
    const first = await user('submitfuncspecmsg', { spec: spec() });
    const second = await user('submitfuncspecmsg', { spec: spec() });
    const high = await user('submitfuncspecmsg', { spec: { ...spec(), priority: 3 } });
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 })).json.processid);
    expect(order).toEqual([high.json.processid, first.json.processid, second.json.processid, low.json.processid]);
  });

  it('matches executornames and cpu/mem admission', async () => {
    const server = await start();
    const user = rpc(server.url, server.identities.user.privateKey);
    const executor = rpc(server.url, server.identities.executor.privateKey);
    const pinned = await user('submitfuncspecmsg', {
      spec: { ...spec(), conditions: { ...spec().conditions, executornames: ['someone-else'] } },
    });
    expect(pinned.status).toBe(200);
    expect((await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 })).status).toBe(404);
    const big = await user('submitfuncspecmsg', {
      spec: { ...spec(), conditions: { ...spec().conditions, cpu: '2000m', mem: '2Gi' } },
    });
    expect((await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1, availablemem: '1Gi' })).status).toBe(404);
    const assigned = await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1, availablecpu: '2000m', availablemem: '2048Mi' });
    expect(assigned.json.processid).toBe(big.json.processid);
    expect(assigned.json.spec.conditions).toMatchObject({ cpu: '2000m', mem: '2048Mi' });
  });

  it('wakes a waiting long-poll within milliseconds of a submit', async () => {
    const server = await start();
    const user = rpc(server.url, server.identities.user.privateKey);
    const executor = rpc(server.url, server.identities.executor.privateKey);
    const waiting = executor('assignprocessmsg', { colonyname: 'dev', timeout: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = performance.now();
    const submitted = await user('submitfuncspecmsg', { spec: spec() });
    const assigned = await waiting;
    expect(assigned.json.processid).toBe(submitted.json.processid);
    expect(performance.now() - sent).toBeLessThan(1000);
  });

  it('removes executors that stayed silent longer than the stale duration', async () => {
    const server = await start({ staleExecutorSeconds: 1, cleanupIntervalSeconds: 0.2 });
    const owner = rpc(server.url, server.identities.colony.privateKey);
    const key = generatePrivateKey();
    await owner('addexecutormsg', {
      executor: { executorid: idOf(key), executorname: 'short-lived', executortype: 'x', colonyname: 'dev' },
    });
    await owner('approveexecutormsg', { colonyname: 'dev', executorname: 'short-lived' });
    const executor = rpc(server.url, key);
    expect((await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 })).status).toBe(404); // heartbeat
    const user = rpc(server.url, server.identities.user.privateKey);
    const heardAt = performance.now();
    let status = 200;
    while (status === 200 && performance.now() - heardAt < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await user('getexecutormsg', { colonyname: 'dev', executorname: 'short-lived' })).status;
    }
    expect(status).toBe(500);
    expect(performance.now() - heardAt).toBeGreaterThanOrEqual(900);
    expect((await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 })).status).toBe(403);
    // The bootstrap executor never called assign (lastheardfromtime unset) and stays.
    expect((await user('getexecutormsg', { colonyname: 'dev', executorname: server.identities.executor.name })).status).toBe(200);
  });

  it('re-queues an expired process with retries left, then fails it', async () => {
    const server = await start({ deadlineCheckIntervalMs: 50 });
    const user = rpc(server.url, server.identities.user.privateKey);
    const executor = rpc(server.url, server.identities.executor.privateKey);
    const submitted = await user('submitfuncspecmsg', { spec: { ...spec(), maxexectime: 1, maxretries: 1 } });
    const id = submitted.json.processid as string;
    await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 });
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect((await user('getprocessmsg', { processid: id })).json).toMatchObject({ state: 0, retries: 1, isassigned: false });
    expect((await executor('closesuccessfulmsg', { processid: id })).status).toBe(403);
    const again = await executor('assignprocessmsg', { colonyname: 'dev', timeout: 5 });
    expect(again.json.processid).toBe(id);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect((await user('getprocessmsg', { processid: id })).json).toMatchObject({
      state: 3,
      errors: ['Maximum execution time limit exceeded'],
    });
  });
});
