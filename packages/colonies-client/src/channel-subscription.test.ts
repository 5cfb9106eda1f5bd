// subscribeChannel against a loopback server that answers with the frames
// recorded from a real v1.9.12 server (12-channels.json, websocket steps):
// the client must send the recorded subscribe frame (fields and a signature
// that recovers to the signer) and turn the recorded frames into entries,
// refusals and ends.
import { recoverId } from '@pollinator/crypto';
import {
  decodeFixturePayload,
  loadExtraConformanceFixture,
  type FixtureWebSocketStep,
  type LosslessJsonValue,
} from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelRefusal, type ChannelEntry } from './channel-calls';
import type { ChannelSubscription } from './channel-subscription';
import { createColoniesClient } from './create-client';
import { ColoniesAbortError, ColoniesArgumentError, ColoniesError } from './errors';
import { startLoopbackServer, type LoopbackServer } from './loopback.test-helpers';

const FILE = '12-channels.json';
const fixture = loadExtraConformanceFixture(FILE);
function wsStep(name: string): FixtureWebSocketStep {
  const step = fixture.steps.find((candidate) => candidate.name === name);
  if (step?.kind !== 'websocket') throw new Error(`no websocket step ${name} in ${FILE}`);
  return step;
}
type Obj = Record<string, LosslessJsonValue>;

/** A recorded scalar as text (int64 values arrive as bigint). */
function text(value: LosslessJsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') throw new Error(`expected a scalar, got ${JSON.stringify(value)}`);
  return String(value);
}

function client(server: LoopbackServer, signer: string) {
  const identity = fixture.identities[signer]!;
  return createColoniesClient({ url: server.url, pubsubUrl: server.pubsubUrl, privateKey: identity.prvkey, colonyName: fixture.run.colony, retry: false });
}

async function drain(subscription: ChannelSubscription): Promise<ChannelEntry[][]> {
  const frames: ChannelEntry[][] = [];
  for await (const frame of subscription) frames.push(frame);
  return frames;
}

/** Answers each subscribe frame with the given recorded frames; keeps what the client sent. */
function replay(server: LoopbackServer, answers: (index: number) => string[]): Array<{ payloadtype: string; json: Obj; signature: string; payload: string }> {
  const sent: Array<{ payloadtype: string; json: Obj; signature: string; payload: string }> = [];
  server.onWebSocket((socket) => {
    socket.on('message', (data: Buffer) => {
      const envelope = JSON.parse(data.toString('utf8')) as { payloadtype: string; payload: string; signature: string };
      sent.push({ ...envelope, json: decodeFixturePayload(envelope.payload) as Obj });
      for (const frame of answers(sent.length - 1)) socket.send(frame);
    });
  });
  return sent;
}

function expectSent(sent: { payloadtype: string; json: Obj; signature: string; payload: string }, recorded: Obj, signer: string, keys = ['processid', 'name', 'afterseq', 'timeout']) {
  expect(sent.payloadtype).toBe('subscribechannelmsg');
  expect(recoverId(sent.payload, sent.signature)).toBe(fixture.identities[signer]!.id);
  for (const key of keys) expect(text(sent.json[key]), key).toBe(text(recorded[key]));
  expect(sent.json.msgtype).toBe('subscribechannelmsg');
}

