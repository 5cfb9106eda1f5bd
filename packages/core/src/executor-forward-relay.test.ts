/**
 * The executor's side of a keyless forward, end to end through the embedded
 * dev-server: runExecutor relays a forward the submitter opens with
 * `openForward` to a job running `python3 -m http.server` (a real process,
 * a real TCP port, real channels), refuses a port the spec does not list even
 * to a client that skips the client-side check, ends the forward when the
 * job ends, and logs each of it in one line without payload. Plus the parts
 * that need no server: where a connection goes, and the log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient, type FunctionSpecInput } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { createChannelLink, createForwardListener, ForwardNotAllowedError, openForward, type ForwardEvent, type RelayEvent } from '@pollinator/port-forward';
import { FORWARD_PORTS_ENV, forwardChannelNames } from '@pollinator/spec-builder';
import type { Backend, JobHandle, JobRequest, JobStatus, LogChunk } from './backend';
import { addressOfJob, describeRelayEvent } from './executor-forward-relay';
import { runExecutor, type ExecutorEvent, type RunningExecutor } from './run-executor';
import { FakeBackend, FakeClient, makeProcess, start, until } from './run-executor.test-helpers';

/**
 * Jobs as plain child processes of the test (`sh -c <command>`): the local
 * backend's job model in a few lines (core cannot depend on @pollinator/local,
 * which depends on core). Output is delivered once the job has ended.
 */
class ShellBackend implements Backend {
  readonly name = 'shell';
  readonly #jobs = new Map<string, { child: ChildProcess; output: string; status?: JobStatus; ended: Promise<void> }>();

  async start(job: JobRequest): Promise<JobHandle> {
    const child = spawn('/bin/sh', ['-c', job.command], { env: { ...job.env, PATH: process.env.PATH ?? '' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const entry: { child: ChildProcess; output: string; status?: JobStatus; ended: Promise<void> } = { child, output: '', ended: Promise.resolve() };
    const collect = (chunk: Buffer) => (entry.output += chunk.toString('utf8'));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    entry.ended = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        entry.status = code === 0 ? { state: 'succeeded', exitCode: 0 } : { state: 'failed', exitCode: code, reason: signal ? `killed by ${signal}` : `exit code ${code}` };
        resolve();
      }),
    );
    this.#jobs.set(job.processId, entry);
    return { backend: this.name, processId: job.processId, id: String(child.pid), data: {} };
  }

  async status(handle: JobHandle): Promise<JobStatus> {
    return this.#jobs.get(handle.processId)?.status ?? { state: 'running', nodes: [] };
  }

  /** Its jobs run on this host, as the local backend's do: loopback while running. */
  async jobAddress(handle: JobHandle): Promise<string | undefined> {
    return (await this.status(handle)).state === 'running' ? '127.0.0.1' : undefined;
  }

