/**
 * runExecutor() on an injected clock (`RunExecutorOptions.clock`): deadlines
 * and back-off follow the clock's time, so a test drives a 60 s maxexectime
 * in milliseconds.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutorClock } from './executor-clock';
import { FakeBackend, FakeClient, makeProcess, start, until } from './run-executor.test-helpers';

/** Time that moves only when told; its waits last a few real milliseconds at most. */
class ManualClock implements ExecutorClock {
  offset = 0;
  readonly sleeps: number[] = [];
  readonly #start = Date.now();
  now(): number {
    return this.#start + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(resolve, Math.min(ms, 5));
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
  setTimeout(callback: () => void, ms: number): { clear(): void } {
    const timer = setTimeout(callback, Math.min(ms, 20));
    return { clear: () => clearTimeout(timer) };
  }
}

describe('runExecutor with an injected clock', () => {
  it("stops the job at its maxexectime by the clock's time (2 s early), not by real time", async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const clock = new ManualClock();
    client.queue.push(makeProcess('p1', { maxexectime: 60 }));
    start(client, backend, { clock });
    await until(() => backend.started.length === 1, 'job started');
    clock.advance(57_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(backend.cancelled).toEqual([]);
    clock.advance(1000);
    await until(() => client.closed.length === 1, 'closed at the deadline');
    expect(backend.cancelled).toContain('p1');
    expect(client.closed[0]!.errors![0]).toMatch(/maxexectime of 60 s exceeded, the job was stopped/);
    expect(client.attributes).toContainEqual({ processId: 'p1', key: 'EXITCODE', value: '124', type: 1 });
  });

  it('waits out the assign back-off on the clock, doubling to the maximum', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const clock = new ManualClock();
    client.assignFailures = 4;
    client.queue.push(makeProcess('p1'));
    start(client, backend, { clock, assignBackoff: { initialMs: 1000, maxMs: 5000 } });
    await until(() => backend.started.length === 1, 'job started after the errors');
    expect(clock.sleeps.slice(0, 4)).toEqual([1000, 2000, 4000, 5000]);
  });

  class FlakyLogClient extends FakeClient {
    constructor(public failures: number[]) {
      super();
    }
    override async addLog(processId: string, message: string): Promise<void> {
      const status = this.failures.shift();
      if (status !== undefined) throw Object.assign(new Error(`${status} from the server`), { status });
      await super.addLog(processId, message);
    }
  }
  const backoffSleeps = (clock: ManualClock) => clock.sleeps.filter((ms) => ms === 500 || ms === 1000 || ms === 2000);

  it('sends a log batch again after 0.5 and 1 s on the clock when the server fails', async () => {
    const client = new FlakyLogClient([502, 503]);
    const backend = new FakeBackend();
    const clock = new ManualClock();
    client.queue.push(makeProcess('p1'));
    start(client, backend, { clock, watchIntervalMs: 60_000 });
    await until(() => client.logs.length === 1, 'the output delivered after two failures');
    expect(client.logs[0]).toEqual({ processId: 'p1', message: 'output of p1\n' });
    expect(backoffSleeps(clock)).toEqual([500, 1000]);
  });

  it('never sends a log batch again after a 4xx (the process is closed or no longer ours)', async () => {
    const client = new FlakyLogClient([409]);
    const backend = new FakeBackend();
    const clock = new ManualClock();
    client.queue.push(makeProcess('p1'));
    start(client, backend, { clock, watchIntervalMs: 60_000 });
    await until(() => client.failures.length === 0, 'the batch refused');
    backend.finish('p1', { state: 'succeeded', exitCode: 0 });
    await until(() => client.closed.length === 1, 'closed');
    expect(backoffSleeps(clock)).toEqual([]);
    expect(client.logs).toEqual([]);
  });
});
