// Replays every exchange recorded from a real Colonies v1.9.12 server
// (test-utils/fixtures/rpc, format in its README) against the dev-server and
// checks that each step gets the same HTTP status and the same reply shape
// (volatile fields aside, unordered lists as multisets). Requests whose ids
// came from earlier replies are rebound to our own ids and re-signed with the
// fixture identities. Steps where the dev-server deliberately differs are
// listed in DOCUMENTED_EXCEPTIONS (also in the README) and must still differ.
import { createHash } from 'node:crypto';
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
  loadExtraConformanceFixture,
  type LosslessJsonValue,
  parseJsonPath,
  parseLosslessJson,
  setJsonPath,
  stringifyLosslessJson,
} from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ChannelLimits, type DevServer, startDevServer } from './index';

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

/** Payloads over 4 KiB were not stored (12-channels.json): `elided[]` says how to re-create them. */
interface Elided {
  in: string;
  path: string;
  bytes: number;
  bytesSha256: string;
}

function elidedOf(step: FixtureHttpStep): Elided[] {
  return (step as unknown as { elided?: Elided[] }).elided ?? [];
}

/** byte[i] = i mod 256, the generator every elided payload used. */
function generatedBytes(bytes: number): Buffer {
  return Buffer.alloc(bytes, Buffer.from(Array.from({ length: 256 }, (_, index) => index)));
}

/** The request as sent: the elided payload bytes put back (standard base64). */
function withElidedRequestBytes(step: FixtureHttpStep, payloadJson: Record<string, LosslessJsonValue>): Record<string, LosslessJsonValue> {
  const elided = elidedOf(step).filter((entry) => entry.in === 'request.payloadJson');
  if (elided.length === 0) return payloadJson;
  const json = structuredClone(payloadJson);
  for (const entry of elided) setJsonPath(json, entry.path, generatedBytes(entry.bytes).toString('base64'));
  return json;
}

