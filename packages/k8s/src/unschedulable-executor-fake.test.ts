/**
 * A job no node can take, through the whole executor with the k8s backend on
 * the fake API server (two 8 GiB nodes, the job asks for 16 GiB): while the
 * pod is Unschedulable the process's queue says so with the scheduler's words
 * and what to do — one log line, not one per status read — and after the
 * pending timeout the process fails with the scheduler's message and a cause.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRecordKey } from '@pollinator/core';
import { NAMESPACE, outValue, podsOf, startFakeColony, type FakeColony } from './fake-colony.test-helpers';

const FAILED = 3;
const SCHEDULER =
  '0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';

let colony: FakeColony;

beforeAll(async () => {
  colony = await startFakeColony({
    nodes: [
      { name: 'node-0', cpu: 4, memoryBytes: 8 * 2 ** 30 },
      { name: 'node-1', cpu: 4, memoryBytes: 8 * 2 ** 30 },
    ],
    backend: { pendingTimeoutSeconds: 4 },
  });
}, 60_000);

afterAll(async () => {
  await colony?.close();
});

describe('a pod no node can take, through the executor', () => {
  it('waits with the scheduler\'s reason and what to do (said once), then fails after the pending timeout', { timeout: 60_000 }, async () => {
    const { user, fake } = colony;
    const processId = await colony.submit('echo the-command-ran', { mem: '16Gi' });
    await expect.poll(async () => (await user.getProcess(processId)).state, { timeout: 30_000, interval: 100 }).toBe(FAILED);
    const closed = await user.getProcess(processId);
    const log = await colony.logText(processId);
    const waiting = log.split('\n').filter((line) => line.startsWith('Pollinator: waiting in the queue:'));
    expect(waiting).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Pollinator: waiting in the queue: will not start: no node can take the job's pod \\(${SCHEDULER.replace(/[.()/]/g, '\\$&')}\\): lower conditions\\.cpu, conditions\\.mem or conditions\\.gpu, or ask your admins for room; it fails at \\d\\d:\\d\\d:\\d\\d UTC if still not scheduled$`,
        ),
      ),
    ]);
    expect(log).not.toContain('the-command-ran');
    expect(closed.errors.join('\n')).toContain(`Unschedulable: ${SCHEDULER} (pending for more than 4 s)`);
    expect(outValue(closed, RunRecordKey.failureCause)).toBe('could-not-start');
    // The stuck Job is deleted, and no pod of it is left.
    await expect.poll(() => fake.list('pods', NAMESPACE).filter(podsOf(processId)).length, { timeout: 10_000, interval: 100 }).toBe(0);
  });
});
