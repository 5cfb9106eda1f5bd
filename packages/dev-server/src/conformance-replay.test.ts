// Replays every exchange recorded from a real Colonies v1.9.12 server
// (test-utils/fixtures/rpc, format in its README) against the dev-server and
// checks that each step gets the same HTTP status and the same reply shape
// (volatile fields aside, unordered lists as multisets). Requests whose ids
// came from earlier replies are rebound to our own ids and re-signed with the
// fixture identities. Steps where the dev-server deliberately differs are
// listed in DOCUMENTED_EXCEPTIONS (also in the README) and must still differ.
import { sign } from '@pollinator/crypto';
import {
  type ConformanceFixture,
  deleteJsonPath,
  type FixtureBinding,
  type FixtureHttpStep,
  type FixtureWebSocketStep,
  getJsonPath,
  isWebSocketStep,
  loadConformanceFixtures,
  type LosslessJsonValue,
  parseJsonPath,
  parseLosslessJson,
  setJsonPath,
  stringifyLosslessJson,
} from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DevServer, startDevServer } from './index';

/** `file:step` → why the dev-server answers differently on purpose. */
export const DOCUMENTED_EXCEPTIONS: Record<string, string> = {
  '01-setup.json:version':
    'buildversion/buildtime name the dev-server build ("pollinator-dev-server-…"), not the Go binary\'s commit',
  '01-setup.json:serverinfo':
    'buildversion names the dev-server build, and backends[0] carries the address the dev-server really listens on (127.0.0.1 and its own port), not the values of COLONIES_SERVER_HTTP_* of the recorded server',
  '08-pubsub.json:ws-bad-signature':
    'v1.9.12 checks no membership on subscribeprocessmsg: a signature that recovers to an unknown key still receives events. The dev-server requires colony membership and answers with a 403 error frame.',
  '08-pubsub.json:ws-subscribe-by-outsider':
    'same gap: a key registered nowhere receives process events from v1.9.12; the dev-server sends a 403 error frame',
};

interface OurStep {
  response?: { payloadJson?: LosslessJsonValue; frames?: { payloadJson?: LosslessJsonValue }[] };
}

const fixtures = loadConformanceFixtures();
const ours = new Map<string, OurStep[]>();

function resolveBinding(file: string, binding: FixtureBinding): LosslessJsonValue | undefined {
  const steps = ours.get(binding.from.file ?? file);
  const step = steps?.[binding.from.step];
  if (!step) throw new Error(`binding to step ${binding.from.step} of ${binding.from.file ?? file}, which has not run`);
  return getJsonPath(step, `$.${binding.from.path}`);
}

function encodeRequest(
  fixture: ConformanceFixture,
  signer: string,
  payloadJson: Record<string, LosslessJsonValue>,
  bindings: FixtureBinding[] | undefined,
): { payload: string; signature: string } {
  const json = structuredClone(payloadJson);
  for (const binding of bindings ?? []) setJsonPath(json, binding.path, resolveBinding(fixture.file, binding));
  const payload = Buffer.from(stringifyLosslessJson(json), 'utf8').toString('base64');
  const key = fixture.identities[signer]?.prvkey;
  return { payload, signature: key ? sign(payload, key) : '' };
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Times differ per run and per time zone: compare only "set" versus "unset" (year 1). */
function normaliseTimes(value: unknown): unknown {
  if (typeof value === 'string' && TIME.test(value)) return value.startsWith('0001-') ? '<unset time>' : '<time>';
  if (Array.isArray(value)) return value.map(normaliseTimes);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = normaliseTimes(item);
    return out;
  }
  return value;
}

function canonical(value: unknown): string {
  return stringifyLosslessJson(value);
}

