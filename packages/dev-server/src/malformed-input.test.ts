// Issue #13 case 8, payloads: about 1,300 of 6,300 fuzzed requests got HTTP
// 500 "internal error": a field of the wrong type escaped as InvalidJsonError
// from ~26 handlers, integers past 2^53 in `maxwaittime` / `since` were
// accepted or crashed, and a 10,000-deep `kwargs` overflowed the stack.
import { afterEach, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from './index';
import { PAYLOAD_TYPES } from './payload-types.test-helpers';
import { REQUEST_LIMITS } from './request-limits';
import { envelope, jsonWithRaw, postRaw, rawEnvelope, rpc } from './rpc-test-client.test-helpers';

const servers: DevServer[] = [];
async function start(): Promise<DevServer> {
  const server = await startDevServer();
  servers.push(server);
  return server;
}
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});


/** Every field name the handlers read, each given a value of the wrong type. */
const WRONG_TYPES: Record<string, unknown> = {
  colonyname: 7, processid: 7, executorname: 7, executorid: 7, executortype: 7, name: 7, label: 7, fileid: 7,
  snapshotid: 7, attributeid: 7, functionid: 7, message: 7, text: 7, initiator: 7,
  colony: 'x', user: 'x', executor: 'x', fun: 'x', file: 'x', attribute: 'x', spec: 'x', capabilities: 'x',
  count: 'x', state: 'x', timeout: 'x', since: 'x', days: 'x', availablecpu: 7, availablemem: 7,
  latest: 'x', exact: 'x', out: 'x', errors: 'x',
};

/** JSON text nested `depth` levels (arrays and objects in turn): too deep for JSON.stringify to write. */
function deeplyNested(depth: number): string {
  const open: string[] = [];
  const close: string[] = [];
  for (let level = 0; level < depth; level++) {
    open.push(level % 2 === 0 ? '[' : '{"next":');
    close.push(level % 2 === 0 ? ']' : '}');
  }
  return `${open.join('')}"bottom"${close.reverse().join('')}`;
}

describe('malformed payloads (issue #13 case 8)', () => {
  it('answers a field of the wrong type with a 400 naming it, in every message', async () => {
    const server = await start();
    const user = rpc(server.url, server.identities.user.privateKey);
    const statuses = new Map<string, number>();
    for (const payloadtype of PAYLOAD_TYPES) {
      const reply = await user(payloadtype, WRONG_TYPES);
      statuses.set(payloadtype, reply.status);
      expect(reply.status, `${payloadtype}: ${reply.text}`).toBeLessThan(500);
      if (reply.status === 400) expect(reply.json.message, payloadtype).toMatch(/invalid JSON: field \w+: expected/);
    }
    // Only messages that check the signer's role before reading a field answer otherwise.
    const notBadRequest = [...statuses].filter(([, status]) => status !== 400).map(([type]) => type);
    expect(notBadRequest.sort()).toEqual(['addcolonymsg', 'getcoloniesmsg', 'getserverinfomsg', 'removecolonymsg', 'versionmsg']);
  });

  it('refuses integers past 2^53 unless the field is an exact int64, and reads `since` exactly', async () => {
    const server = await start();
    const { user, executor } = server.identities;
    const submit = (raw: string) =>
      postRaw(
        server.url,
        rawEnvelope(
          'submitfuncspecmsg',
          jsonWithRaw(
            { msgtype: 'submitfuncspecmsg', spec: { funcname: 'f', maxexectime: -1, maxwaittime: 'WAIT', conditions: { colonyname: 'dev', executortype: 'container-executor' } } },
            { WAIT: raw },
          ),
          user.privateKey,
        ),
      );
    for (const raw of ['9007199254740992', '1e30', '-9007199254740993']) {
      const reply = await submit(raw);
      expect(reply.status, raw).toBe(400);
      expect(reply.json.message).toContain('field maxwaittime');
    }
    const process = await submit('-1');
    expect(process.status).toBe(200);
    const processid = process.json.processid as string;
    await rpc(server.url, executor.privateKey)('assignprocessmsg', { colonyname: 'dev', timeout: -1 });
    for (const message of ['one', 'two']) await rpc(server.url, executor.privateKey)('addlogmsg', { processid, message });
    const logs = await postRaw(server.url, envelope('getlogsmsg', { colonyname: 'dev', processid, count: 10 }, user.privateKey));
    const firstTimestamp = /"timestamp":(\d+)/.exec(logs.text)![1]!;
    expect(BigInt(firstTimestamp)).toBeGreaterThan(2n ** 53n); // nanoseconds: beyond a double's exact range
    const getLogs = (since: string) =>
      postRaw(
        server.url,
        rawEnvelope(
          'getlogsmsg',
          jsonWithRaw({ msgtype: 'getlogsmsg', colonyname: 'dev', processid, count: 10, since: 'SINCE' }, { SINCE: since }),
          user.privateKey,
        ),
      );
    const after = await getLogs(firstTimestamp);
    expect(after.json.map((log: { message: string }) => log.message)).toEqual(['two']);
    for (const since of ['9223372036854775808', '-9223372036854775809', '1e30', `9${'0'.repeat(100_000)}`]) {
      const reply = await getLogs(since);
      expect(reply.status, since.slice(0, 30)).toBe(400);
      expect(reply.json.message).toContain('field since');
    }
  });

  it(`refuses payloads nested deeper than ${REQUEST_LIMITS.jsonDepth} levels without overflowing the stack`, async () => {
    const server = await start();
    const submit = (depth: number) =>
      postRaw(
        server.url,
        rawEnvelope(
          'submitfuncspecmsg',
          jsonWithRaw(
            {
              msgtype: 'submitfuncspecmsg',
              spec: { funcname: 'f', maxexectime: -1, maxwaittime: -1, kwargs: { value: 'DEEP' }, conditions: { colonyname: 'dev', executortype: 'container-executor' } },
            },
            { DEEP: deeplyNested(depth) },
          ),
          server.identities.user.privateKey,
        ),
      );
    const deep = await submit(10_000);
    expect(deep.status).toBe(400);
    expect(deep.json.message).toContain(`nested deeper than ${REQUEST_LIMITS.jsonDepth} levels`);
    // The message is level 1, spec 2, kwargs 3: 61 more levels fit.
    expect((await submit(REQUEST_LIMITS.jsonDepth - 3)).status).toBe(200);
    expect((await submit(REQUEST_LIMITS.jsonDepth - 2)).status).toBe(400);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('answers broken envelopes and payloads with 4xx', async () => {
    const server = await start();
    const key = server.identities.user.privateKey;
    const bodies = [
      '',
      'not json',
      '[]',
      '"text"',
      'null',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      JSON.stringify({ payloadtype: 'getcolonymsg', payload: '!!!not base64', signature: '' }),
      rawEnvelope('getcolonymsg', '{"msgtype":"getcolonymsg","colonyname":', key),
      rawEnvelope('getcolonymsg', '{"msgtype":"getprocessmsg"}', key),
      rawEnvelope('getcolonymsg', '[1,2]', key),
    ];
    for (const body of bodies) {
      const response = await fetch(`${server.url}/api`, { method: 'POST', body });
      expect(response.status, body.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(response.status, body.slice(0, 40)).toBeLessThan(500);
      const reply = (await response.json()) as { payload: string };
      expect(JSON.parse(Buffer.from(reply.payload, 'base64').toString('utf8')).message).toBeTruthy();
    }
  });
});
