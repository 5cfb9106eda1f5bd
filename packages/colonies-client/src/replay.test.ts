// Replays every recorded exchange (packages/test-utils/fixtures/rpc, from a
// real Colonies v1.9.12 server) through a loopback server that answers with the
// recorded raw bodies. For each step the client must (1) send a request the
// recorded one matches — same payloadtype, same fields (Go semantics: a missing
// field equals its zero value, [] equals null), a signature that recovers to the
// signer's id — and (2) turn the recorded reply into the right typed value or
// typed error. Steps a correct client cannot produce (broken signatures,
// invalid JSON…) are listed in MALFORMED_ON_PURPOSE: the client sends its own
// correct request and only the reply handling is checked. Steps the client
// refuses before sending (silent server traps) are in REFUSED_LOCALLY.
// Longer than ~500 lines on purpose: most of it is the per-step tables of
// expected values, which read best next to the loop that checks them.
import { recoverId } from '@pollinator/crypto';
import {
  decodeFixturePayload,
  loadConformanceFixtures,
  parseLosslessJson,
  type ConformanceFixture,
  type FixtureHttpStep,
  type FixtureWebSocketStep,
  type LosslessJsonValue,
} from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { ColoniesClient } from './client';
import { createColoniesClient } from './create-client';
import { decodeReply } from './envelope';
import { ColoniesArgumentError, ColoniesError } from './errors';
import { startLoopbackServer, type LoopbackServer } from './loopback.test-helpers';
import type { Process } from './types';

/** Requests broken on purpose in the recording: a correct client cannot send them. */
const MALFORMED_ON_PURPOSE = new Set([
  '04-errors.json body-not-json',
  '04-errors.json envelope-missing-payload',
  '04-errors.json sig-bad-hex',
  '04-errors.json sig-too-short',
  '04-errors.json sig-empty',
  '04-errors.json sig-over-json-not-base64',
  '04-errors.json sig-high-s',
  '04-errors.json sig-v-27',
  '04-errors.json sig-v-flipped',
  '04-errors.json sig-v-plus-4-accepted',
  '04-errors.json sig-uppercase-accepted',
  '04-errors.json payloadtype-empty',
  '04-errors.json msgtype-mismatch',
  '04-errors.json payload-invalid-json',
  '04-errors.json payload-not-base64',
  '04-errors.json payload-missing-msgtype',
  '08-pubsub.json ws-bad-signature',
  '08-pubsub.json ws-msgtype-mismatch',
]);

/** Requests the client refuses before sending, with the reason. */
const REFUSED_LOCALLY: Record<string, RegExp> = {
  '04-errors.json getprocesses-count-101': /count must be 1–100/,
  '04-errors.json getprocesses-count-0': /count must be 1–100/,
  '04-errors.json getlogs-count-501': /count must be 1–500/,
  '04-errors.json assign-timeout-0': /timeout must be a non-zero/,
  '07-cancel-and-timeouts.json submit-maxexectime-0': /maxexectime 0/,
  '08-pubsub.json ws-subscribe-timeout-0': /positive integer timeoutSeconds/,
};

/** Sent through the raw `rpc()` escape hatch: the typed API cannot express them. */
const RAW_RPC = new Set(['09-executor-lifecycle.json addexecutor-old-capabilities-shape', '04-errors.json payloadtype-unknown']);

type Json = LosslessJsonValue;
type Obj = Record<string, Json>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go zero values: "", 0, false, null, empty list/map, a struct of zero values. */
function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === 0n || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isZero);
  return false;
}

