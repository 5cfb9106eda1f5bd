import { generatePrivateKey } from '@pollinator/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColoniesClient } from './client';
import { createColoniesClient } from './create-client';
import { colonyCallOptions } from './colony-call-options';
import { ColoniesAbortError } from './errors';
import { decodeRequest, replyBody, startLoopbackServer, type LoopbackServer } from './loopback.test-helpers';

/** A reply each of the nine calls can decode. */
function replyFor(payloadtype: string): [string, string] {
  if (payloadtype === 'getcolonymsg') return [payloadtype, '{"colonyid":"x","name":"other"}'];
  if (payloadtype === 'getpausestatusmsg') return ['pausestatusreplymsg', '{"msgtype":"pausestatusreplymsg","colonyname":"other","ispaused":false}'];
  if (['getusersmsg', 'getexecutorsmsg', 'getsnapshotsmsg'].includes(payloadtype)) return [payloadtype, 'null'];
  return [payloadtype, '{}'];
}

type ColonyCall = (client: ColoniesClient) => Promise<unknown>;

/** Each of the nine calls in the rule's form and in the deprecated positional one. */
const CALLS: { name: string; rule: ColonyCall; deprecated: ColonyCall }[] = [
  { name: 'getColony', rule: (c) => c.getColony({ colonyName: 'other' }), deprecated: (c) => c.getColony('other') },
  { name: 'getColonyStatistics', rule: (c) => c.getColonyStatistics({ colonyName: 'other' }), deprecated: (c) => c.getColonyStatistics('other') },
  { name: 'getUsers', rule: (c) => c.getUsers({ colonyName: 'other' }), deprecated: (c) => c.getUsers('other') },
  { name: 'getExecutors', rule: (c) => c.getExecutors({ colonyName: 'other' }), deprecated: (c) => c.getExecutors('other') },
  { name: 'pauseAssignments', rule: (c) => c.pauseAssignments({ colonyName: 'other' }), deprecated: (c) => c.pauseAssignments('other') },
  { name: 'resumeAssignments', rule: (c) => c.resumeAssignments({ colonyName: 'other' }), deprecated: (c) => c.resumeAssignments('other') },
  { name: 'getPauseStatus', rule: (c) => c.getPauseStatus({ colonyName: 'other' }), deprecated: (c) => c.getPauseStatus('other') },
  { name: 'getSnapshots', rule: (c) => c.getSnapshots({ colonyName: 'other' }), deprecated: (c) => c.getSnapshots('other') },
  { name: 'removeAllSnapshots', rule: (c) => c.removeAllSnapshots({ colonyName: 'other' }), deprecated: (c) => c.removeAllSnapshots('other') },
];

describe('colonyName as a field of the options (and the deprecated positional form)', () => {
  let server: LoopbackServer;
  let client: ColoniesClient;
  beforeAll(async () => {
    server = await startLoopbackServer();
    server.onHttp((req, res) => {
      const [payloadtype, body] = replyFor(decodeRequest(req.body).payloadtype);
      res.writeHead(200).end(replyBody(payloadtype, body));
    });
    client = createColoniesClient({ url: server.url, privateKey: generatePrivateKey(), colonyName: 'dev', retry: false });
  });
  afterAll(async () => server.close());

  async function sent(call: ColonyCall): Promise<Record<string, unknown>> {
    const before = server.requests.length;
    await call(client);
    expect(server.requests.length).toBe(before + 1);
    return decodeRequest(server.requests[before]!.body).json;
  }

  it.each(CALLS)('$name({ colonyName }) and the deprecated $name(colonyName) send the same request to that colony', async ({ rule, deprecated }) => {
    const byRule = await sent(rule);
    expect(byRule.colonyname).toBe('other');
    expect(await sent(deprecated)).toEqual(byRule);
  });

  it("without a colony every form falls back to the client's colony", async () => {
    expect((await sent((c) => c.getExecutors())).colonyname).toBe('dev');
    expect((await sent((c) => c.getExecutors({}))).colonyname).toBe('dev');
    expect((await sent((c) => c.getExecutors(undefined, {}))).colonyname).toBe('dev');
  });

  it('the call options travel with the colony in the new form and after the colony in the deprecated one', async () => {
    await expect(client.getSnapshots({ colonyName: 'other', signal: AbortSignal.abort() })).rejects.toBeInstanceOf(ColoniesAbortError);
    await expect(client.getSnapshots(undefined, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(ColoniesAbortError);
  });
});

describe('colonyCallOptions', () => {
  const signal = new AbortController().signal;
  it('folds the positional colony into the options', () => {
    expect(colonyCallOptions('other', { signal })).toEqual({ signal, colonyName: 'other' });
    expect(colonyCallOptions('other', undefined)).toEqual({ colonyName: 'other' });
  });
  it('keeps the options of the rule as they are', () => {
    expect(colonyCallOptions({ colonyName: 'other', signal }, undefined)).toEqual({ colonyName: 'other', signal });
    expect(colonyCallOptions(undefined, { signal })).toEqual({ signal });
    expect(colonyCallOptions(undefined, undefined)).toEqual({});
  });
});
