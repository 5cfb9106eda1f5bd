import { describe, expect, it } from 'vitest';
import type { JobStatus } from './backend';
import { realClock } from './executor-clock';
import type { ExecutorContext } from './executor-context';
import { JobQueuePublisher, MAX_RECORDS, QUEUE_DETAIL_INTERVAL_MS } from './executor-job-queue';

/** What the publisher sent to the server, through a context whose reporter records it, at a time the test sets. */
function recordingContext() {
  const sent = { records: [] as { key: string; value: string }[], logs: [] as string[], now: Date.parse('2026-12-03T12:00:00Z') };
  const context = {
    settings: { clock: { ...realClock, now: () => sent.now } },
    reporter: {
      recordOutput: (_processId: string, key: string, value: string) => {
        sent.records.push({ key, value });
        return Promise.resolve(true);
      },
      log: (_processId: string, message: string) => {
        sent.logs.push(message);
        return Promise.resolve();
      },
    },
  } as unknown as ExecutorContext;
  return { context, sent };
}

const waiting = (position: number): JobStatus => ({ state: 'pending', reason: 'Priority', queue: { reasonCode: 'Priority', partition: 'debug', position, of: 9 } });

describe('publishing a waiting job', () => {
  it('records a new place at most once a minute, each under a new key', async () => {
    const { context, sent } = recordingContext();
    const publisher = new JobQueuePublisher(context, 'p1');
    await publisher.observe(waiting(5));
    sent.now += 1000;
    await publisher.observe(waiting(4));
    expect(sent.records).toHaveLength(1);
    sent.now += QUEUE_DETAIL_INTERVAL_MS;
    await publisher.observe(waiting(3));
    expect(sent.records.map((record) => JSON.parse(record.value).position)).toEqual([5, 3]);
    expect(sent.records.map((record) => record.key)).toEqual([`POLLINATOR_QUEUE_${sent.now - QUEUE_DETAIL_INTERVAL_MS - 1000}`, `POLLINATOR_QUEUE_${sent.now}`]);
    expect(sent.logs).toHaveLength(1);
  });

  it('adds at most MAX_RECORDS while waiting, and the empty record when the job starts', async () => {
    const { context, sent } = recordingContext();
    const publisher = new JobQueuePublisher(context, 'p1');
    for (let change = 0; change < MAX_RECORDS + 20; change += 1) {
      const code = change % 2 === 0 ? 'Priority' : 'Resources';
      await publisher.observe({ state: 'pending', reason: code, queue: { reasonCode: code } });
    }
    expect(sent.records).toHaveLength(MAX_RECORDS);
    await publisher.observe({ state: 'running', nodes: ['vm'] });
    expect(sent.records.at(-1)?.value).toBe('');
    expect(new Set(sent.records.map((record) => record.key)).size).toBe(MAX_RECORDS + 1);
    expect(publisher.active).toBe(false);
  });
});