/** Go-semantics equality of two request payloads: missing = zero value, [] = null. */
function goEqual(a: unknown, b: unknown, path = '$'): string | undefined {
  if (isZero(a) && isZero(b)) return undefined;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    return (typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number') && BigInt(a) === BigInt(b)
      ? undefined
      : `${path}: ${String(a)} != ${String(b)}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: length ${a.length} != ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = goEqual(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = goEqual(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : `${path}: ${JSON.stringify(a)} != ${JSON.stringify(b)}`;
}

/**
 * The typed value represents the recorded reply: every recorded field is there
 * with the same value; `null` lists became `[]`; int64 fields are exact bigints.
 */
function representsRecorded(typed: unknown, recorded: unknown, path = '$'): string | undefined {
  if (recorded === null) {
    if (typed === null || (Array.isArray(typed) && typed.length === 0) || (isObj(typed) && Object.keys(typed).length === 0)) return undefined;
    return `${path}: recorded null, got ${JSON.stringify(typed)}`;
  }
  if (typeof recorded === 'bigint' || /(^|\.)(prioritytime|timestamp)$/.test(path)) {
    if (typeof typed !== 'bigint') return `${path}: expected a bigint, got ${typeof typed}`;
    return BigInt(recorded as bigint | number) === typed ? undefined : `${path}: ${typed} != ${JSON.stringify(recorded, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
  }
  if (Array.isArray(recorded)) {
    if (!Array.isArray(typed) || typed.length !== recorded.length) return `${path}: array mismatch`;
    for (let i = 0; i < recorded.length; i++) {
      const d = representsRecorded(typed[i], recorded[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObj(recorded)) {
    if (!isObj(typed)) return `${path}: expected an object`;
    for (const k of Object.keys(recorded)) {
      if (k === 'msgtype') continue;
      const d = representsRecorded(typed[k], recorded[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(typed, recorded) ? undefined : `${path}: ${JSON.stringify(typed)} != ${JSON.stringify(recorded)}`;
}

/** Typed replies never carry null (lists become []); user JSON (args/kwargs/in/out) excepted. */
function findNull(v: unknown, path = '$'): string | undefined {
  if (v === null) return path;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = findNull(v[i], `${path}[${i}]`);
      if (p) return p;
    }
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (['args', 'kwargs', 'in', 'out'].includes(k)) continue;
      const p = findNull(x, `${path}.${k}`);
      if (p) return p;
    }
  }
  return undefined;
}

const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');
const num = (v: Json | undefined): number => (typeof v === 'number' ? v : 0);

interface Invocation {
  call: () => Promise<unknown>;
  /** How the recorded success payload maps onto the typed result. */
  expected?: (recorded: Json) => Json | undefined;
}

/** The client call that produces the recorded request. */
function invocationFor(key: string, step: FixtureHttpStep, c: ColoniesClient): Invocation {
  const pt = step.request.payloadtype ?? '';
  const pj: Obj = (step.request.payloadJson as Obj | null) ?? {};
  const colonyName = str(pj.colonyname);
  if (step.request.http?.path === '/health') return { call: () => c.health(), expected: () => undefined };
  if (RAW_RPC.has(key)) return { call: () => c.rpc(pt, Object.fromEntries(Object.entries(pj).filter(([k]) => k !== 'msgtype'))) };
  if (MALFORMED_ON_PURPOSE.has(key)) return { call: () => c.getColony({ colonyName: 'fixture-c27a003a' }) };
  const first = (r: Json) => (Array.isArray(r) ? r[0] : r);
  switch (pt) {
    case 'versionmsg':
      return { call: () => c.version() };
    case 'getserverinfomsg':
      return { call: () => c.getServerInfo() };
    case 'addcolonymsg':
      return { call: () => c.addColony(pj.colony as { colonyid: string; name: string }) };
    case 'removecolonymsg':
      return { call: () => c.removeColony(colonyName) };
    case 'getcoloniesmsg':
      return { call: () => c.getColonies() };
    case 'getcolonymsg':
      return { call: () => c.getColony({ colonyName }) };
    case 'getcolonystatsmsg':
      return { call: () => c.getColonyStatistics({ colonyName }) };
    case 'addusermsg':
      return { call: () => c.addUser(pj.user as never) };
    case 'removeusermsg':
      return { call: () => c.removeUser(str(pj.name), { colonyName }) };
    case 'getusersmsg':
      return { call: () => c.getUsers({ colonyName }) };
    case 'addexecutormsg':
      return { call: () => c.addExecutor(pj.executor as never) };
    case 'approveexecutormsg':
      return { call: () => c.approveExecutor(str(pj.executorname), { colonyName }) };
    case 'rejectexecutormsg':
      return { call: () => c.rejectExecutor(str(pj.executorname), { colonyName }) };
    case 'removeexecutormsg':
      return { call: () => c.removeExecutor(str(pj.executorname), { colonyName }) };
    case 'getexecutormsg':
      return { call: () => c.getExecutor(str(pj.executorname), { colonyName }) };
    case 'getexecutorbyidmsg':
      return { call: () => c.getExecutorById(str(pj.executorid), { colonyName }) };
    case 'getexecutorsmsg':
      return { call: () => c.getExecutors({ colonyName }) };
    case 'updateexecutormsg':
      return { call: () => c.updateExecutor({ executorName: str(pj.executorname), capabilities: pj.capabilities as never, colonyName }) };
    case 'addfunctionmsg':
      return { call: () => c.addFunction(pj.fun as never) };
    case 'getfunctionsmsg':
      return { call: () => c.getFunctions({ executorName: str(pj.executorname) || undefined, colonyName }) };
    case 'submitfuncspecmsg':
      return { call: () => c.submit(pj.spec as never) };
    case 'getprocessmsg':
      return { call: () => c.getProcess(str(pj.processid)) };
    case 'getprocessesmsg':
      return {
        call: () =>
          c.getProcesses({
            colonyName,
            count: num(pj.count),
            state: num(pj.state) as never,
            executorType: str(pj.executortype),
            label: str(pj.label),
            initiator: str(pj.initiator),
          }),
      };
    case 'assignprocessmsg':
      return {
        call: () =>
          c.assign({ colonyName, timeout: num(pj.timeout), availableCpu: str(pj.availablecpu), availableMem: str(pj.availablemem) }),
      };
    case 'closesuccessfulmsg':
      return { call: () => c.closeSuccessful(str(pj.processid), pj.out as never) };
    case 'closefailedmsg':
      return { call: () => c.closeFailed(str(pj.processid), pj.errors as string[]) };
    case 'setoutputmsg':
      return { call: () => c.setOutput(str(pj.processid), pj.out as never) };
    case 'cancelprocessmsg':
      return { call: () => c.cancelProcess(str(pj.processid)) };
    case 'removeprocessmsg':
      return { call: () => c.removeProcess(str(pj.processid), { all: pj.all === true }) };
    case 'removeallprocessesmsg':
      return { call: () => c.removeAllProcesses({ colonyName, state: num(pj.state) as never }) };
    case 'addlogmsg':
      return { call: () => c.addLog(str(pj.processid), str(pj.message)) };
    case 'addexecutorlogmsg':
      return { call: () => c.addExecutorLog({ executorName: str(pj.executorname), message: str(pj.message), colonyName }) };
    case 'getlogsmsg':
      return {
        call: () =>
          c.getLogs({
            colonyName,
            processId: str(pj.processid) || undefined,
            executorName: str(pj.executorname) || undefined,
            count: num(pj.count),
            since: typeof pj.since === 'bigint' ? pj.since : BigInt(num(pj.since)),
            latest: pj.latest === true,
          }),
      };
    case 'searchlogsmsg':
      return { call: () => c.searchLogs({ colonyName, text: str(pj.text), days: num(pj.days), count: num(pj.count) }) };
    case 'addattributemsg': {
      const a = pj.attribute as Obj;
      return {
        call: () =>
          c.addAttribute({
            processId: str(a.targetid),
            colonyName: str(a.targetcolonyname),
            key: str(a.key),
            value: str(a.value),
            type: num(a.attributetype) as never,
          }),
      };
    }
    case 'getattributemsg':
      return { call: () => c.getAttribute(str(pj.attributeid)) };
    case 'addfilemsg':
      return { call: () => c.addFile(pj.file as never) };
    case 'getfilesmsg':
      return { call: () => c.getFiles(str(pj.label), { colonyName }) };
    case 'getfilemsg':
      if (str(pj.fileid)) return { call: () => c.getFile({ fileId: str(pj.fileid), colonyName }), expected: first };
      if (pj.latest === true) return { call: () => c.getFile({ label: str(pj.label), name: str(pj.name), colonyName }), expected: first };
      return { call: () => c.getFileRevisions({ label: str(pj.label), name: str(pj.name), colonyName }) };
    case 'getfilelabelsmsg':
      return { call: () => c.getFileLabels({ colonyName, name: str(pj.name), exact: pj.exact === true }) };
    case 'removefilemsg':
      return {
        call: () =>
          str(pj.fileid)
            ? c.removeFile({ fileId: str(pj.fileid), colonyName })
            : c.removeFile({ label: str(pj.label), name: str(pj.name), colonyName }),
      };
    case 'createsnapshotmsg':
      return { call: () => c.createSnapshot({ colonyName, label: str(pj.label), name: str(pj.name) }) };
    case 'getsnapshotmsg':
      return {
        call: () =>
          str(pj.snapshotid) ? c.getSnapshot({ snapshotId: str(pj.snapshotid), colonyName }) : c.getSnapshot({ name: str(pj.name), colonyName }),
      };
    case 'getsnapshotsmsg':
      return { call: () => c.getSnapshots({ colonyName }) };
    case 'removesnapshotmsg':
      return {
        call: () =>
          str(pj.snapshotid)
            ? c.removeSnapshot({ snapshotId: str(pj.snapshotid), colonyName })
            : c.removeSnapshot({ name: str(pj.name), colonyName }),
      };
    case 'removeallsnapshotmsg':
      return { call: () => c.removeAllSnapshots({ colonyName }) };
    default:
      throw new Error(`no client method mapped for ${pt} (${key})`);
  }
}

/** Checks a received request envelope against a recorded one. */
function checkRequest(
  key: string,
  fixture: ConformanceFixture,
  signer: string,
  recorded: { payloadtype?: string; payloadJson?: unknown },
  body: string,
): void {
  const env = JSON.parse(body) as { payloadtype: string; payload: string; signature: string };
  expect(Object.keys(env).sort(), key).toEqual(['payload', 'payloadtype', 'signature']);
  expect(env.payloadtype, key).toBe(recorded.payloadtype);
  // Standard base64 with padding, UTF-8 JSON, msgtype = payloadtype.
  expect(env.payload, key).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
  const json = parseLosslessJson(Buffer.from(env.payload, 'base64').toString('utf8')) as Obj;
  expect(json.msgtype, key).toBe(env.payloadtype);
  const diff = goEqual(json, recorded.payloadJson);
  expect(diff, `${key}: request payload differs from the recorded one`).toBeUndefined();
  if (signer === 'none') {
    expect(env.signature, key).toBe('');
  } else {
    expect(env.signature, key).toMatch(/^[0-9a-f]{130}$/);
    expect(recoverId(env.payload, env.signature), `${key}: signature must recover to ${signer}`).toBe(fixture.identities[signer]!.id);
  }
}

function checkError(key: string, error: unknown, step: { request: { payloadtype?: string }; response: { httpStatus: number; payloadJson?: unknown } }, viaWs = false): void {
  expect(ColoniesError.isInstance(error), `${key}: expected a ColoniesError, got ${String(error)}`).toBe(true);
  const e = error as ColoniesError;
  const failure = step.response.payloadJson as { status: number; message: string };
  expect(e.status, key).toBe(failure.status);
  expect(e.serverMessage, key).toBe(failure.message);
  expect(e.envelope, key).toBe(true);
  expect(e.code, key).toBe('COLONIES_RPC_ERROR');
  if (!viaWs) {
    expect(e.httpStatus, key).toBe(step.response.httpStatus);
    expect(e.payloadtype, key).toBe(step.request.payloadtype || 'getcolonymsg');
  }
  expect(typeof e.retryable, key).toBe('boolean');
}

const fixtures = loadConformanceFixtures();
let server: LoopbackServer;
let base: ColoniesClient;

beforeAll(async () => {
  server = await startLoopbackServer();
  base = createColoniesClient({ url: server.url, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 5000 });
});
afterAll(async () => {
  await server.close();
});

function clientFor(fixture: ConformanceFixture, signer: string): ColoniesClient {
  return signer === 'none' ? base : base.as(fixture.identities[signer]!.prvkey);
}

async function replayHttp(fixture: ConformanceFixture, step: FixtureHttpStep): Promise<void> {
  const key = `${fixture.file} ${step.name}`;
  const before = server.requests.length;
  server.onHttp((_req, res) => {
    res.writeHead(step.response.httpStatus, step.response.contentType ? { 'content-type': step.response.contentType } : {});
    res.end(step.response.rawBody);
  });
  // A correct client always signs getcolonymsg: the unsigned malformed steps use the user's key.
  const signer = MALFORMED_ON_PURPOSE.has(key) && step.signer === 'none' ? 'user' : step.signer;
  const invocation = invocationFor(key, step, clientFor(fixture, signer));
  let result: unknown;
  let error: unknown;
  try {
    result = await invocation.call();
  } catch (e) {
    error = e;
  }

  const refused = REFUSED_LOCALLY[key];
  if (refused) {
    expect(error, key).toBeInstanceOf(ColoniesArgumentError);
    expect((error as Error).message, key).toMatch(refused);
    expect(server.requests.length, `${key}: nothing may be sent`).toBe(before);
    return;
  }
  // Exactly one request (no retry of a deterministic reply).
  expect(server.requests.length, key).toBe(before + 1);
  const received = server.requests[before]!;
  if (step.request.http) {
    expect(received.method, key).toBe(step.request.http.method);
    expect(received.path, key).toBe(step.request.http.path);
  } else {
    expect(received.method, key).toBe('POST');
    expect(received.path, key).toBe('/api');
    if (!MALFORMED_ON_PURPOSE.has(key)) checkRequest(key, fixture, step.signer, step.request, received.body);
  }

  const response = step.response;
  if (response.error) {
    if (step.request.payloadtype === 'assignprocessmsg' && (response.payloadJson as Obj).status === 404) {
      expect(error, key).toBeUndefined();
      expect(result, `${key}: no process available → null`).toBeNull();
      return;
    }
    checkError(key, error, step);
    return;
  }
  expect(error, `${key}: unexpected error`).toBeUndefined();
  if (step.request.http?.path === '/health') return;
  const recorded = invocation.expected ? invocation.expected(response.payloadJson ?? null) : response.payloadJson;
  if (isObj(recorded) && Object.keys(recorded).length === 0) {
    expect(result, `${key}: empty reply → void`).toBeUndefined();
    return;
  }
  if (RAW_RPC.has(key)) {
    expect(goEqual(result, recorded), key).toBeUndefined();
    return;
  }
  expect(representsRecorded(result, recorded), `${key}: typed value`).toBeUndefined();
  expect(findNull(result), `${key}: a null survived in the typed value`).toBeUndefined();
}

async function replayWebSocket(fixture: ConformanceFixture, step: FixtureWebSocketStep): Promise<void> {
  const key = `${fixture.file} ${step.name}`;
  const received: string[] = [];
  const frames = step.request.frames;
  server.onWebSocket((ws: WebSocket) => {
    ws.on('message', (data: Buffer) => {
      received.push(data.toString('utf8'));
      if (received.length < frames.length) return;
      // Everything subscribed: play the recorded frames, then end as recorded.
      let delay = 5;
      for (const f of step.response.frames) {
        setTimeout(() => ws.send(f.rawText), delay);
        delay += 5;
      }
      const close = step.response.close;
      if (close?.closedBy === 'server') {
        setTimeout(() => (close.closeFrameReceived ? ws.close(close.code) : ws.terminate()), delay + 20);
      }
    });
  });
  const c = clientFor(fixture, step.signer);
  const first = frames[0]!.payloadJson;
  const timeoutSeconds = num(first.timeout);
  const events: Process[] = [];
  let error: unknown;
  try {
    const iterator =
      frames[0]!.payloadtype === 'subscribeprocessesmsg'
        ? c.subscribeProcesses({ colonyName: str(first.colonyname), executorType: str(first.executortype), state: num(first.state) as never, timeoutSeconds })
        : c.subscribeProcess(str(first.processid), {
            colonyName: str(first.colonyname),
            executorType: str(first.executortype),
            states: frames.map((f) => num(f.payloadJson.state) as never),
            timeoutSeconds,
          });
    for await (const p of iterator) events.push(p);
  } catch (e) {
    error = e;
  }
  server.onWebSocket(undefined);

  const refused = REFUSED_LOCALLY[key];
  if (refused) {
    expect(error, key).toBeInstanceOf(ColoniesArgumentError);
    expect((error as Error).message, key).toMatch(refused);
    expect(received, key).toHaveLength(0);
    return;
  }
  expect(received, key).toHaveLength(frames.length);
  if (!MALFORMED_ON_PURPOSE.has(key)) {
    frames.forEach((f, i) => checkRequest(`${key} frame ${i}`, fixture, f.signer, f, received[i]!));
  }
  const okFrames = step.response.frames.filter((f) => !f.error);
  const errorFrame = step.response.frames.find((f) => f.error);
  if (errorFrame) {
    checkError(key, error, { request: { payloadtype: frames[0]!.payloadtype }, response: { httpStatus: 101, payloadJson: errorFrame.payloadJson } }, true);
  } else {
    // The server dropped the socket: the iteration simply ends.
    expect(error, `${key}: unexpected error`).toBeUndefined();
  }
  expect(events.length, key).toBe(okFrames.length);
  okFrames.forEach((f, i) => {
    expect(representsRecorded(events[i], f.payloadJson), `${key} event ${i}`).toBeUndefined();
    expect(typeof events[i]!.prioritytime, key).toBe('bigint');
  });
}

describe('replay of the recorded Colonies v1.9.12 exchanges', () => {
  for (const fixture of fixtures) {
    describe(fixture.file, () => {
      for (const step of fixture.steps) {
        it(step.name, async () => {
          if (step.kind === 'websocket') await replayWebSocket(fixture, step);
          else await replayHttp(fixture, step);
        });
      }
    });
  }
});

describe('reply decoding of every recorded raw body', () => {
  for (const fixture of fixtures) {
    for (const step of fixture.steps) {
      if (step.kind === 'websocket' || step.request.http) continue;
      it(`${fixture.file} ${step.name}`, () => {
        const { response } = step;
        const pt = step.request.payloadtype || 'getcolonymsg';
        if (response.error) {
          let error: unknown;
          try {
            decodeReply(pt, response.httpStatus, response.rawBody);
          } catch (e) {
            error = e;
          }
          checkError(`${fixture.file} ${step.name}`, error, { ...step, request: { payloadtype: pt } });
        } else {
          const value = decodeReply(pt, response.httpStatus, response.rawBody);
          expect(value).toEqual(response.payloadJson);
          // Lossless: the recorded payload decodes to the same exact digits.
          expect(value).toEqual(decodeFixturePayload((JSON.parse(response.rawBody) as { payload: string }).payload));
        }
      });
    }
  }
});
