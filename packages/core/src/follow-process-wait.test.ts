/**
 * Following through the embedded dev-server (issue #20): with the server's
 * log wait (`pollinatorwaitlogsmsg`) and with plain polling (a client that
 * cannot ask for it, as against a real Colonies server), every line arrives
 * exactly once and in order — a backlog of more than one page, bursts, lines
 * with gaps, a message of several lines — and the end of the process is seen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import type { PollinatorEvent } from './events';
import { followProcess, type FollowClient } from './follow-process';
import { isUnknownMessage, serverWaitsForLogs, WAIT_LOGS_MESSAGE, waitForNewLogs } from './follow-process-wait';

describe('followProcess on the dev-server', { timeout: 60_000 }, () => {
  let root: string;
  let server: DevServer;
  let user: ColoniesClient;
  let executor: ColoniesClient;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pollinator-follow-wait-'));
    server = await startDevServer({ dataDir: join(root, 'server') });
    const colonyName = server.identities.colony.name;
    user = createColoniesClient({ url: server.url, privateKey: server.identities.user.privateKey, colonyName });
    executor = createColoniesClient({ url: server.url, privateKey: server.identities.executor.privateKey, colonyName });
  });

  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A running process of the bootstrap executor. */
  async function runningProcess(): Promise<string> {
    const submitted = await user.submit({ funcname: 'follow-test', conditions: { executortype: server.identities.executor.type } });
    for (;;) {
      const assigned = await executor.assign({ timeout: 1 });
      if (assigned?.processid === submitted.processid) return submitted.processid;
    }
  }

  /** The process's lines: a backlog over one page, then bursts and single lines with pauses, then the close. */
  async function writeLog(processId: string, backlog: number, started: Promise<unknown>): Promise<string[]> {
    const expected: string[] = [];
    const add = async (message: string) => {
      await executor.addLog(processId, message);
      expected.push(message);
    };
    for (let index = 0; index < backlog; index += 1) await add(`backlog ${index}\n`);
    await started;
    for (let burst = 0; burst < 4; burst += 1) {
      for (let index = 0; index < 15; index += 1) await add(`burst ${burst} line ${index}\n`);
      await pause(30 + burst * 40);
      await add(`single after burst ${burst}\n`);
      await pause(20);
    }
    await add('two lines\nin one message\n');
    await executor.closeSuccessful(processId);
    return expected;
  }

  async function followAll(client: FollowClient, processId: string): Promise<{ events: PollinatorEvent[]; exitCode: number }> {
    const events: PollinatorEvent[] = [];
    const following = followProcess({ client, processId, pollIntervalMs: 50 });
    for await (const event of following) events.push(event);
    const result = await following.result;
    return { events, exitCode: result.exitCode };
  }

  function messages(events: PollinatorEvent[]): string[] {
    return events.flatMap((event) => (event.type === 'log' ? [event.message] : []));
  }

  it('with the server wait: every line once, in order, and the end', async () => {
    const processId = await runningProcess();
    const sent: string[] = [];
    // The real client, watched: which messages it sends.
    const watched = new Proxy(user, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (key === 'rpc') return (msgtype: string, ...rest: unknown[]) => (sent.push(msgtype), (value as ColoniesClient['rpc']).call(target, msgtype, ...(rest as [never])));
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    let followStarted!: () => void;
    const started = new Promise<void>((resolve) => (followStarted = resolve));
    const writing = writeLog(processId, 510, started);
    const following = followAll(watched, processId);
    followStarted();
    const [expected, { events, exitCode }] = await Promise.all([writing, following]);
    expect(messages(events)).toEqual(expected);
    expect(exitCode).toBe(0);
    expect(events.filter((event) => event.type === 'process.state').map((event) => (event as { state: string }).state).at(-1)).toBe('success');
    expect(sent).toContain(WAIT_LOGS_MESSAGE);
  });

  it('polling (a client without the wait, as against a real server): every line once, in order, and the end', async () => {
    const processId = await runningProcess();
    const pollingClient: FollowClient = {
      getLogs: (query, options) => user.getLogs(query, options),
      getProcess: (id, options) => user.getProcess(id, options),
      cancelProcess: (id, options) => user.cancelProcess(id, options),
    };
    expect(await serverWaitsForLogs(pollingClient, undefined)).toBe(false);
    let followStarted!: () => void;
    const started = new Promise<void>((resolve) => (followStarted = resolve));
    const writing = writeLog(processId, 505, started);
    const following = followAll(pollingClient, processId);
    followStarted();
    const [expected, { events, exitCode }] = await Promise.all([writing, following]);
    expect(messages(events)).toEqual(expected);
    expect(exitCode).toBe(0);
  });

  it("waitForNewLogs (the dashboard's live log): the next line from the dev-server; undefined (poll) from a server that cannot wait", async () => {
    const processId = await runningProcess();
    const query = { processId, colonyName: server.identities.colony.name, since: 0n, count: 500, state: 1, waitMs: 20_000 };
    const waiting = waitForNewLogs(user, query, undefined);
    await executor.addLog(processId, 'the next line\n');
    expect((await waiting)?.map((log) => log.message)).toEqual(['the next line\n']);
    const pollingClient: FollowClient = {
      getLogs: (logQuery, options) => user.getLogs(logQuery, options),
      getProcess: (id, options) => user.getProcess(id, options),
      cancelProcess: (id, options) => user.cancelProcess(id, options),
    };
    expect(await waitForNewLogs(pollingClient, query, undefined)).toBeUndefined();
    await executor.closeSuccessful(processId);
  });

  it('asks the dev-server once whether it waits, and knows a server that refuses the message', async () => {
    expect(await serverWaitsForLogs(user, undefined)).toBe(true);
    const refusal = await user.rpc('pollinatornosuchmsg', { colonyname: server.identities.colony.name }).catch((error: unknown) => error);
    expect(isUnknownMessage(refusal)).toBe(true);
  });

  it('stops waiting when its signal aborts: detached, the process keeps running', async () => {
    const processId = await runningProcess();
    const controller = new AbortController();
    const events: PollinatorEvent[] = [];
    const following = followProcess({ client: user, processId, signal: controller.signal });
    const seen = (async () => {
      for await (const event of following) {
        events.push(event);
        if (event.type === 'log') controller.abort();
      }
    })();
    await executor.addLog(processId, 'the only line\n');
    await seen;
    const result = await following.result;
    expect(result.detached).toBe(true);
    expect(messages(events)).toEqual(['the only line\n']);
    expect((await user.getProcess(processId)).state).toBe(1);
    await executor.closeSuccessful(processId);
  });
});
