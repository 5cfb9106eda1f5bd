// `pollinatorwaitlogsmsg` (issue #20): the dev-server holds a follower's log
// read until a line is added or the process changes state, times out, or
// the server closes; lines already there and a state the follower has not
// seen are answered at once. No timed assertions: "held" means still
// unanswered after other requests went through.
import { afterEach, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './index';
import { LogWaits } from './log-waits';
import type { RpcReply } from './rpc-reply';
import { rpc, type RawReply } from './rpc-test-client.test-helpers';

const servers: DevServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const RUNNING = 1;
const WAITING = 0;

async function runningProcess() {
  const server = await startDevServer();
  servers.push(server);
  const user = rpc(server.url, server.identities.user.privateKey);
  const executor = rpc(server.url, server.identities.executor.privateKey);
  const submitted = await user('submitfuncspecmsg', {
    spec: { funcname: 'f', maxexectime: -1, maxwaittime: -1, conditions: { colonyname: 'dev', executortype: 'container-executor' } },
  });
  const processid = submitted.json.processid as string;
  await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 });
  const wait = (fields: { state?: number; waitms?: number; count?: number; processid?: string } = {}) =>
    user('pollinatorwaitlogsmsg', { colonyname: 'dev', processid, count: 100, since: 0, state: RUNNING, waitms: 20_000, ...fields });
  return { server, user, executor, processid, wait };
}

/** A promise's reply, and whether it has come yet. */
function watch(reply: Promise<RawReply>): { reply: Promise<RawReply>; answered: () => boolean } {
  let answered = false;
  reply.then(
    () => (answered = true),
    () => (answered = true),
  );
  return { reply, answered: () => answered };
}

const messages = (reply: RawReply): string[] => (reply.json ?? []).map((log: { message: string }) => log.message);

describe('pollinatorwaitlogsmsg', () => {
  it('holds the read until a line is added, then answers with it', async () => {
    const { user, executor, processid, wait } = await runningProcess();
    const waiting = watch(wait());
    // Other requests are answered meanwhile; the wait is not.
    for (let index = 0; index < 3; index += 1) expect((await user('getprocessmsg', { processid })).status).toBe(200);
    expect(waiting.answered()).toBe(false);
    await executor('addlogmsg', { processid, message: 'first\n' });
    const reply = await waiting.reply;
    expect(reply.status).toBe(200);
    expect(reply.payloadtype).toBe('pollinatorwaitlogsmsg');
    expect(messages(reply)).toEqual(['first\n']);
  });

  it('answers at once with the lines already there, or when the state is not the one the follower saw', async () => {
    const { executor, processid, wait } = await runningProcess();
    expect((await wait({ state: WAITING })).json).toBeNull();
    await executor('addlogmsg', { processid, message: 'a\n' });
    await executor('addlogmsg', { processid, message: 'b\n' });
    expect(messages(await wait())).toEqual(['a\n', 'b\n']);
  });

  it('ends on a state change (the follower reads the process next), and on its timeout', async () => {
    const { user, executor, processid, wait } = await runningProcess();
    expect((await wait({ waitms: 1 })).json).toBeNull();
    const waiting = watch(wait());
    await user('getprocessmsg', { processid });
    expect(waiting.answered()).toBe(false);
    await executor('closesuccessfulmsg', { processid, out: [] });
    const reply = await waiting.reply;
    expect(reply.status).toBe(200);
    expect(reply.json).toBeNull();
  });

  it('is answered when the server closes, which does not wait for it', async () => {
    const { server, wait } = await runningProcess();
    const waiting = watch(wait({ waitms: 30_000 }));
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const reply = await waiting.reply.catch(() => undefined);
    // Answered (null) or cut off with the server: either way, not held for 30 s.
    expect(reply === undefined || reply.json === null).toBe(true);
  });

  it('checks its request as getlogsmsg does', async () => {
    const { wait } = await runningProcess();
    expect((await wait({ count: 501 })).status).toBe(403);
    expect((await wait({ processid: 'no-such-process' })).status).toBe(500);
  });
});

describe('LogWaits', () => {
  it('answers a wait once, whatever wakes it after that (the client closing after the reply, a later line)', async () => {
    const waits = new LogWaits();
    let answers = 0;
    const reply = waits.wait('p', 20_000, () => {
      answers += 1;
      return { status: 200, body: 'null' } as unknown as RpcReply;
    });
    waits.notify('p');
    await reply;
    waits.abandon(reply);
    waits.notify('p');
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers).toBe(1);
    expect(waits.size).toBe(0);
  });
});