/** Applies volatile + unordered rules, then returns a comparable canonical form. */
function comparable(value: unknown, volatile: string[] = [], unordered: string[] = [], isError = false): unknown {
  if (value === undefined) return undefined;
  let copy = structuredClone(value) as LosslessJsonValue;
  if (isError && copy && typeof copy === 'object' && !Array.isArray(copy)) {
    // Error texts are informative, not API (conformance README).
    return { status: (copy as Record<string, LosslessJsonValue>).status };
  }
  const generalised = volatile.map((path) => {
    for (const list of unordered) {
      const listSegments = parseJsonPath(list);
      const segments = parseJsonPath(path);
      const prefixMatches =
        segments.length > listSegments.length &&
        listSegments.every((segment, i) => segment === '*' || segments[i] === segment || typeof segments[i] === 'number');
      if (prefixMatches && typeof segments[listSegments.length] === 'number') {
        return path.replace(
          new RegExp(`^(${escapeRegExp(listPrefix(path, listSegments.length))})\\[\\d+\\]`),
          '$1[*]',
        );
      }
    }
    return path;
  });
  for (const path of generalised) {
    if (path === '$') return '<volatile>';
    deleteJsonPath(copy, path);
  }
  copy = normaliseTimes(copy) as LosslessJsonValue;
  for (const list of unordered) sortAt(copy, parseJsonPath(list));
  return copy;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The textual prefix of `path` covering its first `count` segments. */
function listPrefix(path: string, count: number): string {
  const re = /\.([^.[\]]+)|\[(\d+|\*)\]/g;
  const body = path.slice(1);
  let consumed = 0;
  for (let i = 0; i < count; i++) {
    const match = re.exec(body);
    if (!match) break;
    consumed = re.lastIndex;
  }
  return `$${body.slice(0, consumed)}`;
}

function sortAt(value: unknown, segments: ReturnType<typeof parseJsonPath>): void {
  if (segments.length === 0) {
    if (Array.isArray(value)) value.sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const [head, ...rest] = segments;
  if (head === '*') {
    for (const item of Object.values(value)) sortAt(item, rest);
  } else {
    sortAt((value as Record<string | number, unknown>)[head!], rest);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface StepOutcome {
  step: string;
  differences: string[];
}

async function replayHttpStep(
  server: DevServer,
  fixture: ConformanceFixture,
  step: FixtureHttpStep,
  record: OurStep,
): Promise<string[]> {
  const request = step.request;
  if (step.waitedBeforeMs) await sleep(step.waitedBeforeMs);
  if (request.http) {
    const response = await fetch(`${server.url}${request.http.path}`, { method: request.http.method });
    const text = await response.text();
    const differences: string[] = [];
    if (response.status !== step.response.httpStatus) differences.push(`status ${response.status}, recorded ${step.response.httpStatus}`);
    if (text !== step.response.rawBody) differences.push(`body ${JSON.stringify(text)}, recorded ${JSON.stringify(step.response.rawBody)}`);
    return differences;
  }
  let body: string;
  if (request.body !== undefined) {
    body = request.body;
  } else if (request.payloadJson && (step.bindings?.length || step.redacted)) {
    const { payload, signature } = encodeRequest(fixture, step.signer, request.payloadJson, step.bindings);
    body = JSON.stringify({ payloadtype: request.payloadtype, payload, signature });
  } else {
    body = JSON.stringify({ payloadtype: request.payloadtype, payload: request.payload, signature: request.signature });
  }
  const response = await fetch(`${server.url}/api`, { method: 'POST', body });
  const raw = await response.text();
  const differences: string[] = [];
  if (response.status !== step.response.httpStatus) differences.push(`status ${response.status}, recorded ${step.response.httpStatus}`);
  const contentType = response.headers.get('content-type');
  if (contentType !== step.response.contentType) differences.push(`content-type ${contentType}, recorded ${step.response.contentType}`);
  const envelope = JSON.parse(raw) as { payloadtype: string; payload: string; error: boolean };
  if (envelope.payloadtype !== step.response.payloadtype) {
    differences.push(`payloadtype ${envelope.payloadtype}, recorded ${step.response.payloadtype}`);
  }
  if (envelope.error !== step.response.error) differences.push(`error ${envelope.error}, recorded ${step.response.error}`);
  const payloadJson = parseLosslessJson(Buffer.from(envelope.payload, 'base64').toString('utf8'));
  record.response = { payloadJson };
  const expected = comparable(step.response.payloadJson, step.volatile, step.unordered, step.response.error);
  const actual = comparable(payloadJson, step.volatile, step.unordered, envelope.error);
  if (canonical(actual) !== canonical(expected)) {
    differences.push(`payload differs:\n    ours:     ${canonical(actual).slice(0, 4000)}\n    recorded: ${canonical(expected).slice(0, 4000)}`);
    if (envelope.error) differences.push(`our error: ${Buffer.from(envelope.payload, 'base64').toString('utf8')}`);
  }
  return differences;
}

/** Runs a websocket step in the background; resolves with its differences once the socket is done. */
function replayWebSocketStep(
  server: DevServer,
  fixture: ConformanceFixture,
  step: FixtureWebSocketStep,
  record: OurStep,
): { sent: Promise<void>; done: Promise<string[]> } {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/pubsub`);
  const opened = performance.now();
  const received: { payloadtype: string; error: boolean; payloadJson: LosslessJsonValue }[] = [];
  record.response = { frames: [] };
  let upgradeStatus = 0;
  ws.on('upgrade', (response) => {
    upgradeStatus = response.statusCode ?? 0;
  });
  ws.on('message', (data) => {
    const frame = JSON.parse((data as Buffer).toString('utf8')) as { payloadtype: string; payload: string; error: boolean };
    const payloadJson = parseLosslessJson(Buffer.from(frame.payload, 'base64').toString('utf8'));
    received.push({ payloadtype: frame.payloadtype, error: frame.error, payloadJson });
    record.response!.frames!.push({ payloadJson });
  });
  const closed = new Promise<{ code: number; atMs: number }>((resolve) => {
    ws.on('close', (code) => resolve({ code, atMs: performance.now() - opened }));
    ws.on('error', () => undefined);
  });
  const sent = (async () => {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    for (const frame of step.request.frames) {
      const wait = frame.atMs - (performance.now() - opened);
      if (wait > 0) await sleep(wait);
      let payload = frame.payload;
      let signature = frame.signature;
      if (frame.bindings?.length) {
        ({ payload, signature } = encodeRequest(fixture, frame.signer, frame.payloadJson, frame.bindings));
        if (step.name === 'ws-bad-signature') {
          // Keep the recorded defect: a valid signature over the JSON text, not the base64 payload.
          const json = structuredClone(frame.payloadJson);
          for (const binding of frame.bindings) setJsonPath(json, binding.path, resolveBinding(fixture.file, binding));
          signature = sign(stringifyLosslessJson(json), fixture.identities[frame.signer]!.prvkey);
        }
      }
      ws.send(JSON.stringify({ payloadtype: frame.payloadtype, payload, signature }));
    }
    await sleep(30);
  })();
  const done = (async () => {
    await sent;
    const close = step.response.close;
    if (close?.closedBy === 'client') {
      const wait = Math.min(close.atMs, 4500) - (performance.now() - opened);
      if (wait > 0) await sleep(wait);
      ws.close(1000);
    }
    const result = await Promise.race([closed, sleep(15_000).then(() => undefined)]);
    const differences: string[] = [];
    if (upgradeStatus !== step.response.httpStatus) differences.push(`upgrade status ${upgradeStatus}, recorded ${step.response.httpStatus}`);
    if (!result) differences.push('socket never closed');
    else if (close?.closedBy === 'server') {
      if (result.code !== close.code) differences.push(`close code ${result.code}, recorded ${close.code}`);
      // Not earlier than recorded (the subscription timeout), and not much later (a loaded CI machine is slow).
      if (result.atMs < close.atMs - 500 || result.atMs > close.atMs + 5000) {
        differences.push(`closed at ${Math.round(result.atMs)} ms, recorded ${close.atMs} ms`);
      }
    }
    const expectedFrames = step.response.frames;
    if (received.length !== expectedFrames.length) {
      differences.push(
        `received ${received.length} frames (${received.map((f) => f.payloadtype).join(', ')}), recorded ${expectedFrames.length}`,
      );
    }
    expectedFrames.forEach((expectedFrame, i) => {
      const frame = received[i];
      if (!frame) return;
      if (frame.payloadtype !== expectedFrame.payloadtype || frame.error !== expectedFrame.error) {
        differences.push(`frame ${i}: ${frame.payloadtype}/${frame.error}, recorded ${expectedFrame.payloadtype}/${expectedFrame.error}`);
        return;
      }
      const actual = canonical(comparable(frame.payloadJson, expectedFrame.volatile, expectedFrame.unordered, frame.error));
      const expected = canonical(
        comparable(expectedFrame.payloadJson, expectedFrame.volatile, expectedFrame.unordered, expectedFrame.error),
      );
      if (actual !== expected) differences.push(`frame ${i} differs:\n    ours:     ${actual}\n    recorded: ${expected}`);
    });
    return differences;
  })();
  return { sent, done };
}

describe('replay of the recorded Colonies v1.9.12 exchanges', () => {
  let server: DevServer;
  beforeAll(async () => {
    const first = fixtures[0]!;
    server = await startDevServer({
      serverOwnerPrivateKey: first.identities['server-owner']!.prvkey,
      bootstrap: false,
      deadlineCheckIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const fixture of fixtures) {
    it(`${fixture.file}: every step answers like v1.9.12`, { timeout: 120_000 }, async () => {
      const records: OurStep[] = [];
      ours.set(fixture.file, records);
      const outcomes: StepOutcome[] = [];
      const background: Promise<void>[] = [];
      for (const [index, step] of fixture.steps.entries()) {
        const record: OurStep = {};
        records[index] = record;
        if (isWebSocketStep(step)) {
          const { sent, done } = replayWebSocketStep(server, fixture, step, record);
          await sent;
          background.push(done.then((differences) => void outcomes.push({ step: step.name, differences })));
        } else {
          outcomes.push({ step: step.name, differences: await replayHttpStep(server, fixture, step, record) });
        }
      }
      await Promise.all(background);
      const unexpected: string[] = [];
      for (const outcome of outcomes) {
        const key = `${fixture.file}:${outcome.step}`;
        const exception = DOCUMENTED_EXCEPTIONS[key];
        if (exception && outcome.differences.length === 0) unexpected.push(`${outcome.step}: listed as an exception but now matches`);
        if (!exception && outcome.differences.length > 0) unexpected.push(`${outcome.step}:\n  ${outcome.differences.join('\n  ')}`);
      }
      expect(unexpected, unexpected.join('\n\n')).toEqual([]);
    });
  }
});
