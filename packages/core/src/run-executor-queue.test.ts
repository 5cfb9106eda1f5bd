/**
 * runExecutor() and a pending job's queue (issue #17): what the backend's status says of the queue is
 * recorded on the process (a new `POLLINATOR_QUEUE_<n>`, type OUT: attributes are add-only) when the
 * reason changes, and for a new place or estimate alone at most once a minute; said in the process log when
 * the reason or the blocking problem changes; ended by an empty record once the job runs.
 */
import { AttributeType, ProcessState } from '@pollinator/colonies-client';
import { describe, expect, it } from 'vitest';
import type { JobHandle, JobStatus } from './backend';
import { parseProcessQueue, processQueue, QUEUE_ATTRIBUTE } from './process-queue';
import { FakeBackend, FakeClient, makeProcess, start, until } from './run-executor.test-helpers';

/** A job whose status is whatever the test sets (pending in a queue, then running). */
class QueuedBackend extends FakeBackend {
  now: JobStatus = { state: 'pending', reason: 'None' };
  reads = 0;
  override async status(handle: JobHandle): Promise<JobStatus> {
    this.reads += 1;
    const final = await super.status(handle);
    return final.state === 'running' ? this.now : final;
  }
}

const pending = (queue: Extract<JobStatus, { state: 'pending' }>['queue'], reason = 'Resources (waiting for nodes to become free)'): JobStatus => ({
  state: 'pending',
  reason,
  ...(queue === undefined ? {} : { queue }),
});

function queueWrites(client: FakeClient): string[] {
  return client.attributes.filter((entry) => entry.key.startsWith(`${QUEUE_ATTRIBUTE}_`)).map((entry) => entry.value);
}

/** What a reader (status, run) makes of the records, given in any order. */
function readBack(client: FakeClient) {
  const attributes = client.attributes
    .filter((entry) => entry.processId === 'p1')
    .reverse()
    .map((entry) => ({ attributeid: '', targetid: 'p1', targetcolonyname: '', targetprocessgraphid: '', state: ProcessState.RUNNING, attributetype: AttributeType.OUT, key: entry.key, value: entry.value }));
  return processQueue({ state: ProcessState.RUNNING, attributes });
}

function queueLogLines(client: FakeClient): string[] {
  return client.logs.map((entry) => entry.message).filter((message) => message.startsWith('Pollinator: waiting in the queue'));
}

/** Lets the watcher (every 20 ms) read the status a few more times. */
async function moreReads(backend: QueuedBackend, count = 5): Promise<void> {
  const target = backend.reads + count;
  await until(() => backend.reads >= target, `${count} more status reads`);
}

describe('a pending job on the process', () => {
  it('records the queue on change only, logs a new reason, and empties it once the job runs', async () => {
    const client = new FakeClient();
    const backend = new QueuedBackend();
    client.queue.push(makeProcess('p1'));
    start(client, backend);
    await until(() => backend.started.length === 1, 'job started');
    // No queue known yet (Slurm has not looked at the job): nothing published.
    await moreReads(backend);
    expect(queueWrites(client)).toEqual([]);

    backend.now = pending({ reasonCode: 'Resources', partition: 'debug', position: 2, of: 3, estimatedStart: '2026-12-03T12:49:47.000Z' });
    await until(() => queueWrites(client).length === 1, 'queue recorded');
    await moreReads(backend);
    expect(queueWrites(client)).toHaveLength(1);
    expect(parseProcessQueue(queueWrites(client)[0]!)).toEqual({
      reasonCode: 'Resources',
      reason: 'Resources (waiting for nodes to become free)',
      partition: 'debug',
      position: 2,
      of: 3,
      estimatedStart: '2026-12-03T12:49:47.000Z',
    });
    expect(client.attributes.find((entry) => entry.key.startsWith(QUEUE_ATTRIBUTE))).toMatchObject({ processId: 'p1', type: 1, key: expect.stringMatching(/^POLLINATOR_QUEUE_\d+$/) });
    expect(readBack(client)?.position).toBe(2);
    expect(queueLogLines(client)).toEqual([
      "Pollinator: waiting in the queue: Resources (waiting for nodes to become free); 2 of 3 pending in partition 'debug'; estimated start 2026-12-03 12:49 UTC\n",
    ]);

    // A better place: not recorded within the minute (see the publisher's own test for after it), no log line.
    backend.now = pending({ reasonCode: 'Resources', partition: 'debug', position: 1, of: 3, estimatedStart: '2026-12-03T12:49:47.000Z' });
    await moreReads(backend);
    expect(queueWrites(client)).toHaveLength(1);
    expect(queueLogLines(client)).toHaveLength(1);

    // Held: a new reason, called out with what to do.
    const blocked = "Slurm job 17 is held: release it with 'scontrol release 17', or cancel the run";
    backend.now = pending({ reasonCode: 'JobHeldUser', partition: 'debug', position: 3, of: 3, blocked }, 'JobHeldUser (held by the user)');
    await until(() => queueLogLines(client).length === 2, 'held logged');
    expect(queueLogLines(client)[1]).toBe(`Pollinator: waiting in the queue: will not start: ${blocked}\n`);

    backend.now = { state: 'running', nodes: ['vm'] };
    await until(() => queueWrites(client).at(-1) === '', 'queue emptied');
    expect(queueWrites(client)).toHaveLength(3);
    expect(readBack(client)).toBeUndefined();
    expect(new Set(client.attributes.map((entry) => entry.key)).size).toBe(client.attributes.length);
    backend.finish('p1', { state: 'succeeded', exitCode: 0 });
    await until(() => client.closed.length === 1, 'closed');
  });

  it('publishes nothing for a backend that never says where a job waits', async () => {
    const client = new FakeClient();
    const backend = new QueuedBackend();
    backend.now = pending(undefined, 'waiting for a free slot');
    client.queue.push(makeProcess('p2'));
    start(client, backend);
    await until(() => backend.started.length === 1, 'job started');
    await moreReads(backend);
    backend.now = { state: 'running', nodes: ['here'] };
    backend.finish('p2', { state: 'succeeded', exitCode: 0 });
    await until(() => client.closed.length === 1, 'closed');
    expect(queueWrites(client)).toEqual([]);
    expect(queueLogLines(client)).toEqual([]);
  });
});
