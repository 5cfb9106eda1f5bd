// Replays the channel exchanges recorded from a real Colonies v1.9.12 server
// (test-utils fixtures/rpc-v1.9.12-extra/12-channels.json) through a loopback
// server answering with the recorded replies. For every channelappendmsg and
// channelreadmsg step the client must send what the recording sent (same
// fields, Go zero-value semantics, payload bytes exact, a signature that
// recovers to the signer) and turn the reply into the recorded entries or the
// right refusal.
import { createHash } from 'node:crypto';
import { recoverId } from '@pollinator/crypto';
import {
  decodeFixturePayload,
  loadExtraConformanceFixture,
  type FixtureHttpStep,
  type LosslessJsonValue,
} from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelRefusal, type ChannelRefusal } from './channel-calls';
import { createColoniesClient } from './create-client';
import type { ChannelEntry } from './channel-calls';
import { ColoniesArgumentError, ColoniesError } from './errors';
import { startLoopbackServer, type LoopbackServer } from './loopback.test-helpers';

const fixture = loadExtraConformanceFixture('12-channels.json');

/** Requests no correct client sends (the recording probes the server's parser with them). */
const MALFORMED_ON_PURPOSE = new Set([
  'append-payload-unpadded-base64',
  'append-payload-urlsafe-base64',
  'append-payload-number',
  'append-sequence-string',
  'append-msgtype-mismatch',
  'read-msgtype-mismatch',
]);

/** Refused by the client before sending, with the reason. */
const REFUSED_LOCALLY: Record<string, RegExp> = {
  'append-empty-channel-name': /name must not be empty/,
  'append-10MiB-plus-1': /refuses more than 10485760/,
};

/** How the recorded refusals must classify. */
const REFUSALS: Record<string, ChannelRefusal> = {
  'append-by-other-user-same-colony': 'not-authorized',
  'read-by-other-user-same-colony': 'not-authorized',
  'append-by-unassigned-executor': 'not-authorized',
  'append-undeclared-channel': 'channel-not-found',
  'append-unknown-process': 'process-not-found',
  'flood-until-refused': 'rate-limited',
  'fill-until-log-full': 'log-full',
  'append-channel-101': 'too-many-channels',
  'append-after-close-user': 'channel-not-found',
  'read-after-close': 'channel-not-found',
};

type Obj = Record<string, LosslessJsonValue>;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A recorded scalar as text (int64 values arrive as bigint). */
function text(value: LosslessJsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') throw new Error(`expected a scalar, got ${JSON.stringify(value)}`);
  return String(value);
}

const isChannelStep = (step: (typeof fixture.steps)[number]): step is FixtureHttpStep =>
  step.kind !== 'websocket' &&
  ['channelappendmsg', 'channelreadmsg'].includes(String((step).request.payloadtype));

/** The bytes an elided payload stood for: byte[i] = i mod 256. */
const pattern = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
function generated(bytes: number): Buffer {
  const out = Buffer.alloc(bytes, pattern);
  return out;
}

function elided(step: FixtureHttpStep, where: string): number | undefined {
  const list = (step as unknown as { elided?: Array<{ in: string; bytes: number }> }).elided ?? [];
  return list.find((entry) => entry.in === where)?.bytes;
}

/** The payload bytes the recorded request sent. */
function recordedPayload(step: FixtureHttpStep, fields: Obj): Buffer | undefined {
  const bytes = elided(step, 'request.payloadJson');
  if (bytes !== undefined) return generated(bytes);
  const payload = fields.payload;
  if (payload === undefined || payload === null) return undefined;
  if (Array.isArray(payload)) return Buffer.from(payload.map(Number));
  return Buffer.from(text(payload), 'base64');
}

/** The recorded reply body (re-built when the recording elided it). */
function replyBody(step: FixtureHttpStep): string {
  const response = step.response as unknown as { rawBody: string | null; payloadJson: LosslessJsonValue; payloadtype: string };
  if (response.rawBody !== null) return response.rawBody;
  const bytes = elided(step, 'response.payloadJson')!;
  const entries = (response.payloadJson as Obj[]).map((entry) => ({ ...entry, payload: generated(bytes).toString('base64') }));
  const payload = Buffer.from(JSON.stringify(entries)).toString('base64');
  return JSON.stringify({ payloadtype: response.payloadtype, payload, error: false });
}