describe('subscribeChannel: replay of the v1.9.12 recording', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer();
  });
  afterAll(() => server.close());

  it('existing entries from the index, then one frame per live append, then [] ends it (ws-executor-subscribe-afterseq)', async () => {
    const step = wsStep('ws-executor-subscribe-afterseq');
    const sent = replay(server, () => step.response.frames.map((frame) => frame.rawText));
    const recorded = step.request.frames[0]!.payloadJson;
    const subscription = client(server, 'executor').subscribeChannel({
      processId: text(recorded.processid),
      name: text(recorded.name),
      fromIndex: Number(recorded.afterseq),
      timeoutSeconds: Number(recorded.timeout),
    });
    const frames = await drain(subscription);
    expectSent(sent[0]!, recorded, 'executor');
    const expected = step.response.frames.slice(0, -1).map((frame) => frame.payloadJson as Obj[]);
    expect(frames.map((frame) => frame.map((entry) => entry.sequence))).toEqual(expected.map((frame) => frame.map((raw) => BigInt(text(raw.sequence)))));
    expect(frames[0]![0]!.senderId).toBe(expected[0]![0]!.senderid);
    expect(Buffer.from(frames[0]![0]!.payload!).toString('base64')).toBe(expected[0]![0]!.payload);
    expect(frames.slice(1).every((frame) => frame.length === 1)).toBe(true);
    expect(subscription.endedBy).toBe('timeout');
  });

  it('error frames become ColoniesErrors a sender can classify (ws-subscribe-errors)', async () => {
    const step = wsStep('ws-subscribe-errors');
    const refusals = ['process-not-found', 'channel-not-found', 'not-authorized', 'not-authorized', 'not-authorized'];
    for (const [index, refusal] of refusals.entries()) {
      const request = step.request.frames[index]!;
      const answer = step.response.frames[index]!;
      const sent = replay(server, () => [answer.rawText]);
      const call = drain(
        client(server, request.signer).subscribeChannel({
          processId: text(request.payloadJson.processid),
          name: text(request.payloadJson.name),
          timeoutSeconds: Number(request.payloadJson.timeout),
        }),
      );
      const error = await call.then(() => undefined, (failure: unknown) => failure);
      expect(ColoniesError.isInstance(error), request.signer).toBe(true);
      expect((error as ColoniesError).status).toBe(Number((answer.payloadJson as Obj).status));
      expect(channelRefusal(error)).toBe(refusal);
      expectSent(sent[0]!, request.payloadJson, request.signer);
    }
  });

  it('a process closed during the subscription ends it silently: no [] by timeout + grace (ws-subscribed-while-closed)', async () => {
    const step = wsStep('ws-subscribed-while-closed');
    const recorded = step.request.frames[0]!.payloadJson;
    const sent = replay(server, () => []);
    // The recording waited 20 s; one second shows the same.
    const subscription = client(server, 'user').subscribeChannel({
      processId: text(recorded.processid),
      name: text(recorded.name),
      fromIndex: Number(recorded.afterseq),
      timeoutSeconds: 1,
      graceMs: 100,
    });
    expect(await drain(subscription)).toEqual([]);
    expect(subscription.endedBy).toBe('silent');
    expectSent(sent[0]!, recorded, 'user', ['processid', 'name', 'afterseq']);
  });

  it('a socket the server drops ends the subscription as silent; return() ends it as closed', async () => {
    server.onWebSocket((socket) => socket.on('message', () => socket.terminate()));
    const dropped = client(server, 'user').subscribeChannel({ processId: 'p', name: 'data', timeoutSeconds: 5 });
    expect(await drain(dropped)).toEqual([]);
    expect(dropped.endedBy).toBe('silent');

    server.onWebSocket(() => undefined);
    const ours = client(server, 'user').subscribeChannel({ processId: 'p', name: 'data', timeoutSeconds: 5 });
    const pending = ours.next();
    await ours.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(ours.endedBy).toBe('closed');
  });

  it('an aborted signal rejects with ColoniesAbortError; bad options are refused before connecting', async () => {
    server.onWebSocket(() => undefined);
    const controller = new AbortController();
    const subscription = client(server, 'user').subscribeChannel({ processId: 'p', name: 'data', signal: controller.signal });
    const pending = drain(subscription);
    controller.abort();
    await expect(pending).rejects.toThrow(ColoniesAbortError);
    const c = client(server, 'user');
    expect(() => c.subscribeChannel({ processId: 'p', name: 'data', timeoutSeconds: 0 })).toThrow(ColoniesArgumentError);
    expect(() => c.subscribeChannel({ processId: 'p', name: 'data', fromIndex: -1 })).toThrow(ColoniesArgumentError);
    expect(() => c.subscribeChannel({ processId: 'p', name: '' })).toThrow(/name must not be empty/);
  });
});
