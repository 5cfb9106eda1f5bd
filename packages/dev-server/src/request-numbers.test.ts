// Issue #13 case 6: numbers in requests. A `maxexectime` of ~7.4e9 s used to
// pass the submit, overflow int64 nanoseconds in the assignment and throw a
// RangeError inside a microtask, which ended the server; after a restart every
// assign answered 500 until the process was cancelled.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DevServer, startDevServer } from './index';
import { REQUEST_LIMITS } from './request-limits';
import { envelope, jsonWithRaw, postRaw, rawEnvelope, rpc } from './rpc-test-client.test-helpers';

const servers: DevServer[] = [];
const dirs: string[] = [];
async function start(options: Parameters<typeof startDevServer>[0] = {}): Promise<DevServer> {
  const server = await startDevServer(options);
  servers.push(server);
  return server;
}
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const spec = (extra: Record<string, unknown> = {}, conditions: Record<string, unknown> = {}) => ({
  funcname: 'execute',
  maxexectime: -1,
  maxwaittime: -1,
  ...extra,
  conditions: { colonyname: 'dev', executortype: 'container-executor', ...conditions },
});

/** Copies a stored process under a new id with some columns changed (rows written by an older server). */
function cloneProcessRow(dataDir: string, processId: string, newId: string, changes: Record<string, unknown>): void {
  const db = new Database(join(dataDir, 'colonies.sqlite'));
  try {
    const row = db.prepare('SELECT * FROM processes WHERE processid = ?').safeIntegers(true).get(processId) as Record<string, unknown>;
    const copy = { ...row, ...changes, processid: newId };
    const columns = Object.keys(copy);
    db.prepare(`INSERT INTO processes (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(copy);
  } finally {
    db.close();
  }
}

describe('numbers in requests (issue #13 case 6)', () => {
  it('refuses a maxexectime, maxwaittime or walltime past the documented limit with a 400 naming the field', async () => {
    const server = await start();
    const user = rpc(server.url, server.identities.user.privateKey);
    const tooLong = REQUEST_LIMITS.durationSeconds + 1;
    for (const [extra, conditions, field] of [
      [{ maxexectime: 7_400_000_000 }, {}, 'maxexectime'],
      [{ maxwaittime: tooLong }, {}, 'maxwaittime'],
      [{}, { walltime: 8_000_000_000 }, 'walltime'],
    ] as const) {
      const reply = await user('submitfuncspecmsg', { spec: spec(extra, conditions) });
      expect(reply.status, field).toBe(400);
      expect(reply.json.message).toContain(`field ${field}`);
    }
    const limit = REQUEST_LIMITS.durationSeconds;
    const atLimit = await user('submitfuncspecmsg', { spec: spec({ maxexectime: limit, maxwaittime: limit }, { walltime: limit }) });
    expect(atLimit.status).toBe(200);
    const assigned = await rpc(server.url, server.identities.executor.privateKey)('assignprocessmsg', { colonyname: 'dev', timeout: -1 });
    expect(assigned.json.processid).toBe(atLimit.json.processid);
    const deadline = (await user('getprocessmsg', { processid: atLimit.json.processid })).json.execdeadline as string;
    expect(Date.parse(deadline) - Date.now()).toBeGreaterThan((limit - 60) * 1000);
  });

  it('refuses integers a JavaScript number cannot hold exactly, and memory or cpu past int64', async () => {
    const server = await start();
    const { user, executor } = server.identities;
    const submitted = await postRaw(
      server.url,
      rawEnvelope(
        'submitfuncspecmsg',
        jsonWithRaw({ msgtype: 'submitfuncspecmsg', spec: spec({ priority: 'BIG' }) }, { BIG: '9007199254740993' }),
        user.privateKey,
      ),
    );
    expect(submitted.status).toBe(400);
    expect(submitted.json.message).toContain('field priority');
    const memory = await rpc(server.url, user.privateKey)('submitfuncspecmsg', { spec: spec({}, { mem: '99999999999999Gi' }) });
    expect(memory.status).toBe(400);
    expect(memory.json.message).toContain('conditions.mem');
    const cpu = await rpc(server.url, user.privateKey)('submitfuncspecmsg', { spec: spec({}, { cpu: `${'9'.repeat(100_000)}m` }) });
    expect(cpu.status).toBe(400);
    expect(cpu.json.message).toContain('conditions.cpu');
    const assign = rpc(server.url, executor.privateKey);
    const available = await assign('assignprocessmsg', { colonyname: 'dev', timeout: -1, availablemem: '99999999999999Ti' });
    expect(available.status).toBe(400);
    expect(available.json.message).toContain('availablemem');
    const timeout = await assign('assignprocessmsg', { colonyname: 'dev', timeout: REQUEST_LIMITS.timeoutSeconds + 1 });
    expect(timeout.status).toBe(400);
    expect(timeout.json.message).toContain('field timeout');
  });

  it('closes a stored process it cannot assign failed with the reason and keeps assigning, also after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pollinator-dev-server-numbers-'));
    dirs.push(dataDir);
    const first = await startDevServer({ dataDir });
    const template = await rpc(first.url, first.identities.user.privateKey)('submitfuncspecmsg', { spec: spec({ priority: 2 }) });
    const good = await rpc(first.url, first.identities.user.privateKey)('submitfuncspecmsg', { spec: spec() });
    await first.close();
    // Rows as a server before the limits could have stored them (same priority as the template, so first in line).
    const overflowing = 'a'.repeat(64);
    const damaged = 'b'.repeat(64);
    cloneProcessRow(dataDir, template.json.processid, overflowing, { maxexectime: 8_000_000_000n });
    cloneProcessRow(dataDir, template.json.processid, damaged, { spec: '{not json' });
    const db = new Database(join(dataDir, 'colonies.sqlite'));
    db.prepare('DELETE FROM processes WHERE processid = ?').run(template.json.processid);
    db.close();

    const server = await start({ dataDir });
    const user = rpc(server.url, server.identities.user.privateKey);
    const executor = rpc(server.url, server.identities.executor.privateKey);
    const assigned = await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 });
    expect(assigned.status).toBe(200);
    expect(assigned.json.processid).toBe(good.json.processid);
    const overflowed = (await user('getprocessmsg', { processid: overflowing })).json;
    expect(overflowed.state).toBe(3);
    expect(overflowed.errors[0]).toMatch(/cannot assign this process: maxexectime 8000000000 s is above the limit/);
    const db2 = new Database(join(dataDir, 'colonies.sqlite'), { readonly: true });
    const damagedRow = db2.prepare('SELECT state, errors FROM processes WHERE processid = ?').get(damaged) as { state: number; errors: string };
    db2.close();
    expect(damagedRow.state).toBe(3);
    expect(JSON.parse(damagedRow.errors)[0]).toMatch(/cannot assign this process/);
  });

  it('survives an unassignable process met while handing work to a waiting executor', async () => {
    const server = await start();
    const user = rpc(server.url, server.identities.user.privateKey);
    const executor = rpc(server.url, server.identities.executor.privateKey);
    // Pinned to another executor: not handed out, a template for the row below.
    const template = await user('submitfuncspecmsg', { spec: spec({ priority: 2 }, { executornames: ['someone-else'] }) });
    const waiting = executor('assignprocessmsg', { colonyname: 'dev', timeout: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Written behind the server's back while the executor waits: the hand-out
    // after the next submit (a microtask) meets it first.
    cloneProcessRow(server.dataDir, template.json.processid, 'c'.repeat(64), {
      maxexectime: 8_000_000_000n,
      executornames: 'null',
    });
    const next = await user('submitfuncspecmsg', { spec: spec() });
    const assigned = await waiting;
    expect(assigned.status).toBe(200);
    expect(assigned.json.processid).toBe(next.json.processid);
    expect((await user('getprocessmsg', { processid: 'c'.repeat(64) })).json.state).toBe(3);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('answers a /pubsub subscription timeout past what a timer holds with a 400 error frame', async () => {
    const server = await start();
    const { user } = server.identities;
    const submitted = await rpc(server.url, user.privateKey)('submitfuncspecmsg', { spec: spec() });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/pubsub`);
    await new Promise((resolve) => ws.once('open', resolve));
    const frame = new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString('utf8'))));
    const subscribe = (timeout: number) =>
      envelope('subscribeprocessmsg', { processid: submitted.json.processid, executortype: 'container-executor', state: 2, timeout }, user.privateKey);
    ws.send(subscribe(REQUEST_LIMITS.timeoutSeconds + 1));
    const reply = JSON.parse(await frame) as { payload: string; error: boolean };
    expect(reply.error).toBe(true);
    const error = JSON.parse(Buffer.from(reply.payload, 'base64').toString('utf8')) as { status: number; message: string };
    expect(error.status).toBe(400);
    expect(error.message).toContain('field timeout');
    // The socket is still usable: before, the timer overflowed and fired at once, dropping it.
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});
