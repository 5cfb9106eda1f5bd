import { generatePrivateKey } from '@pollinator/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ColoniesClient } from './client';
import { createColoniesClient } from './create-client';
import { ColoniesAbortError, ColoniesError, ColoniesTimeoutError } from './errors';
import { FakeColonies } from './fake-colonies.test-helpers';
import { startLoopbackServer, type LoopbackServer } from './loopback.test-helpers';
import { ProcessState, type Log, type Process } from './types';

let server: LoopbackServer;
let fake: FakeColonies;
let client: ColoniesClient;

beforeEach(async () => {
  server = await startLoopbackServer();
  fake = new FakeColonies(server);
  client = createColoniesClient({ url: server.url, privateKey: generatePrivateKey(), colonyName: 'dev', retry: false });
});
afterEach(async () => {
  await server.close();
});

/** Resolves once `condition()` holds (event-driven tests, robust on a loaded machine). */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function collect(it: AsyncIterable<Log>): Promise<Log[]> {
  const out: Log[] = [];
  for await (const l of it) out.push(l);
  return out;
}

describe('followLogs', () => {
  it('yields every entry once, in order, and ends when the process is terminal and drained', async () => {
    fake.state = ProcessState.RUNNING;
    fake.addLogs(['a\n', 'b\n']);
    const timer = setInterval(() => {
      if (fake.logs.length < 40) fake.addLogs([`line ${fake.logs.length}\n`, `line ${fake.logs.length + 1}\n`]);
      else {
        // The last lines land just before the close: they must still come out.
        fake.addLogs(['last\n']);
        fake.setState(ProcessState.SUCCESS);
        clearInterval(timer);
      }
    }, 5);
    const logs = await collect(client.followLogs(fake.processId, { pollIntervalMs: 10, pageSize: 7 }));
    clearInterval(timer);
    expect(logs.map((l) => l.message)).toEqual(fake.logs.map((l) => l.message));
    expect(logs.map((l) => l.timestamp)).toEqual(fake.logs.map((l) => l.timestamp));
    expect(logs.every((l) => typeof l.timestamp === 'bigint')).toBe(true);
  });

  it('sends the exact int64 digits back as since', async () => {
    fake.state = ProcessState.RUNNING;
    fake.addLogs(['one\n', 'two\n', 'three\n']);
    void until(() => fake.sinces.length >= 2).then(() => fake.setState(ProcessState.SUCCESS));
    const logs = await collect(client.followLogs(fake.processId, { pollIntervalMs: 10 }));
    expect(logs).toHaveLength(3);
    // 0 first, then the exact timestamp of the last entry (not a rounded double).
    const last = fake.logs[2]!.timestamp;
    expect(fake.sinces[0]).toBe('0');
    expect(fake.sinces[1]).toBe(last.toString());
    expect(BigInt(Number(last))).not.toBe(last); // beyond 2^53: a JS number could not carry it
  });

  it('neither duplicates nor loses entries that share a timestamp across a page boundary', async () => {
    fake.state = ProcessState.SUCCESS;
    fake.addLogs(['x1\n', 'x2\n']);
    fake.addLogs(['same1\n', 'same2\n', 'same3\n', 'same4\n'], true);
    fake.addLogs(['after\n']);
    const logs = await collect(client.followLogs(fake.processId, { pageSize: 3 }));
    expect(logs.map((l) => l.message)).toEqual(['x1\n', 'x2\n', 'same1\n', 'same2\n', 'same3\n', 'same4\n', 'after\n']);
  });

  it('resumes after a given cursor', async () => {
    fake.state = ProcessState.FAILED;
    fake.addLogs(['a', 'b', 'c']);
    const logs = await collect(client.followLogs(fake.processId, { since: fake.logs[0]!.timestamp }));
    expect(logs.map((l) => l.message)).toEqual(['b', 'c']);
  });

  it('ends for a cancelled process with no logs', async () => {
    fake.state = ProcessState.CANCELLED;
    await expect(collect(client.followLogs(fake.processId))).resolves.toEqual([]);
  });

  it('stops with an AbortError when its signal fires', async () => {
    fake.state = ProcessState.RUNNING;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 80);
    await expect(collect(client.followLogs(fake.processId, { signal: controller.signal, pollIntervalMs: 20 }))).rejects.toBeInstanceOf(
      ColoniesAbortError,
    );
  });
});

