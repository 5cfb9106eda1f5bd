import { describe, expect, it } from 'vitest';
import { CHANNEL_LIMITS, type ChannelEntry, ChannelRouter } from './channel-router';
import { ProcessState } from './model';
import { RpcError } from './rpc-error';

const process = (state: number = ProcessState.RUNNING, declared = ['data']) => ({ processid: 'p1', state, declared });
const entry = (sequence: number, senderid = 'user', timestamp = BigInt(sequence)): ChannelEntry => ({
  sequence,
  inreplyto: 0,
  timestamp,
  senderid,
  payload: null,
  type: 'data',
});

function refusal(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (RpcError.isInstance(error)) return `${error.status} ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('ChannelRouter (the v1.9.12 limits and rules, without HTTP)', () => {
  it('keeps 10,000 entries per channel and refuses the next, whoever sends it', () => {
    const router = new ChannelRouter();
    const log = router.log(process(), 'data');
    for (let sequence = 1; sequence <= CHANNEL_LIMITS.maxEntries; sequence++) router.append('p1', 'data', log, entry(sequence));
    expect(log).toHaveLength(10_000);
    expect(refusal(() => router.append('p1', 'data', log, entry(10_001)))).toBe('500 channel log is full');
    expect(refusal(() => router.append('p1', 'data', log, entry(1, 'executor')))).toBe('500 channel log is full');
  });

  it('creates at most the first 100 declared channels', () => {
    const router = new ChannelRouter();
    const declared = Array.from({ length: 101 }, (_, index) => `c${index + 1}`);
    expect(refusal(() => router.log(process(ProcessState.RUNNING, declared), 'c100'))).toBe('accepted');
    expect(refusal(() => router.log(process(ProcessState.RUNNING, declared), 'c101'))).toBe('500 process has too many channels');
    expect(refusal(() => router.log(process(), 'undeclared'))).toBe('404 Channel not found');
  });

  it('allows a burst of 500 appends, then 100 per second', () => {
    let now = 0;
    const router = new ChannelRouter({ now: () => now });
    router.log(process(), 'data');
    for (let index = 0; index < 500; index++) router.takeToken('p1');
    expect(refusal(() => router.takeToken('p1'))).toBe('500 rate limit exceeded');
    now += 10; // one token
    expect(refusal(() => router.takeToken('p1'))).toBe('accepted');
    expect(refusal(() => router.takeToken('p1'))).toBe('500 rate limit exceeded');
    now += 1000;
    for (let index = 0; index < 100; index++) router.takeToken('p1');
    expect(refusal(() => router.takeToken('p1'))).toBe('500 rate limit exceeded');
  });

  it('orders one sender by sequence and different senders by arrival', () => {
    const router = new ChannelRouter();
    const log = router.log(process(), 'data');
    for (const [sequence, sender] of [[1, 'user'], [1, 'executor'], [2, 'user'], [10, 'user'], [5, 'user']] as const) {
      router.append('p1', 'data', log, entry(sequence, sender));
    }
    expect(log.map((item) => `${item.senderid}:${item.sequence}`)).toEqual(['user:1', 'executor:1', 'user:2', 'user:5', 'user:10']);
  });

  it('deletes the channels when the process succeeds or fails, and starts them empty after a cancel', () => {
    const router = new ChannelRouter();
    const log = router.log(process(), 'data');
    router.append('p1', 'data', log, entry(1));
    router.processChanged('p1', ProcessState.CANCELLED);
    expect(router.log(process(ProcessState.CANCELLED), 'data')).toEqual([]);
    router.processChanged('p1', ProcessState.SUCCESS);
    expect(router.processCount).toBe(0);
    expect(refusal(() => router.log(process(ProcessState.SUCCESS), 'data'))).toBe('404 Channel not found');
  });

  it('tells listeners about new entries and about the channel going away', () => {
    const router = new ChannelRouter();
    const log = router.log(process(), 'data');
    const heard: string[] = [];
    router.listen('p1', 'data', { entry: (item) => heard.push(`entry ${item.sequence}`), gone: () => heard.push('gone') });
    router.append('p1', 'data', log, entry(7));
    router.processChanged('p1', ProcessState.FAILED);
    expect(heard).toEqual(['entry 7', 'gone']);
  });
});
