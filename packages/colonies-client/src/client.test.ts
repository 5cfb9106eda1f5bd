import { generatePrivateKey, idOf, recoverId } from '@pollinator/crypto';
import { findFixtureStep } from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createColoniesClient } from './create-client';
import { completeSpec } from './complete-spec';
import { decodeReply, encodeRequest } from './envelope';
import { ColoniesArgumentError, ColoniesConfigError } from './errors';
import { decodeRequest, replyBody, startLoopbackServer, type LoopbackServer } from './loopback.test-helpers';
import { parseLosslessJson, parseLosslessJsonSlow, stringifyLosslessJson } from './lossless-json';
import { loadConformanceFixtures } from '@pollinator/test-utils';
import type { Process } from './types';

describe('lossless int64', () => {
  it('parses prioritytime and timestamps from the recorded raw bodies exactly', () => {
    const submit = findFixtureStep('02-submit-assign-close.json', 'submit-pollinator-spec');
    if (submit.kind === 'websocket') throw new Error('unexpected');
    const payload = decodeReply('submitfuncspecmsg', 200, submit.response.rawBody) as unknown as Process;
    expect(payload.prioritytime).toBe(1795163019745849307n);
    // JSON.parse would have rounded it:
    const rounded = JSON.parse(Buffer.from((JSON.parse(submit.response.rawBody) as { payload: string }).payload, 'base64').toString()) as {
      prioritytime: number;
    };
    expect(BigInt(rounded.prioritytime)).not.toBe(1795163019745849307n);

    const logs = findFixtureStep('03-logs.json', 'getlogs-since-2nd');
    if (logs.kind === 'websocket') throw new Error('unexpected');
    const parsed = decodeReply('getlogsmsg', 200, logs.response.rawBody) as { timestamp: bigint }[];
    expect(parsed.map((l) => l.timestamp)).toEqual([1795595019887238798n, 1795595019892718761n, 1795595019895595612n, 1795595019898385643n]);
  });

  it('writes since back with the exact digits', () => {
    const env = encodeRequest('getlogsmsg', { processid: 'p', since: 1795595019883883083n, count: 100 }, generatePrivateKey());
    expect(Buffer.from(env.payload, 'base64').toString()).toBe('{"processid":"p","since":1795595019883883083,"count":100,"msgtype":"getlogsmsg"}');
  });

  it('the native fast path agrees with the reference parser on every recorded payload and on edge cases', () => {
    const texts: string[] = [
      '{"a":"x 12345678901234567890 y","b":12345678901234567890,"c":-12345678901234567890}',
      '{"f":1.12345678901234567890,"e":1e1234567890123456,"g":12345678901234567.5,"h":9007199254740993e2}',
      '{"s":"quote \\" 12345678901234567890 \\\\","n":[9007199254740991,9007199254740992,-9007199254740992]}',
      '{"nul":"\\u0000B123","n":12345678901234567890}',
      '[1234567890123456789012345678901234567890]',
    ];
    for (const fixture of loadConformanceFixtures()) {
      for (const step of fixture.steps) {
        if (step.kind === 'websocket') continue;
        const body = step.response.rawBody;
        if (body.startsWith('{')) texts.push(Buffer.from((JSON.parse(body) as { payload: string }).payload, 'base64').toString('utf8'));
      }
    }
    for (const text of texts) expect(parseLosslessJson(text)).toEqual(parseLosslessJsonSlow(text));
    expect(parseLosslessJson(texts[0]!)).toEqual({ a: 'x 12345678901234567890 y', b: 12345678901234567890n, c: -12345678901234567890n });
    expect(parseLosslessJson(texts[3]!)).toEqual({ nul: '\u0000B123', n: 12345678901234567890n });
  });

  it('round-trips arbitrary JSON with big integers, keeping small ones as numbers', () => {
    const text = '{"a":[1,-2.5,1e3,9007199254740991,9007199254740993,-9223372036854775808],"b":{"c":"\\u00e5\\"x"}}';
    const v = parseLosslessJson(text) as { a: unknown[] };
    expect(v.a).toEqual([1, -2.5, 1000, 9007199254740991, 9007199254740993n, -9223372036854775808n]);
    expect(parseLosslessJson(stringifyLosslessJson(v))).toEqual(v);
  });
});

describe('request envelopes', () => {
  it('signs the base64 payload; msgtype equals payloadtype; versionmsg is unsigned', () => {
    const key = generatePrivateKey();
    const env = encodeRequest('getcolonymsg', { colonyname: 'dev' }, key);
    expect(env.payloadtype).toBe('getcolonymsg');
    expect(JSON.parse(Buffer.from(env.payload, 'base64').toString())).toEqual({ colonyname: 'dev', msgtype: 'getcolonymsg' });
    expect(recoverId(env.payload, env.signature)).toBe(idOf(key));
    expect(encodeRequest('versionmsg', {}, undefined).signature).toBe('');
  });

  it('reproduces the published vector 17 byte for byte', () => {
    const env = encodeRequest('getcolonymsg', { colonyname: 'dev' }, 'ddf7f7791208083b6a9ed975a72684f6406a269cfa36f1b1c32045c0a71fff05');
    expect(env.payload).toBe('eyJjb2xvbnluYW1lIjoiZGV2IiwibXNndHlwZSI6ImdldGNvbG9ueW1zZyJ9');
    expect(env.signature).toBe(
      'aaea4f14c8bf827267377593bd2253940b5602d06e392cf7752f54f956e24b7d285fe6f21446ed28f25259f6ad2a64ca90dd20eeeb9532c0b443c73d191e1e5900',
    );
  });
});