function invoke(step: FixtureHttpStep, url: string, fields: Obj) {
  const identity = fixture.identities[step.signer];
  if (identity === undefined) throw new Error(`no identity ${String(step.signer)}`);
  const client = createColoniesClient({ url, privateKey: identity.prvkey, colonyName: fixture.run.colony, retry: false });
  const processId = text(fields.processid);
  const name = text(fields.name);
  if (step.request.payloadtype === 'channelreadmsg') {
    return client.readChannel({ processId, name, fromIndex: Math.max(0, Number(fields.afterseq ?? 0)), limit: Math.max(0, Number(fields.limit ?? 0)) });
  }
  const payload = recordedPayload(step, fields);
  return client.appendChannel({
    processId,
    name,
    sequence: BigInt(text(fields.sequence ?? 0)),
    ...(fields.inreplyto === undefined ? {} : { inReplyTo: BigInt(text(fields.inreplyto)) }),
    ...(payload === undefined ? {} : { payload }),
    ...(typeof fields.payloadtype === 'string' && fields.payloadtype !== '' ? { type: fields.payloadtype } : {}),
  });
}

describe('channels: replay of the v1.9.12 recording', () => {
  let server: LoopbackServer;
  let current: FixtureHttpStep | undefined;
  beforeAll(async () => {
    server = await startLoopbackServer();
    server.onHttp((_request, res) => {
      res.writeHead(current!.response.httpStatus, { 'content-type': 'text/plain; charset=utf-8' }).end(replyBody(current!));
    });
  });
  afterAll(() => server.close());

  const steps = fixture.steps.filter(isChannelStep).filter((step) => !MALFORMED_ON_PURPOSE.has(step.name));

  it('covers the recorded appends and reads', () => {
    expect(steps.length).toBeGreaterThan(60);
  });

  it.each(steps.map((step) => [step.name, step] as const))('%s', async (name, step) => {
    const fields = step.request.payloadJson as Obj;
    current = step;
    const before = server.requests.length;
    const call = invoke(step, server.url, fields);
    if (REFUSED_LOCALLY[name]) {
      await expect(call).rejects.toThrow(ColoniesArgumentError);
      await expect(call).rejects.toThrow(REFUSED_LOCALLY[name]);
      expect(server.requests.length).toBe(before);
      return;
    }
    const outcome = await call.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );

    // What was sent: the recorded fields (zero values may be omitted), exact payload bytes, a valid signature.
    expect(server.requests.length).toBe(before + 1);
    const sent = JSON.parse(server.requests.at(-1)!.body) as { payload: string; payloadtype: string; signature: string };
    expect(sent.payloadtype).toBe(step.request.payloadtype);
    const identity = fixture.identities[step.signer]!;
    expect(recoverId(sent.payload, sent.signature)).toBe(identity.id);
    const decoded = decodeFixturePayload(sent.payload) as Obj;
    for (const key of ['processid', 'name', 'afterseq', 'limit', 'sequence', 'inreplyto']) {
      const recorded = fields[key];
      if (recorded === undefined || (key === 'inreplyto' && Number(recorded) === 0)) continue;
      expect(text(decoded[key]), key).toBe(key === 'afterseq' || key === 'limit' ? String(Math.max(0, Number(recorded))) : text(recorded));
    }
    if (step.request.payloadtype === 'channelappendmsg') {
      const expected = recordedPayload(step, fields);
      const got = decoded.payload === undefined ? undefined : Buffer.from(text(decoded.payload), 'base64');
      expect(got === undefined ? undefined : sha256(got)).toBe(expected === undefined ? undefined : sha256(expected));
      expect(text(decoded.payloadtype ?? '')).toBe(text(fields.payloadtype ?? '') === 'data' ? '' : text(fields.payloadtype ?? ''));
    }

    // What came back.
    const response = step.response as unknown as { error: boolean; payloadJson: LosslessJsonValue };
    if (response.error) {
      expect(ColoniesError.isInstance((outcome as { error: unknown }).error)).toBe(true);
      const error = (outcome as { error: ColoniesError }).error;
      expect(error.status).toBe(Number((response.payloadJson as Obj).status));
      if (REFUSALS[name]) expect(channelRefusal(error)).toBe(REFUSALS[name]);
      return;
    }
    expect(outcome).not.toHaveProperty('error');
    if (step.request.payloadtype === 'channelreadmsg') {
      const entries = (outcome as { value: ChannelEntry[] }).value;
      const recorded = (response.payloadJson ?? []) as Obj[];
      expect(entries).toHaveLength(recorded.length);
      const bytes = elided(step, 'response.payloadJson');
      entries.forEach((entry, index) => {
        const raw = recorded[index]!;
        expect(entry.sequence).toBe(BigInt(text(raw.sequence)));
        expect(entry.inReplyTo).toBe(BigInt(text(raw.inreplyto ?? 0)));
        expect(entry.timestamp).toBe(raw.timestamp);
        expect(entry.senderId).toBe(raw.senderid);
        expect(entry.type).toBe(raw.type);
        const payload = bytes !== undefined ? generated(bytes) : raw.payload === null ? null : Buffer.from(text(raw.payload), 'base64');
        // Compared by hash: a deep equality over 10 MiB element by element takes minutes.
        expect(entry.payload === null ? null : sha256(entry.payload)).toBe(payload === null ? null : sha256(payload));
      });
    }
  });
});
