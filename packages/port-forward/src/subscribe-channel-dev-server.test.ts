// colonies-client's subscribeChannel against the embedded dev-server (here,
// not in colonies-client, because the dev-server depends on colonies-client):
// the behaviour recorded from v1.9.12 end to end over a real socket.
import { channelRefusal, ColoniesError, type ChannelEntry, type ChannelSubscription } from '@pollinator/colonies-client';
import { forwardChannelName } from '@pollinator/spec-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardColony, type ForwardColony } from './link.test-helpers';

let colony: ForwardColony;
beforeAll(async () => {
  colony = await startForwardColony();
});
afterAll(() => colony.close());

const up = forwardChannelName('up', 0);
const bytes = (text: string) => new TextEncoder().encode(text);
const texts = (frame: ChannelEntry[]) => frame.map((entry) => Buffer.from(entry.payload ?? new Uint8Array()).toString());

describe('subscribeChannel on the dev-server', () => {
  it('sends the entries from the index in one frame, then one frame per live append, and ends at the timeout with []', async () => {
    const processId = await colony.runningProcess();
    for (const [sequence, text] of ['zero', 'one', 'two'].entries()) await colony.user.appendChannel({ processId, name: up, sequence: sequence + 1, payload: bytes(text) });
    const subscription = colony.executor.subscribeChannel({ processId, name: up, fromIndex: 1, timeoutSeconds: 1 });
    const frames: string[][] = [];
    for await (const frame of subscription) {
      frames.push(texts(frame));
      if (frames.length === 1) {
        await colony.user.appendChannel({ processId, name: up, sequence: 4, payload: bytes('live-1') });
        await colony.user.appendChannel({ processId, name: up, sequence: 5, payload: bytes('live-2') });
      }
    }
    expect(frames).toEqual([['one', 'two'], ['live-1'], ['live-2']]);
    expect(subscription.endedBy).toBe('timeout');
  });

  it('refuses a member of the colony who is not a party with 403 (not-authorized), and an undeclared channel with 404', async () => {
    const processId = await colony.runningProcess();
    const drain = async (subscription: ChannelSubscription) => {
      for await (const frame of subscription) void frame;
    };
    const intruder = await drain(colony.otherUser.subscribeChannel({ processId, name: up, timeoutSeconds: 1 })).then(() => undefined, (error: unknown) => error);
    expect(ColoniesError.isInstance(intruder) && intruder.status).toBe(403);
    expect(channelRefusal(intruder)).toBe('not-authorized');
    const undeclared = await drain(colony.user.subscribeChannel({ processId, name: 'stdin', timeoutSeconds: 1 })).then(() => undefined, (error: unknown) => error);
    expect(channelRefusal(undeclared)).toBe('channel-not-found');
  });

  it('ends silently when the process closes during the subscription', async () => {
    const processId = await colony.runningProcess();
    const down = forwardChannelName('down', 0);
    const subscription = colony.user.subscribeChannel({ processId, name: down, timeoutSeconds: 1, graceMs: 300 });
    // A live append seen proves the subscription is being served before the close.
    const first = subscription.next();
    await colony.executor.appendChannel({ processId, name: down, sequence: 1, payload: bytes('before the close') });
    expect(texts((await first).value as ChannelEntry[])).toEqual(['before the close']);
    const next = subscription.next();
    await colony.executor.closeSuccessful(processId);
    expect(await next).toEqual({ value: undefined, done: true });
    expect(subscription.endedBy).toBe('silent');
  });
});