describe('hard to misuse', () => {
  const spec = { funcname: 'execute', conditions: { colonyname: 'dev', executortype: 'container-executor' } };

  it('fills safe defaults', () => {
    expect(completeSpec(spec, undefined)).toMatchObject({
      maxexectime: -1,
      maxwaittime: -1,
      maxretries: 0,
      priority: 0,
      args: [],
      kwargs: {},
      env: {},
      fs: { mount: '', snapshots: [], dirs: [] },
      conditions: { colonyname: 'dev', nodes: 1, processespernode: 1, cpu: '', mem: '', storage: '', executornames: [], dependencies: [] },
    });
    expect(completeSpec({ funcname: 'execute', conditions: { executortype: 't' } }, 'fallback').conditions.colonyname).toBe('fallback');
  });

  it('refuses the traps the server accepts silently', () => {
    expect(() => completeSpec({ ...spec, maxexectime: 0 }, undefined)).toThrow(/maxexectime 0/);
    expect(() => completeSpec({ ...spec, conditions: { ...spec.conditions, cpu: '2' } }, undefined)).toThrow(/"<n>m"/);
    expect(() => completeSpec({ ...spec, conditions: { ...spec.conditions, nodes: 128 } }, undefined)).toThrow(/0–127/);
    expect(() => completeSpec({ funcname: 'execute', conditions: { colonyname: 'dev' } }, undefined)).toThrow(/executortype is required/);
    expect(() => completeSpec({ funcname: 'execute', conditions: { executortype: 't' } }, undefined)).toThrow(/colonyname/);
  });

  it('refuses names with ":" and unsigned calls, and bad keys without echoing them', async () => {
    const c = createColoniesClient({ url: 'http://127.0.0.1:1', colonyName: 'dev' });
    await expect(c.createSnapshot({ label: '/x', name: 'a:b' })).rejects.toBeInstanceOf(ColoniesArgumentError);
    await expect(c.getColony()).rejects.toThrow(/must be signed/);
    const bad = 'x'.repeat(64);
    let error: unknown;
    try {
      createColoniesClient({ url: 'http://127.0.0.1:1', privateKey: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ColoniesConfigError);
    expect((error as Error).message).not.toContain(bad);
    expect(() => c.as('0'.repeat(64))).toThrow(/not a valid secp256k1 private key/);
  });

  it('accepts url or host/port/tls', () => {
    expect(createColoniesClient({ url: 'https://colonies.example.org/api' }).url).toBe('https://colonies.example.org');
    expect(createColoniesClient({ host: 'localhost', port: 50080 }).url).toBe('http://localhost:50080');
    expect(createColoniesClient({ host: 'h', port: 443, tls: true }).pubsubUrl).toBe('wss://h:443/pubsub');
    expect(() => createColoniesClient({})).toThrow(ColoniesConfigError);
    expect(() => createColoniesClient({ url: 'ftp://x' })).toThrow(/http:\/\/ or https:\/\//);
  });
});

describe('acting as another identity for one call', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer();
    server.onHttp((_req, res) => res.writeHead(200).end(replyBody('approveexecutormsg', '{}')));
  });
  afterAll(async () => server.close());

  it('signs with the other key, shares the connection pool, leaves the client as it was', async () => {
    const user = generatePrivateKey();
    const owner = generatePrivateKey();
    const client = createColoniesClient({ url: server.url, privateKey: user, colonyName: 'dev', colonyPrivateKey: owner });
    await client.as(owner).approveExecutor('exec-1');
    await client.asColonyOwner().approveExecutor('exec-2');
    await client.approveExecutor('exec-3');
    const signers = server.requests.map((r) => {
      const env = decodeRequest(r.body);
      return recoverId(env.payload, env.signature);
    });
    expect(signers).toEqual([idOf(owner), idOf(owner), idOf(user)]);
    expect(decodeRequest(server.requests[0]!.body).json).toEqual({ colonyname: 'dev', executorname: 'exec-1', msgtype: 'approveexecutormsg' });
  });
});

describe('colony administration messages', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer();
  });
  afterAll(async () => server.close());

  it('pause, resume, pause status and process history', async () => {
    server.onHttp((req, res) => {
      const { payloadtype } = decodeRequest(req.body);
      if (payloadtype === 'getpausestatusmsg') {
        res.writeHead(200).end(replyBody('pausestatusreplymsg', '{"msgtype":"pausestatusreplymsg","colonyname":"dev","ispaused":true}'));
      } else if (payloadtype === 'getprocesshistmsg') res.writeHead(200).end(replyBody(payloadtype, 'null'));
      else res.writeHead(200).end(replyBody(payloadtype, '{}'));
    });
    const c = createColoniesClient({ url: server.url, privateKey: generatePrivateKey(), colonyName: 'dev' });
    await c.pauseAssignments();
    await expect(c.getPauseStatus()).resolves.toBe(true);
    await c.resumeAssignments();
    await expect(c.getProcessHistory({ state: 2, seconds: 3600 })).resolves.toEqual([]);
    expect(server.requests.map((r) => decodeRequest(r.body).json)).toEqual([
      { colonyname: 'dev', msgtype: 'pauseassignmentsmsg' },
      { colonyname: 'dev', msgtype: 'getpausestatusmsg' },
      { colonyname: 'dev', msgtype: 'resumeassignmentsmsg' },
      { colonyname: 'dev', executorid: '', seconds: 3600, state: 2, msgtype: 'getprocesshistmsg' },
    ]);
  });
});
