/**
 * runExecutor() and failure causes (issue #17): the cause the backend reports is recorded on the process
 * (`POLLINATOR_FAILURE_CAUSE`, `POLLINATOR_FAILURE_DETAIL`, type OUT) and said in the process log in one
 * line, before the close; a success records none; the exec deadline is a time limit; a start the backend
 * refuses is "could not start".
 */
import { describe, expect, it } from 'vitest';
import type { JobHandle } from './backend';
import { closeCause, startFailureCause } from './executor-job-cause';
import { StopJob } from './executor-stop';
import { RunRecordKey } from './run-record-keys';
import { FakeBackend, FakeClient, makeProcess, start, until } from './run-executor.test-helpers';

const GiB = 1024 ** 3;

function attributes(client: FakeClient, processId: string): Record<string, string> {
  return Object.fromEntries(client.attributes.filter((entry) => entry.processId === processId).map((entry) => [entry.key, entry.value]));
}

/** Notes which cause was on the process when it was closed. */
class ClosingClient extends FakeClient {
  causeAtClose: string | undefined;
  override async closeFailed(processId: string, errors: string[] | string): Promise<void> {
    this.causeAtClose = attributes(this, processId)[RunRecordKey.failureCause];
    await super.closeFailed(processId, errors);
  }
}

class RefusingBackend extends FakeBackend {
  override start(): Promise<JobHandle> {
    return Promise.reject(new Error('image docker://nope/missing:1 could not be pulled: manifest unknown'));
  }
}

describe('failure causes on the process', () => {
  it('records an out-of-memory kill with its details and says it in the log, before the close', async () => {
    const client = new ClosingClient();
    const backend = new FakeBackend();
    client.queue.push(makeProcess('p1'));
    start(client, backend);
    await until(() => backend.started.length === 1, 'job started');
    backend.finish('p1', {
      state: 'failed',
      exitCode: null,
      reason: 'OUT_OF_MEMORY: the job used more memory than it asked for',
      cause: { kind: 'out-of-memory', peakMemoryBytes: 15.8 * GiB, requestedMemoryBytes: 16 * GiB },
    });
    await until(() => client.closed.length === 1, 'closed');
    const detail = 'killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem';
    expect(attributes(client, 'p1')).toMatchObject({ [RunRecordKey.failureCause]: 'out-of-memory', [RunRecordKey.failureDetail]: detail });
    expect(client.attributes).toContainEqual({ processId: 'p1', key: RunRecordKey.failureCause, value: 'out-of-memory', type: 1 });
    expect(client.logs.map((entry) => entry.message).join('')).toContain(`Pollinator: ${detail}\n`);
    expect(client.closed[0]).toMatchObject({ success: false });
    expect(client.causeAtClose).toBe('out-of-memory');
  });

  it('records "failed" with the exit code for a backend that gives no cause, and nothing on success', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    client.queue.push(makeProcess('bad'), makeProcess('good'));
    start(client, backend);
    await until(() => backend.started.length === 2, 'jobs started');
    backend.finish('bad', { state: 'failed', exitCode: 3, reason: 'exit code 3' });
    backend.finish('good', { state: 'succeeded', exitCode: 0 });
    await until(() => client.closed.length === 2, 'closed');
    expect(attributes(client, 'bad')).toMatchObject({ [RunRecordKey.failureCause]: 'failed', [RunRecordKey.failureDetail]: "failed: exit code 3 — see the job's output for why" });
    expect(attributes(client, 'good')[RunRecordKey.failureCause]).toBeUndefined();
    expect(client.logs.filter((entry) => entry.processId === 'good').map((entry) => entry.message).join('')).not.toContain('Pollinator: ');
  });

  it('records the exec deadline as a time limit', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const process = makeProcess('p1', { maxexectime: 60 });
    process.execdeadline = new Date(Date.now() + 150).toISOString();
    client.queue.push(process);
    start(client, backend);
    await until(() => client.closed.length === 1, 'closed at the deadline');
    expect(attributes(client, 'p1')).toMatchObject({
      [RunRecordKey.failureCause]: 'time-limit',
      [RunRecordKey.failureDetail]: 'killed: time limit reached (limit 1m) — raise conditions.walltime, or checkpoint and resume',
    });
  });

  it('records a start the backend refused as "could not start" (the image)', async () => {
    const client = new FakeClient();
    client.queue.push(makeProcess('p1'));
    start(client, new RefusingBackend());
    await until(() => client.closed.length === 1, 'closed');
    expect(attributes(client, 'p1')).toMatchObject({
      [RunRecordKey.failureCause]: 'could-not-start',
      [RunRecordKey.failureDetail]: 'could not start: the image could not be pulled — check the image name and that the executor can pull it',
    });
  });

  it('records a spec the executor refuses as "could not start" (its configuration), before the close', async () => {
    const client = new ClosingClient();
    const backend = new FakeBackend();
    const invalid = makeProcess('invalid');
    invalid.spec.conditions.nodes = 0;
    client.queue.push(invalid);
    start(client, backend);
    await until(() => client.closed.length === 1, 'closed');
    expect(attributes(client, 'invalid')).toMatchObject({
      [RunRecordKey.failureCause]: 'could-not-start',
      [RunRecordKey.failureDetail]: "could not start: the platform refused its configuration — fix what the process's error says; the command never ran",
    });
    expect(client.causeAtClose).toBe('could-not-start');
    expect(backend.started).toHaveLength(0);
  });

  it('chooses the cause: the executor\'s own stop first, else the status', () => {
    const oom = { kind: 'out-of-memory' as const };
    expect(closeCause({ state: 'cancelled', reason: 'cancelled' }, new StopJob('deadline', 'maxexectime of 60 s exceeded'), 60)).toMatchObject({ kind: 'time-limit', limitSeconds: 60 });
    expect(closeCause({ state: 'cancelled', reason: 'cancelled' }, new StopJob('shutdown-cancel', 'executor shutting down'), 0)).toMatchObject({ kind: 'cancelled' });
    expect(closeCause({ state: 'failed', exitCode: null, reason: 'x', cause: oom }, undefined, 0)).toBe(oom);
    expect(closeCause({ state: 'succeeded', exitCode: 0 }, undefined, 0)).toBeUndefined();
    expect(startFailureCause('sbatch refused the job: invalid partition')).toMatchObject({ kind: 'could-not-start', startProblem: 'config' });
  });
});
