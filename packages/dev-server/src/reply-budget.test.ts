// Log replies are bounded by bytes as well as by count: 100 lines of
// 10 MB each used to make a reply too large to build (a 500 on every follow
// request, so a follower never got past them) and blocked the server meanwhile.
import { afterEach, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './index';
import { takeWithinBudget } from './reply-budget';
import { LOG_REPLY_BUDGET_BYTES } from './request-limits';
import { jsonWithRaw, postRaw, rawEnvelope, rpc } from './rpc-test-client.test-helpers';

const servers: DevServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

describe('takeWithinBudget', () => {
  const rows = (...lengths: number[]) => lengths.map((length, index) => ({ index, message: 'x'.repeat(length) }));
  const size = (row: { message: string }) => row.message.length;

  it('takes rows until their messages pass the budget, and at least one', () => {
    expect(takeWithinBudget(rows(3, 3, 3, 3), 7, size).map((row) => row.index)).toEqual([0, 1]);
    expect(takeWithinBudget(rows(3, 4, 1), 7, size).map((row) => row.index)).toEqual([0, 1]);
    expect(takeWithinBudget(rows(50, 1), 7, size).map((row) => row.index)).toEqual([0]);
    expect(takeWithinBudget(rows(), 7, size)).toEqual([]);
  });

  it('stops reading its source at the budget', () => {
    let read = 0;
    function* source() {
      for (let index = 0; index < 1000; index++) {
        read++;
        yield { message: 'x'.repeat(10) };
      }
    }
    expect(takeWithinBudget(source(), 25, size)).toHaveLength(2);
    expect(read).toBe(3);
  });
});

describe('log replies', () => {
  it('carry fewer entries when the messages are huge, and a follower gets the rest with since', { timeout: 60_000 }, async () => {
    const server = await startDevServer();
    servers.push(server);
    const user = rpc(server.url, server.identities.user.privateKey);
    const executor = rpc(server.url, server.identities.executor.privateKey);
    const submitted = await user('submitfuncspecmsg', {
      spec: { funcname: 'f', maxexectime: -1, maxwaittime: -1, conditions: { colonyname: 'dev', executortype: 'container-executor' } },
    });
    const processid = submitted.json.processid as string;
    await executor('assignprocessmsg', { colonyname: 'dev', timeout: -1 });
    const lineLength = Math.ceil(LOG_REPLY_BUDGET_BYTES / 3.5); // four lines are more than the budget
    for (const letter of ['a', 'b', 'c', 'd']) {
      expect((await executor('addlogmsg', { processid, message: letter.repeat(lineLength) })).status).toBe(200);
    }
    const first = await user('getlogsmsg', { colonyname: 'dev', processid, count: 100 });
    expect(first.json.map((log: { message: string }) => log.message[0])).toEqual(['a', 'b', 'c']);
    const since = /"timestamp":(\d+)}\]$/.exec(first.text)![1]!;
    const rest = await postRaw(
      server.url,
      rawEnvelope(
        'getlogsmsg',
        jsonWithRaw({ msgtype: 'getlogsmsg', colonyname: 'dev', processid, count: 100, since: 'SINCE' }, { SINCE: since }),
        server.identities.user.privateKey,
      ),
    );
    expect(rest.json.map((log: { message: string }) => log.message[0])).toEqual(['d']);
    const latest = await user('getlogsmsg', { colonyname: 'dev', processid, count: 100, latest: true });
    expect(latest.json.map((log: { message: string }) => log.message[0])).toEqual(['b', 'c', 'd']);
  });
});
