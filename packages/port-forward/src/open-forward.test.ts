// openForward + relayForwards end to end through the embedded dev-server on
// loopback: a real `python3 -m http.server` stands in for the job's server,
// the executor relays, the submitter's client downloads through 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORWARD_PORTS_ENV, forwardChannelNames } from '@pollinator/spec-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForwardError, ForwardNotAllowedError } from './forward-errors';
import type { ForwardEvent, RelayEvent } from './forward-events';
import { connectLocal, httpGet, sha256, socketClosed } from './forward-streams.test-helpers';
import { startForwardColony, type ForwardColony } from './link.test-helpers';
import { openForward, relayForwards } from './open-forward';

let colony: ForwardColony;
let directory: string;
let python: ChildProcess;
let pythonPort: number;
const bigFile = randomBytes(10 * 1024 * 1024);
const smallFiles = Array.from({ length: 20 }, () => randomBytes(64 * 1024));

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'pollinator-forward-'));
  await writeFile(join(directory, 'big.bin'), bigFile);
  await Promise.all(smallFiles.map((content, index) => writeFile(join(directory, `small-${index}.bin`), content)));
  ({ child: python, port: pythonPort } = await startPythonHttpServer(directory));
  colony = await startForwardColony();
});

afterAll(async () => {
  python?.kill();
  await colony?.close();
  await rm(directory, { recursive: true, force: true });
});

async function submit(options: { channels?: boolean; ports?: string } = {}): Promise<string> {
  const process = await colony.user.submit({
    funcname: 'execute',
    conditions: { executortype: colony.server.identities.executor.type },
    maxexectime: 600,
    ...(options.channels === false ? {} : { channels: forwardChannelNames() }),
    env: options.ports === undefined ? {} : { [FORWARD_PORTS_ENV]: options.ports },
  });
  return process.processid;
}

async function assign(processId: string) {
  const assigned = await colony.executor.assign({ timeout: 5 });
  if (assigned?.processid !== processId) throw new Error('the test process was not assigned');
  return colony.executor.getProcess(processId);
}