/** Our reply with each elided payload replaced by the recorded marker when its bytes are the recorded ones. */
function markElidedReplyBytes(step: FixtureHttpStep, payloadJson: LosslessJsonValue): LosslessJsonValue {
  for (const entry of elidedOf(step).filter((item) => item.in === 'response.payloadJson')) {
    const ours = getJsonPath(payloadJson, entry.path);
    if (typeof ours !== 'string') continue;
    const hash = createHash('sha256').update(Buffer.from(ours, 'base64')).digest('hex');
    const marker = getJsonPath(step.response.payloadJson, entry.path) as LosslessJsonValue;
    if (hash === entry.bytesSha256) setJsonPath(payloadJson, entry.path, marker);
  }
  return payloadJson;
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
  } else if (request.payloadJson && (step.bindings?.length || step.redacted || elidedOf(step).length > 0)) {
    const { payload, signature } = encodeRequest(fixture, step.signer, withElidedRequestBytes(step, request.payloadJson), step.bindings);
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
  const payloadJson = markElidedReplyBytes(step, parseLosslessJson(Buffer.from(envelope.payload, 'base64').toString('utf8')));
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
/**
 * When the recording sent a frame long after the one before it (over 1 s),
 * it was waiting for later steps: the frame goes out after the step its own
 * reply frame came after (`afterStep` "62 read-msgtype-mismatch" → 62).
 */
function deferredUntilStep(step: FixtureWebSocketStep, index: number): number | undefined {
  const frame = step.request.frames[index]!;
  const previous = step.request.frames[index - 1];
  if (previous === undefined || frame.atMs - previous.atMs <= 1000) return undefined;
  const reply = step.response.frames.find((candidate) => candidate.atMs >= frame.atMs);
  const afterStep = (reply as { afterStep?: string } | undefined)?.afterStep;
  return afterStep === undefined ? undefined : Number.parseInt(afterStep, 10);
}

/** Frames waiting for a later step, by the step index they follow. */
const deferredFrames = new Map<number, Array<() => void>>();

/**
 * Open sockets and how many frames each has received: after step N the
 * replay waits for the frames the recording received after step N (a
 * subscription timeout, a live push), so a replay faster than the recording
 * keeps its order of events.
 */
const openSockets = new Set<{ step: FixtureWebSocketStep; received: () => number; waited: number }>();

async function awaitFramesRecordedAfter(stepIndex: number): Promise<void> {
  for (const socket of openSockets) {
    const due = socket.step.response.frames.filter((frame) => {
      const after = (frame as { afterStep?: string }).afterStep;
      return after !== undefined && Number.parseInt(after, 10) <= stepIndex;
    }).length;
    // Wait once for each frame (a missing one is reported by the step, not waited for again).
    if (due <= socket.waited) continue;
    socket.waited = due;
    const deadline = performance.now() + 35_000;
    while (socket.received() < due && performance.now() < deadline) await sleep(5);
  }
}

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
  const socket = { step, received: () => received.length, waited: 0 };
  openSockets.add(socket);
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
  let immediateSent!: () => void;
  const immediate = new Promise<void>((resolve) => (immediateSent = resolve));
  const sent = (async () => {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let deferred: Promise<void> = Promise.resolve();
    for (const [index, frame] of step.request.frames.entries()) {
      const later = deferredUntilStep(step, index);
      if (later !== undefined) {
        // Sent by the main loop after step `later`; `done` waits for it.
        const rest = step.request.frames.slice(index);
        deferred = new Promise<void>((resolve) => {
          const list = deferredFrames.get(later) ?? [];
          list.push(() => {
            for (const item of rest) sendFrame(item);
            resolve();
          });
          deferredFrames.set(later, list);
        });
        break;
      }
      const wait = frame.atMs - (performance.now() - opened);
      if (wait > 0) await sleep(wait);
      sendFrame(frame);
    }
    await sleep(30);
    immediateSent();
    return deferred;
  })();
  function sendFrame(frame: FixtureWebSocketStep['request']['frames'][number]): void {
    {
      let payload = frame.payload;
      let signature = frame.signature;
      // A signature the server cannot parse stays as recorded: re-signing would repair it.
      if (frame.bindings?.length && /^[0-9a-f]{130}$/i.test(signature)) {
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
  }
  const done = (async () => {
    const allSent = await sent.then(() => performance.now() - opened);
    const close = step.response.close;
    if (close?.closedBy === 'client') {
      // As recorded, but not before the last recorded frame can have arrived (a 30 s subscription timeout included).
      const lastFrame = Math.max(0, ...step.response.frames.map((frame) => frame.atMs));
      const wait = Math.max(Math.min(close.atMs, 4500), Math.min(lastFrame + 300, close.atMs), allSent + 30) - (performance.now() - opened);
      if (wait > 0) await sleep(wait);
      ws.close(1000);
    }
    const result = await Promise.race([closed, sleep(15_000).then(() => undefined)]);
    openSockets.delete(socket);
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
  return { sent: immediate, done };
}

/** Replays one fixture file in order; returns the unexpected differences. */
/**
 * `limits` (12-channels only) lets a burst lift the rate limit. With them, the
 * replay also keeps the recording's order of socket events (see
 * `awaitFramesRecordedAfter`): the channel recording notes after which step
 * each frame arrived; 01–11 were recorded before that was noted reliably.
 */
async function replayFixture(server: DevServer, fixture: ConformanceFixture, limits?: Partial<ChannelLimits>): Promise<string[]> {
  const keepFrameOrder = limits !== undefined;
  const records: OurStep[] = [];
  ours.set(fixture.file, records);
  const outcomes: StepOutcome[] = [];
  const background: Promise<void>[] = [];
  let afterBurst = false;
  for (const [index, step] of fixture.steps.entries()) {
    const record: OurStep = {};
    records[index] = record;

    if (isWebSocketStep(step)) {
      const { sent, done } = replayWebSocketStep(server, fixture, step, record);
      await sent;
      background.push(done.then((differences) => void outcomes.push({ step: step.name, differences })));
      if (keepFrameOrder) await awaitFramesRecordedAfter(index);
      continue;
    }
    // The recording's next append came ~10 ms after its flood: that much refill gave it a token.
    if (afterBurst) await sleep(15);
    afterBurst = (step as { kind?: string }).kind === 'burst';
    const stopBurst = afterBurst ? await startBurst(server, fixture, step, limits) : undefined;
    outcomes.push({ step: step.name, differences: await replayHttpStep(server, fixture, withLoweredLogLimit(step), record) });
    await stopBurst?.();
    for (const send of deferredFrames.get(index) ?? []) send();
    deferredFrames.delete(index);
    if (keepFrameOrder) await awaitFramesRecordedAfter(index);
  }
  await Promise.all(background);
  const unexpected: string[] = [];
  for (const outcome of outcomes) {
    const key = `${fixture.file}:${outcome.step}`;
    const exception = DOCUMENTED_EXCEPTIONS[key];
    if (exception && outcome.differences.length === 0) unexpected.push(`${outcome.step}: listed as an exception but now matches`);
    if (!exception && outcome.differences.length > 0) unexpected.push(`${outcome.step}:\n  ${outcome.differences.join('\n  ')}`);
  }
  return unexpected;
}

/** The entries `fill-until-log-full` appends (the log limit is lowered to it for the rest of the file). */
const FILL_ENTRIES = 200;

/** A read of the full log's tail, moved to where the tail of the lowered log is. */
function withLoweredLogLimit(step: FixtureHttpStep): FixtureHttpStep {
  if (step.name !== 'read-full-log-tail') return step;
  const payloadJson = { ...(step.request.payloadJson as Record<string, LosslessJsonValue>) };
  payloadJson.afterseq = Number(payloadJson.afterseq) - (10_000 - FILL_ENTRIES);
  return { ...step, request: { ...step.request, payloadJson } };
}

/**
 * A `burst` step summarises a flood; its request is the first refused one.
 * Flood the same way until that refusal is due, and keep flooding while the
 * step itself is sent: appends until the rate limit refuses them
 * (`flood-until-refused`), or the 10,000 entries of a full log
 * (`fill-until-log-full`, with the rate limit lifted: at 100 appends/s it
 * would take 100 s), numbered so that the log's last entries are the
 * recorded ones. Returns what stops the flood.
 */
async function startBurst(
  server: DevServer,
  fixture: ConformanceFixture,
  step: FixtureHttpStep,
  limits?: Partial<ChannelLimits>,
): Promise<() => Promise<void>> {
  const recorded = step.request.payloadJson as Record<string, LosslessJsonValue>;
  const append = async (sequence: number, text: string) => {
    const json = { ...recorded, sequence, payload: Buffer.from(text).toString('base64') };
    const { payload, signature } = encodeRequest(fixture, step.signer, json, step.bindings);
    const response = await fetch(`${server.url}/api`, { method: 'POST', body: JSON.stringify({ payloadtype: step.request.payloadtype, payload, signature }) });
    await response.arrayBuffer();
    return response.status;
  };
  const last = Number(recorded.sequence);
  if (step.name === 'fill-until-log-full') {
    // From here on a log holds 200 entries, not 10,000 (10,000 signed appends take ~40 s here;
    // channel-router.test.ts checks the real limit), numbered so that its last entries are the recorded ones.
    const entries = FILL_ENTRIES;
    if (limits) {
      limits.maxEntries = FILL_ENTRIES;
      limits.appendsPerSecond = Number.MAX_SAFE_INTEGER;
    }
    try {
      for (let first = last - entries; first < last; first += 50) {
        const batch = Math.min(50, last - first);
        const statuses = await Promise.all(Array.from({ length: batch }, (_, offset) => append(first + offset, `entry ${first + offset}`)));
        if (statuses.some((status) => status !== 200)) throw new Error(`filling the log failed: ${statuses.join(',')}`);
      }
    } finally {
      if (limits) delete limits.appendsPerSecond;
    }
    return async () => undefined;
  }
  // Flood until refused; then hold the refill at 0 while the step is sent, so it meets the
  // empty bucket the recording's request met (the race for refilled tokens is not replayable).
  for (let sequence = 1; sequence < 20_000; sequence += 32) {
    const statuses = await Promise.all(Array.from({ length: 32 }, (_, offset) => append(sequence + offset, `flood executor ${sequence + offset}`)));
    if (statuses.some((status) => status !== 200)) {
      if (limits) limits.appendsPerSecond = 0;
      return async () => {
        if (limits) delete limits.appendsPerSecond;
      };
    }
  }
  throw new Error('the flood was never refused');
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
      const unexpected = await replayFixture(server, fixture);
      expect(unexpected, unexpected.join('\n\n')).toEqual([]);
    });
  }
});

describe('replay of the recorded process-channel exchanges (v1.9.12, 12-channels.json)', () => {
  const fixture = loadExtraConformanceFixture('12-channels.json');
  const limits: Partial<ChannelLimits> = {};
  let server: DevServer;
  beforeAll(async () => {
    server = await startDevServer({
      serverOwnerPrivateKey: fixture.identities['server-owner']!.prvkey,
      bootstrap: false,
      deadlineCheckIntervalMs: 100,
      channelLimits: limits,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('every step answers like v1.9.12', { timeout: 180_000 }, async () => {
    const unexpected = await replayFixture(server, fixture, limits);
    expect(unexpected, unexpected.join('\n\n')).toEqual([]);
  });
});