  async *logs(handle: JobHandle, from: string, signal?: AbortSignal): AsyncIterable<LogChunk> {
    const entry = this.#jobs.get(handle.processId)!;
    await Promise.race([entry.ended, new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }))]);
    if (signal?.aborted) return;
    const offset = Number(from || 0);
    if (entry.output.length > offset) yield { text: entry.output.slice(offset), cursor: String(entry.output.length) };
  }

  async cancel(handle: JobHandle): Promise<void> {
    const entry = this.#jobs.get(handle.processId);
    if (!entry || entry.status) return;
    try {
      process.kill(-entry.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await entry.ended;
  }
}

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Connects to 127.0.0.1:`port` and resolves with what the peer sent before it closed. */
function readUntilClosed(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('runExecutor relays a keyless forward to the job (dev-server, real job process)', () => {
  let server: DevServer;
  let root: string;
  let user: ColoniesClient;
  let executor: RunningExecutor;
  const events: ExecutorEvent[] = [];
  const forwardLines = (processId: string) => events.flatMap((event) => (event.type === 'forward' && event.processId === processId ? [event.message] : []));

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pollinator-forward-relay-'));
    server = await startDevServer({ dataDir: join(root, 'server') });
    const { colony, executor: identity } = server.identities;
    const client = (privateKey: string) => createColoniesClient({ url: server.url, privateKey, colonyName: colony.name });
    user = client(server.identities.user.privateKey);
    executor = runExecutor({
      client: client(identity.privateKey),
      backend: new ShellBackend(),
      cfs: { store: createLocalBlobStore({ dir: server.blobDir }) },
      fsDir: join(root, 'fs'),
      stateDir: join(root, 'state'),
      executorName: identity.name,
      assignTimeoutSeconds: 1,
      watchIntervalMs: 250,
      onEvent: (event) => events.push(event),
    });
    await executor.ready;
  });

  afterAll(async () => {
    await executor?.stop('cancel');
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Submits a job running `command`, with the forward channels and `allowedPort` in its spec. */
  async function submit(command: string, allowedPort: number): Promise<string> {
    const spec: FunctionSpecInput = {
      funcname: 'execute',
      kwargs: { cmd: command, args: [], 'docker-image': 'none', 'init-cmd': '' },
      maxexectime: 120,
      maxretries: 1,
      maxwaittime: -1,
      conditions: { executortype: server.identities.executor.type, nodes: 1, processespernode: 1, cpu: '100m', mem: '100Mi', walltime: 121 },
      env: { [FORWARD_PORTS_ENV]: String(allowedPort) },
      fs: { mount: '/cfs', snapshots: [], dirs: [] },
      channels: forwardChannelNames(),
    };
    return (await user.submit(spec)).processid;
  }

  it('reaches python3 -m http.server through openForward, refuses other ports, and ends with the job', async () => {
    const port = await freePort();
    const site = join(root, 'site');
    mkdirSync(site, { recursive: true });
    const body = `hello through the colony ${randomBytes(8).toString('hex')}\n`;
    writeFileSync(join(site, 'hello.txt'), body);
    const processId = await submit(`python3 -m http.server ${port} --bind 127.0.0.1 --directory '${site}'`, port);

    const clientEvents: ForwardEvent[] = [];
    const listener = await openForward({ client: user, processId, remotePort: port, localPort: 0, onEvent: (event: ForwardEvent) => clientEvents.push(event) });
    try {
      // The job needs a moment to listen: a connection before that is refused by the job, not by the forward.
      await expect
        .poll(() => fetch(`http://127.0.0.1:${listener.port}/hello.txt`).then((response) => response.text(), () => ''), { timeout: 30_000, interval: 250 })
        .toBe(body);

      // A port the spec does not list: refused before any byte leaves this machine…
      const refused = await openForward({ client: user, processId, remotePort: 22, localPort: 0 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(ForwardNotAllowedError.isInstance(refused)).toBe(true);
      expect((refused as ForwardNotAllowedError).allowedPorts).toEqual([port]);

      // The executor logged the relayed connection, one line each, without a byte of what it carried.
      expect(forwardLines(processId)[0]).toBe(`relaying forwards to port ${port} of the job`);
      expect(forwardLines(processId).some((line) => line.includes(`relayed to 127.0.0.1:${port}`))).toBe(true);
      for (const line of forwardLines(processId)) {
        expect(line).not.toContain('\n');
        expect(line).not.toContain('hello through the colony');
      }

      // The job ends (cancelled): the forward ends with it, and says so.
      await user.cancelProcess(processId);
      const end = await listener.ended;
      expect(end.kind === 'process-ended' || (end.kind === 'closed' && end.by === 'peer')).toBe(true);
      await expect.poll(() => forwardLines(processId).some((line) => line.startsWith('forward ended: ')), { timeout: 30_000 }).toBe(true);
    } finally {
      await listener.close();
    }
  });

  it('serves the next forward after the submitter closed one, while the job runs', async () => {
    const port = await freePort();
    const site = mkdtempSync(join(root, 'site-'));
    writeFileSync(join(site, 'again.txt'), 'served again\n');
    const processId = await submit(`python3 -m http.server ${port} --bind 127.0.0.1 --directory '${site}'`, port);
    try {
      for (const round of [1, 2, 3]) {
        const listener = await openForward({ client: user, processId, remotePort: port, localPort: 0 });
        try {
          await expect
            .poll(() => fetch(`http://127.0.0.1:${listener.port}/again.txt`).then((response) => response.text(), () => ''), { timeout: 30_000, interval: 250 })
            .toBe('served again\n');
        } finally {
          // Ctrl-C in `pollinator forward`: the forward closes, the job runs on.
          await listener.close();
        }
        await expect.poll(() => forwardLines(processId).filter((line) => line.startsWith('forward ended: ')).length, { timeout: 30_000 }).toBe(round);
      }
      expect(forwardLines(processId).filter((line) => line.startsWith('relaying forwards to port'))).toHaveLength(1);
    } finally {
      await user.cancelProcess(processId).catch(() => undefined);
    }
  });

  it('refuses a port the spec does not list to a client that skips the check, naming the allowed one', async () => {
    const allowed = await freePort();
    const processId = await submit('echo started; sleep 60', allowed);
    await until(() => events.some((event) => event.type === 'job.started' && event.processId === processId), 'the job started', 30_000);
    const clientEvents: ForwardEvent[] = [];
    // Straight onto the channels with port 22: only the executor can refuse it now.
    const link = createChannelLink({ client: user, processId, role: 'submitter' });
    const listener = await createForwardListener({ link, remotePort: 22, localPort: 0, onEvent: (event: ForwardEvent) => clientEvents.push(event) });
    try {
      expect(await readUntilClosed(listener.port)).toBe('');
      await expect.poll(() => clientEvents.find((event) => event.type === 'refused'), { timeout: 30_000 }).toMatchObject({
        reason: expect.stringMatching(new RegExp(`port 22 is not forwarded for this process: it allows ${allowed}`)),
      });
      expect(forwardLines(processId).some((line) => /^connection \d+ to port 22 refused: port 22 is not forwarded/.test(line))).toBe(true);
      expect(forwardLines(processId).some((line) => line.includes('relayed to'))).toBe(false);
    } finally {
      await listener.close();
      await user.cancelProcess(processId).catch(() => undefined);
    }
  });
});

describe('runExecutor without a forward in the spec', () => {
  it('starts no relay for a spec without the channels, without a port or with odd values, and says why when its client has no channels', async () => {
    const client = new FakeClient();
    const backend = new FakeBackend();
    const events: ExecutorEvent[] = [];
    const plain = makeProcess('plain');
    const portless = makeProcess('portless');
    portless.spec.channels = forwardChannelNames();
    const forwarded = makeProcess('forwarded');
    forwarded.spec.channels = forwardChannelNames();
    forwarded.spec.env = { [FORWARD_PORTS_ENV]: '8888' };
    // Any JSON a server may send in these fields: no forward, and the job runs as any other.
    const odd = makeProcess('odd');
    odd.spec.channels = [7, null, ...forwardChannelNames()];
    odd.spec.env = { [FORWARD_PORTS_ENV]: 8888 as unknown as string };
    client.queue.push(plain, portless, forwarded, odd);
    start(client, backend, { onEvent: (event) => events.push(event), maxConcurrency: 4 });
    await until(() => backend.started.length === 4, 'four jobs started');
    // The fake client cannot use channels: a warning for the one spec that asked, nothing for the others.
    await until(() => events.some((event) => event.type === 'warning' && event.processId === 'forwarded'), 'the warning');
    const about = (id: string) => events.filter((event) => (event.type === 'warning' || event.type === 'forward') && 'processId' in event && event.processId === id);
    expect(about('plain')).toEqual([]);
    expect(about('portless')).toEqual([]);
    expect(about('odd')).toEqual([]);
    expect(about('forwarded')).toEqual([expect.objectContaining({ type: 'warning', message: expect.stringMatching(/cannot use process channels/) })]);
    for (const id of ['plain', 'portless', 'forwarded', 'odd']) backend.finish(id, { state: 'succeeded', exitCode: 0 });
    await until(() => client.closed.length === 4, 'all closed');
    expect(client.closed.every((close) => close.success)).toBe(true);
  });
});

describe('where a forwarded connection goes', () => {
  const handle: JobHandle = { backend: 'test', processId: 'p', id: '1', data: {} };
  const backendWith = (status: JobStatus, jobAddress?: () => Promise<string | undefined>): Backend => {
    const backend = new FakeBackend();
    backend.status = async () => status;
    return jobAddress ? Object.assign(backend, { jobAddress }) : backend;
  };

  it("takes the backend's jobAddress as final, even when it has none (no guess that reaches more than the job)", async () => {
    expect(await addressOfJob(backendWith({ state: 'running', nodes: ['n1'] }, async () => '10.1.2.3'), handle)).toBe('10.1.2.3');
    expect(await addressOfJob(backendWith({ state: 'running', nodes: ['n1'] }, async () => undefined), handle)).toBeUndefined();
  });

  it('without jobAddress: the first running node, none when no node is named (no guess of loopback), nothing while not running', async () => {
    expect(await addressOfJob(backendWith({ state: 'running', nodes: ['nid001', 'nid002'] }), handle)).toBe('nid001');
    expect(await addressOfJob(backendWith({ state: 'running', nodes: [] }), handle)).toBeUndefined();
    expect(await addressOfJob(backendWith({ state: 'running', nodes: [''] }), handle)).toBeUndefined();
    expect(await addressOfJob(backendWith({ state: 'pending', reason: 'queued' }), handle)).toBeUndefined();
    expect(await addressOfJob(backendWith({ state: 'succeeded', exitCode: 0 }), handle)).toBeUndefined();
  });
});

describe('the log lines of a relay', () => {
  it('says what happened to each connection in one line, reasons flattened and cut', () => {
    const events: RelayEvent[] = [
      { type: 'stream-opened', streamId: 1, address: '10.0.0.7', port: 8888 },
      { type: 'stream-refused', streamId: 2, port: 22, reason: 'port 22 is not forwarded for this process:\nit allows 8888' },
      { type: 'stream-closed', streamId: 1 },
      { type: 'stream-closed', streamId: 3, reason: `connection reset ${'x'.repeat(1000)}` },
      { type: 'ended', end: { kind: 'closed', by: 'peer' }, message: 'the client closed the forward' },
      { type: 'notice', text: 'rate limited: waiting 200 ms' },
    ];
    const lines = events.map(describeRelayEvent);
    expect(lines.slice(0, 3)).toEqual([
      'connection 1 relayed to 10.0.0.7:8888',
      'connection 2 to port 22 refused: port 22 is not forwarded for this process: it allows 8888',
      'connection 1 closed',
    ]);
    expect(lines[3]!.length).toBeLessThan(340);
    expect(lines[3]!.endsWith('…')).toBe(true);
    expect(lines[4]).toBe('forward ended: the client closed the forward');
    expect(lines[5]).toBe('rate limited: waiting 200 ms');
    for (const line of lines) expect(line).not.toContain('\n');
  });

  it('never writes the terminal escapes a client or job put in a reason', () => {
    const line = describeRelayEvent({ type: 'stream-closed', streamId: 4, reason: 'bye\u001b[2J\u001b]0;owned\u0007\u009b31m' });
    expect(line).toBe('connection 4 closed: bye[2J]0;owned31m');
    expect(describeRelayEvent({ type: 'notice', text: '\u001b[1Aover' })).toBe('[1Aover');
  });
});
