// createChannelLink against the embedded dev-server on loopback: a process
// that declares the forward channels, its submitter on one end and its
// executor on the other.
import { createHash, randomBytes } from 'node:crypto';
import { ColoniesNetworkError, createColoniesClient, createNodeFetch, type ColoniesClient } from '@pollinator/colonies-client';
import { forwardChannelName, forwardChannelNames } from '@pollinator/spec-builder';
import type { ChannelLimits } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannelLink, type ChannelLinkInternals } from './link';
import { ForwardLinkError } from './link-errors';
import { readAll, startForwardColony, type ForwardColony } from './link.test-helpers';
import type { ChannelLinkOptions, ForwardLink } from './link-types';

let colony: ForwardColony;
const limits: Partial<ChannelLimits> = {};

beforeAll(async () => {
  colony = await startForwardColony({ channelLimits: limits });
});
afterAll(() => colony.close());

type Extra = Partial<ChannelLinkOptions> & ChannelLinkInternals;

function pair(processId: string, extra: Extra = {}): { submitter: ForwardLink; executor: ForwardLink } {
  return {
    submitter: createChannelLink({ client: colony.user, processId, role: 'submitter', ...extra }),
    executor: createChannelLink({ client: colony.executor, processId, role: 'executor', ...extra }),
  };
}