describe('openForward + relayForwards through the dev-server', () => {
  it('waits for the job to run, then serves a file of python3 -m http.server byte-exact, 20 connections at once, and ends with the process', async () => {
    const processId = await submit({ ports: String(pythonPort) });
    const events: ForwardEvent[] = [];
    const relayEvents: RelayEvent[] = [];
    const opening = openForward({ client: colony.user, processId, remotePort: pythonPort, localPort: 0, pollIntervalMs: 50, onEvent: (event) => events.push(event) });
    // The forward waits: the process is not assigned yet.
    while (!events.some((event) => event.type === 'waiting')) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events[0]).toEqual({ type: 'waiting', processId, state: 'waiting' });
    const process = await assign(processId);
    const relay = relayForwards({ client: colony.executor, process, address: async () => '127.0.0.1', onEvent: (event) => relayEvents.push(event) });
    const listener = await opening;

    const big = await httpGet(listener.port, '/big.bin');
    expect(big.length).toBe(bigFile.length);
    expect(sha256(big)).toBe(sha256(bigFile));

    const smalls = await Promise.all(smallFiles.map((_, index) => httpGet(listener.port, `/small-${index}.bin`)));
    smalls.forEach((body, index) => expect(sha256(body)).toBe(sha256(smallFiles[index]!)));
    expect(relayEvents.filter((event) => event.type === 'stream-opened')).toHaveLength(21);

    // The user stops the forward and opens it again: the relay serves the new session.
    await listener.close();
    expect(await listener.ended).toEqual({ kind: 'closed', by: 'us' });
    const againEvents: ForwardEvent[] = [];
    const again = await openForward({ client: colony.user, processId, remotePort: pythonPort, localPort: 0, onEvent: (event) => againEvents.push(event) });
    expect(sha256(await httpGet(again.port, '/small-3.bin'))).toBe(sha256(smallFiles[3]!));

    // A connection still open when the job ends is closed, with the reason.
    const idle = await connectLocal(again.port);
    while (!againEvents.some((event) => event.type === 'connection-opened' && event.streamId === 2)) await new Promise((resolve) => setTimeout(resolve, 10));

    await colony.executor.closeSuccessful(processId);
    await socketClosed(idle);
    expect(await again.ended).toEqual({ kind: 'process-ended', state: 'successful' });
    expect(againEvents).toContainEqual({ type: 'connection-closed', streamId: 2, reason: 'the process has ended (successful), so the forward has ended too' });
    expect(againEvents.at(-1)).toMatchObject({ type: 'ended', message: expect.stringContaining('successful') });
    expect(await relay.ended).toEqual({ kind: 'process-ended', state: 'successful' });
    // 21 in the first session, the download and the idle connection in the second.
    expect(relayEvents.filter((event) => event.type === 'stream-opened')).toHaveLength(23);
  });

  it('refuses a process that was not started with a forward, telling the user to add a tunnel', async () => {
    const processId = await submit({ channels: false });
    const refusal = openForward({ client: colony.user, processId, remotePort: 8888, localPort: 0 });
    await expect(refusal).rejects.toSatisfy((error) => ForwardNotAllowedError.isInstance(error) && error.code === 'FORWARD_NOT_ALLOWED');
    await expect(refusal).rejects.toThrow(`process ${processId} was not started with a forward: add \`tunnel: {port: 8888}\` to project.yaml and run the job again`);
    await colony.user.removeProcess(processId);
  });

  it('refuses a port the process does not allow, naming the ones it does', async () => {
    const processId = await submit({ ports: '8888,6006' });
    await expect(openForward({ client: colony.user, processId, remotePort: 22, localPort: 0 })).rejects.toThrow(
      `port 22 is not forwarded for process ${processId} (it allows 8888, 6006): forward one of those, or set \`tunnel: {port: 22}\` in project.yaml and run the job again`,
    );
    await colony.user.removeProcess(processId);
  });

  it('refuses a process that does not exist', async () => {
    const processId = 'f'.repeat(64);
    await expect(openForward({ client: colony.user, processId, remotePort: 8888, localPort: 0 })).rejects.toSatisfy(
      (error) => ForwardError.isInstance(error) && error.code === 'FORWARD_PROCESS_NOT_FOUND' && error.message.includes(`process ${processId} was not found`),
    );
  });

  it('refuses another user of the colony', async () => {
    const processId = await submit({ ports: '8888' });
    await expect(openForward({ client: colony.otherUser, processId, remotePort: 8888, localPort: 0 })).rejects.toSatisfy(
      (error) => ForwardError.isInstance(error) && error.code === 'FORWARD_NOT_SUBMITTER' && error.message.startsWith(`only the submitter of process ${processId} can forward to it`),
    );
    await colony.user.removeProcess(processId);
  });

  it('refuses a process that has ended', async () => {
    const processId = await submit({ ports: '8888' });
    await assign(processId);
    await colony.executor.closeFailed(processId, 'done');
    await expect(openForward({ client: colony.user, processId, remotePort: 8888, localPort: 0 })).rejects.toSatisfy(
      (error) => ForwardError.isInstance(error) && error.code === 'FORWARD_PROCESS_ENDED' && error.message === `process ${processId} has ended (failed): a forward needs a running job; run it again`,
    );
  });

  it('lets go of the caller\'s signal once the forward and the relay have ended (no abort listener left behind)', async () => {
    const processId = await submit({ ports: String(pythonPort) });
    const process = await assign(processId);
    const userSignal = new AbortController().signal;
    const executorSignal = new AbortController().signal;
    const relay = relayForwards({ client: colony.executor, process, address: async () => '127.0.0.1', signal: executorSignal });
    const listener = await openForward({ client: colony.user, processId, remotePort: pythonPort, localPort: 0, signal: userSignal });
    expect(sha256(await httpGet(listener.port, '/small-1.bin'))).toBe(sha256(smallFiles[1]!));
    expect(getEventListeners(userSignal, 'abort').length).toBeGreaterThan(0);
    await colony.executor.closeSuccessful(processId);
    await listener.ended;
    await relay.ended;
    await new Promise((resolve) => setImmediate(resolve));
    expect(getEventListeners(userSignal, 'abort')).toHaveLength(0);
    expect(getEventListeners(executorSignal, 'abort')).toHaveLength(0);
  });

  it('stops waiting when the caller aborts', async () => {
    const processId = await submit({ ports: '8888' });
    const controller = new AbortController();
    const opening = openForward({
      client: colony.user,
      processId,
      remotePort: 8888,
      localPort: 0,
      pollIntervalMs: 50,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'waiting') controller.abort();
      },
    });
    await expect(opening).rejects.toSatisfy((error) => ForwardError.isInstance(error) && error.code === 'FORWARD_ABORTED');
    await colony.user.removeProcess(processId);
  });
});

/** `python3 -m http.server` on a free loopback port, serving `directory`. */
function startPythonHttpServer(directory: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', directory], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /port (\d+)/.exec(output);
      if (match !== null) {
        child.stdout?.off('data', onData);
        resolve({ child, port: Number(match[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`python3 -m http.server exited (${code}): ${output}`)));
  });
}