describe('subscribeProcess / watchProcess / waitForProcess', () => {
  it('subscribes with one frame per state and ends when the server drops the socket at the timeout', async () => {
    fake.state = ProcessState.SUCCESS;
    const events: Process[] = [];
    for await (const p of client.subscribeProcess(fake.processId, { states: [ProcessState.SUCCESS, ProcessState.FAILED], timeoutSeconds: 1 })) {
      events.push(p);
    }
    expect(events.map((p) => p.state)).toEqual([ProcessState.SUCCESS]);
    expect(typeof events[0]!.prioritytime).toBe('bigint');
    expect(events[0]!.attributes).toEqual([]);
  });

  it('turns an error frame into a ColoniesError', async () => {
    const error = await (async () => {
      for await (const _ of client.subscribeProcess('0'.repeat(64), { states: [ProcessState.SUCCESS], timeoutSeconds: 5 })) {
        /* none */
      }
    })().catch((e: unknown) => e);
    expect(ColoniesError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 403, payloadtype: 'subscribeprocessmsg' });
  });

  it('refuses a non-positive subscription timeout', () => {
    expect(() => client.subscribeProcess(fake.processId, { states: [2], timeoutSeconds: 0 })).toThrow(/positive/);
  });

  it('watchProcess yields each state change once across socket drops and resubscriptions', async () => {
    fake.state = ProcessState.WAITING;
    fake.dropAfterEvents = 1; // every socket dies right after its first event
    const seen: number[] = [];
    const script = async () => {
      await until(() => fake.calls.subscribe >= 1);
      await new Promise((r) => setTimeout(r, 50));
      fake.setState(ProcessState.RUNNING); // pushed, then that socket is dropped
      await until(() => fake.calls.subscribe >= 2); // resubscribed
      await new Promise((r) => setTimeout(r, 50));
      fake.closeAllSockets(); // a drop with no event
      fake.state = ProcessState.SUCCESS; // changes while nobody is connected
    };
    const run = script();
    for await (const p of client.watchProcess(fake.processId, { timeoutSeconds: 1 })) seen.push(p.state);
    await run;
    expect(seen).toEqual([ProcessState.WAITING, ProcessState.RUNNING, ProcessState.SUCCESS]);
    expect(fake.calls.subscribe).toBeGreaterThanOrEqual(2);
  });

  it('watchProcess resubscribes after the server timeout drop', async () => {
    fake.state = ProcessState.RUNNING;
    // Change the state only once the first subscription timed out and a second one is open.
    void until(() => fake.calls.subscribe >= 2).then(() => setTimeout(() => fake.setState(ProcessState.FAILED), 50));
    const seen: number[] = [];
    for await (const p of client.watchProcess(fake.processId, { timeoutSeconds: 1, states: [ProcessState.FAILED, ProcessState.SUCCESS] })) {
      seen.push(p.state);
    }
    expect(seen).toEqual([ProcessState.FAILED]);
    expect(fake.calls.subscribe).toBeGreaterThanOrEqual(2);
  });

  it('waitForProcess falls back to polling when WebSockets are blocked', async () => {
    server.blockWebSockets(403);
    fake.state = ProcessState.RUNNING;
    // Succeed only once it is visibly polling.
    void until(() => fake.calls.getprocess >= 4).then(() => fake.setState(ProcessState.SUCCESS));
    const p = await client.waitForProcess(fake.processId, [ProcessState.SUCCESS], { pollIntervalMs: 50 });
    expect(p.state).toBe(ProcessState.SUCCESS);
    expect(fake.calls.subscribe).toBe(0);
    expect(fake.calls.getprocess).toBeGreaterThan(2);
  });

  it('waitForProcess resolves at once for a process already in the state, and on a terminal one', async () => {
    fake.state = ProcessState.CANCELLED;
    await expect(client.waitForProcess(fake.processId, [ProcessState.RUNNING])).resolves.toMatchObject({ state: ProcessState.CANCELLED });
    fake.state = ProcessState.RUNNING;
    await expect(client.waitForProcess(fake.processId, [ProcessState.RUNNING])).resolves.toMatchObject({ state: ProcessState.RUNNING });
  });

  it('waitForProcess honours its timeout and its signal', async () => {
    fake.state = ProcessState.RUNNING;
    await expect(client.waitForProcess(fake.processId, undefined, { timeoutMs: 150 })).rejects.toBeInstanceOf(ColoniesTimeoutError);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(client.waitForProcess(fake.processId, undefined, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('unknown process: watch fails with the 404', async () => {
    await expect(client.waitForProcess('1'.repeat(64))).rejects.toMatchObject({ status: 404 });
  });
});