const text = (value: string) => new TextEncoder().encode(value);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('createChannelLink', () => {
  it('carries records both ways in order with several appends in flight, and close ends both sides', async () => {
    const processId = await colony.runningProcess();
    const { submitter, executor } = pair(processId, { window: 4, maxAppendBytes: 8 });
    const received = readAll(executor);
    const records = Array.from({ length: 40 }, (_, index) => `rec-${String(index).padStart(3, '0')}`);
    await Promise.all(records.map((record) => submitter.write(text(record))));
    await executor.write(text('reply'));
    const reply = submitter.read()[Symbol.asyncIterator]();
    expect(Buffer.from((await reply.next()).value as Uint8Array).toString()).toBe('reply');
    await submitter.close();
    expect((await received).toString()).toBe(records.join(''));
    expect(await submitter.ended).toEqual({ kind: 'closed', by: 'us' });
    expect(await executor.ended).toEqual({ kind: 'closed', by: 'peer' });
    await expect(submitter.write(text('late'))).rejects.toSatisfy((error) => ForwardLinkError.isInstance(error) && error.code === 'FORWARD_LINK_ENDED');
    expect(submitter.pendingBytes).toBe(0);
  });

  it('orders entries that reach the server out of sequence, drops duplicates and ignores entries from anyone but the peer', async () => {
    const processId = await colony.runningProcess();
    const submitter = createChannelLink({ client: colony.user, processId, role: 'submitter', timing: { subscribeTimeoutSeconds: 1 } });
    const received = readAll(submitter);
    // The executor only ever answers: the submitter's link reads what comes after it started (its first write is appended).
    await submitter.write(text('open'));
    const down = forwardChannelName('down', 0);
    const append = (client: typeof colony.user, sequence: number, payload: string, type?: string) =>
      client.appendChannel({ processId, name: down, sequence, payload: text(payload), ...(type === undefined ? {} : { type }) });
    // The submitter itself is the only other identity the server lets append: a hostile entry from it must be ignored.
    await append(colony.user, 1, 'HOSTILE');
    await append(colony.executor, 3, 'c');
    await append(colony.executor, 1, 'a');
    await append(colony.executor, 1, 'a');
    await append(colony.user, 2, 'HOSTILE');
    await append(colony.executor, 2, 'b');
    await append(colony.executor, 3, 'c');
    await append(colony.executor, 4, 'd');
    await append(colony.executor, 5, 'bye', 'error');
    expect((await received).toString()).toBe('abcd');
    expect(await submitter.ended).toEqual({ kind: 'closed', by: 'peer', reason: 'bye' });
  });

  it('re-reads from the first early entry while a gap lasts: a late append lands before it and shifts the log', async () => {
    const processId = await colony.runningProcess();
    const down = forwardChannelName('down', 0);
    let sawThree: () => void = () => undefined;
    const seenThree = new Promise<void>((resolve) => (sawThree = resolve));
    // Polling only (no WebSocket), with every read observed: the test knows when sequence 3 has been read.
    const observed = new Proxy(colony.user, {
      get(target, property) {
        if (property === 'subscribeChannel') return () => { throw new ColoniesNetworkError('subscribechannelmsg', 'WebSockets are off in this test', false); };
        if (property === 'readChannel') {
          return async (...args: Parameters<ColoniesClient['readChannel']>) => {
            const entries = await target.readChannel(...args);
            if (entries.some((entry) => entry.sequence === 3n)) sawThree();
            return entries;
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const submitter = createChannelLink({ client: observed, processId, role: 'submitter' });
    const received = readAll(submitter);
    await submitter.write(text('open'));
    const append = (sequence: number, payload: string, type?: string) =>
      colony.executor.appendChannel({ processId, name: down, sequence, payload: text(payload), ...(type === undefined ? {} : { type }) });
    await append(3, 'c');
    await seenThree;
    await append(1, 'a');
    await append(2, 'b');
    await append(4, '', 'end');
    expect((await received).toString()).toBe('abc');
  });

  it('moves on to the next channel once one has carried its share, and ends plainly when all are used', async () => {
    const processId = await colony.runningProcess();
    const layout = { entriesPerChannel: 5, channelsPerDirection: 3 };
    const { submitter, executor } = pair(processId, { layout, maxAppendBytes: 2, window: 2 });
    const received = readAll(executor);
    const records = Array.from({ length: 12 }, (_, index) => String(index).padStart(2, '0'));
    for (const record of records) await submitter.write(text(record));
    const lengths = await Promise.all([0, 1, 2].map((index) => colony.user.readChannel({ processId, name: forwardChannelName('up', index) })));
    expect(lengths.map((entries) => entries.length)).toEqual([5, 5, 2]);
    await submitter.write(text('12'));
    await submitter.write(text('13'));
    await submitter.write(text('14'));
    await expect(submitter.write(text('15'))).rejects.toThrow(ForwardLinkError);
    const end = await submitter.ended;
    expect(end.kind).toBe('limit');
    expect(end).toMatchObject({ message: expect.stringMatching(/used all 3 of its channels/) });
    expect((await received).toString()).toBe([...records, '12', '13', '14'].join(''));
    expect(await executor.ended).toMatchObject({ kind: 'limit', message: expect.stringMatching(/the other side has used all 3 forward channels/) });
  });

  it('waits and retries the same sequence when the server answers "rate limit exceeded"', async () => {
    const processId = await colony.runningProcess();
    const notices: string[] = [];
    Object.assign(limits, { appendsPerSecond: 20, appendBurst: 3 });
    try {
      const { submitter, executor } = pair(processId, { maxAppendBytes: 4, appendsPerSecond: 1000, burst: 1000, onNotice: (notice) => notices.push(notice) });
      const received = readAll(executor);
      const records = Array.from({ length: 12 }, (_, index) => `r${String(index).padStart(2, '0')}`);
      await Promise.all(records.map((record) => submitter.write(text(record))));
      await submitter.close();
      expect((await received).toString()).toBe(records.join(''));
      expect(notices.some((notice) => /^rate limited: waiting \d+ ms$/.test(notice))).toBe(true);
      const sequences = (await colony.user.readChannel({ processId, name: forwardChannelName('up', 0) })).map((entry) => Number(entry.sequence));
      expect(sequences).toEqual([...new Set(sequences)].sort((a, b) => a - b));
    } finally {
      delete limits.appendsPerSecond;
      delete limits.appendBurst;
    }
  });

  it('refuses a second user of the colony: only the submitter can forward', async () => {
    const processId = await colony.runningProcess();
    const intruder = createChannelLink({ client: colony.otherUser, processId, role: 'submitter' });
    const write = intruder.write(text('x'));
    const end = await intruder.ended;
    expect(end).toMatchObject({ kind: 'refused', refusal: 'not-authorized' });
    expect(end).toMatchObject({ message: expect.stringMatching(/only the submitter of process .* can forward to it/) });
    await expect(write).rejects.toThrow(ForwardLinkError);
  });

  it('ends with process-ended when the process closes', async () => {
    const processId = await colony.runningProcess();
    const { submitter, executor } = pair(processId, { processPollMs: 200 });
    await submitter.write(text('hello'));
    const first = await executor.read()[Symbol.asyncIterator]().next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('hello');
    await colony.executor.closeSuccessful(processId);
    expect(await submitter.ended).toEqual({ kind: 'process-ended', state: 'successful' });
    expect(await executor.ended).toEqual({ kind: 'process-ended', state: 'successful' });
  });

  it('reads by polling when the WebSocket cannot be opened', async () => {
    const processId = await colony.runningProcess();
    const { server } = colony;
    const blocked = createColoniesClient({
      url: server.url,
      pubsubUrl: 'ws://127.0.0.1:9/pubsub',
      privateKey: server.identities.executor.privateKey,
      colonyName: server.identities.colony.name,
      retry: false,
    });
    const notices: string[] = [];
    const executor = createChannelLink({ client: blocked, processId, role: 'executor', onNotice: (notice) => notices.push(notice) });
    const submitter = createChannelLink({ client: colony.user, processId, role: 'submitter' });
    const received = readAll(executor);
    await submitter.write(text('polled'));
    await submitter.close();
    expect((await received).toString()).toBe('polled');
    expect(notices.some((notice) => notice.includes('polling'))).toBe(true);
  });

  it('notices a process that closed from the subscription ending without its [] (no process polling)', async () => {
    const processId = await colony.runningProcess();
    const quiet = { processPollMs: 3_600_000, timing: { subscribeTimeoutSeconds: 1, silentGraceMs: 200 } };
    const { submitter, executor } = pair(processId, quiet);
    await submitter.write(text('hello'));
    const first = await executor.read()[Symbol.asyncIterator]().next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('hello');
    await colony.executor.closeFailed(processId, 'the job failed');
    expect(await executor.ended).toEqual({ kind: 'process-ended', state: 'failed' });
    expect(await submitter.ended).toEqual({ kind: 'process-ended', state: 'failed' });
  });

  it('closes at once while it still waits for the process to be assigned', async () => {
    const waiting = await colony.user.submit({ funcname: 'execute', conditions: { executortype: 'nobody-runs-this' }, channels: forwardChannelNames() });
    try {
      const submitter = createChannelLink({ client: colony.user, processId: waiting.processid, role: 'submitter' });
      const write = submitter.write(text('queued before the assignment'));
      await submitter.close();
      expect(await submitter.ended).toEqual({ kind: 'closed', by: 'us' });
      await expect(write).rejects.toThrow(ForwardLinkError);
    } finally {
      await colony.user.cancelProcess(waiting.processid);
    }
  });

  it('carries 5 MB byte-exact', async () => {
    const processId = await colony.runningProcess();
    const { submitter, executor } = pair(processId);
    const data = randomBytes(5 * 1024 * 1024);
    const received = readAll(executor);
    const writes: Array<Promise<void>> = [];
    for (let offset = 0; offset < data.length; offset += 64 * 1024) writes.push(submitter.write(data.subarray(offset, offset + 64 * 1024)));
    await Promise.all(writes);
    await submitter.close();
    const got = await received;
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
  });

  it('a later forward to the same process starts after the earlier one', async () => {
    const processId = await colony.runningProcess();
    const first = pair(processId);
    const firstReceived = readAll(first.executor);
    await first.submitter.write(text('one'));
    await first.submitter.close();
    expect((await firstReceived).toString()).toBe('one');
    await first.executor.ended;
    const second = pair(processId);
    const back = readAll(second.submitter);
    await second.submitter.write(text('two'));
    const two = await second.executor.read()[Symbol.asyncIterator]().next();
    expect(Buffer.from(two.value as Uint8Array).toString()).toBe('two');
    await second.executor.write(text('back'));
    await second.executor.close();
    expect((await back).toString()).toBe('back');
    expect(await second.submitter.ended).toEqual({ kind: 'closed', by: 'peer' });
  });

  it('an executor link re-attached while a forward is live starts at the tail: nothing the first link read is delivered again', async () => {
    const processId = await colony.runningProcess();
    const submitter = createChannelLink({ client: colony.user, processId, role: 'submitter' });
    const replies = submitter.read()[Symbol.asyncIterator]();
    // The first executor's client stops answering when it is "killed": nothing it starts after that reaches the colony.
    const realFetch = createNodeFetch();
    let killed = false;
    const killable = createColoniesClient({
      url: colony.server.url,
      privateKey: colony.server.identities.executor.privateKey,
      colonyName: colony.server.identities.colony.name,
      retry: false,
      fetch: (url, init) => (killed ? new Promise(() => undefined) : realFetch(url, init)),
    });
    const kill = new AbortController();
    const first = createChannelLink({ client: killable, processId, role: 'executor', signal: kill.signal });
    await submitter.write(text('request-1'));
    expect(Buffer.from((await first.read()[Symbol.asyncIterator]().next()).value as Uint8Array).toString()).toBe('request-1');
    await first.write(text('reply-1'));
    expect(Buffer.from((await replies.next()).value as Uint8Array).toString()).toBe('reply-1');
    // The executor is killed: it stops reading, and its goodbye never reaches the colony. A new link, same process and identity:
    killed = true;
    kill.abort();
    const second = createChannelLink({ client: colony.executor, processId, role: 'executor' });
    const received = readAll(second);
    // Its write is appended only once it has looked at the channels, so the next request comes after its start.
    await second.write(text('hello-again'));
    expect(Buffer.from((await replies.next()).value as Uint8Array).toString()).toBe('hello-again');
    await submitter.write(text('request-2'));
    await submitter.close();
    expect((await received).toString()).toBe('request-2');
    expect(await second.ended).toEqual({ kind: 'closed', by: 'peer' });
  });

  it('ends the link as a protocol error when the peer leaves more entries behind a gap than it may have in flight', async () => {
    const processId = await colony.runningProcess();
    const executor = createChannelLink({ client: colony.executor, processId, role: 'executor' });
    const up = forwardChannelName('up', 0);
    // Four times the default window of 4 may wait behind the missing sequence 1; the submitter appends 17.
    for (let sequence = 2; sequence <= 18; sequence += 1) await colony.user.appendChannel({ processId, name: up, sequence, payload: text('x') });
    expect(await executor.ended).toEqual({ kind: 'error', message: 'protocol error from the peer: the other side left more than 16 messages waiting behind a missing one (sequence 1), more than it may have in flight' });
  });
});
