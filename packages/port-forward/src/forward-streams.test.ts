// The streams layer end to end on real loopback sockets: a client connects to
// the forward listener, the relay connects to a real server, and a memory link
// carries the records between them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardError } from './forward-errors';
import { createForwardListener } from './forward-listener';
import { createMemoryLinkPair } from './memory-link';
import {
  connectLocal,
  contentFor,
  httpGet,
  httpPost,
  listenOnLoopback,
  readAll,
  sha256,
  socketClosed,
  startHalfCloseServer,
  startHttpServer,
  startMemoryForward,
} from './forward-streams.test-helpers';

const cleanups: Array<() => Promise<void>> = [];

/** A job port that greets every connection with "hello" and keeps it open; closed (with its connections) after the test. */
async function startHelloServer(): Promise<{ port: number; held: Socket[] }> {
  const held: Socket[] = [];
  const server = createServer((socket) => {
    held.push(socket);
    socket.write('hello');
  });
  const port = await listenOnLoopback(server);
  cleanups.push(() => new Promise((resolve) => {
    for (const socket of held) socket.destroy();
    server.close(() => resolve());
  }));
  return { port, held };
}
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function httpForward(relay?: Parameters<typeof startMemoryForward>[0]['relay'], maxStreams?: number) {
  const server = await startHttpServer();
  cleanups.push(() => server.close());
  const forward = await startMemoryForward({ remotePort: server.port, ...(relay === undefined ? {} : { relay }), ...(maxStreams === undefined ? {} : { maxStreams }) });
  cleanups.push(() => forward.close());
  return { server, forward };
}

describe('a forward over a memory link', () => {
  it('listens on 127.0.0.1 only and reports it', async () => {
    const { forward } = await httpForward();
    expect(forward.forwardEvents[0]).toEqual({ type: 'listening', host: '127.0.0.1', port: forward.listener.port, remotePort: expect.any(Number) });
    // Another loopback address of the same machine is refused: the listener is not on all interfaces.
    await expect(connectTo('127.0.0.2', forward.listener.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('says which local port is taken and what to do', async () => {
    const taken = createServer();
    const port = await listenOnLoopback(taken);
    cleanups.push(() => new Promise((resolve) => taken.close(() => resolve())));
    const [link] = createMemoryLinkPair();
    const opening = createForwardListener({ link, remotePort: 8888, localPort: port });
    await expect(opening).rejects.toSatisfy((error) => ForwardError.isInstance(error) && error.code === 'FORWARD_LOCAL_PORT_UNAVAILABLE');
    await expect(opening).rejects.toThrow(`cannot listen on 127.0.0.1:${port} (listen EADDRINUSE: address already in use 127.0.0.1:${port}): choose another local port (e.g. ${port + 1}:8888), or 0 for any free one`);
    expect(await link.ended).toMatchObject({ kind: 'closed', by: 'us' });
  });

  it('carries 10 MB byte-exact in both directions', async () => {
    const { forward } = await httpForward();
    const size = 10 * 1024 * 1024;
    const download = await httpGet(forward.listener.port, `/bytes/${size}/1`);
    expect(download.length).toBe(size);
    expect(sha256(download)).toBe(sha256(contentFor(size, 1)));

    const upload = randomBytes(size);
    expect(await httpPost(forward.listener.port, '/hash', upload)).toBe(`${size} ${sha256(upload)}`);
  });

  it('keeps every write within a small link append limit and still carries the bytes exactly', async () => {
    const server = await startHttpServer();
    cleanups.push(() => server.close());
    const forward = await startMemoryForward({ remotePort: server.port, link: { maxAppendBytes: 4096 }, maxWriteBytes: 4096, relay: { maxWriteBytes: 4096 } });
    cleanups.push(() => forward.close());
    const size = 1024 * 1024 + 3;
    expect(sha256(await httpGet(forward.listener.port, `/bytes/${size}/2`))).toBe(sha256(contentFor(size, 2)));
  });

  it('ends the forward with the reason when the link refuses a write', async () => {
    const server = await startHttpServer();
    cleanups.push(() => server.close());
    // The relay believes it may write 512 KiB at once; this link takes 4 KiB.
    const forward = await startMemoryForward({ remotePort: server.port, link: { maxAppendBytes: 4096 }, maxWriteBytes: 4096 });
    cleanups.push(() => forward.close());
    await expect(httpGet(forward.listener.port, `/bytes/${1024 * 1024}/3`)).rejects.toThrow();
    const ended = await forward.nextForwardEvent('ended');
    expect(ended.message).toMatch(/^the forward was closed by the other side: a write to the link failed: a write of \d+ bytes is over the link's 4096-byte append limit$/);
    expect(await forward.relay.ended).toEqual({ kind: 'error', message: expect.stringMatching(/^a write to the link failed: a write of \d+ bytes/) });
  });

  it('carries 20 concurrent connections, each byte-exact', async () => {
    const { forward } = await httpForward();
    const size = 512 * 1024;
    const bodies = await Promise.all(Array.from({ length: 20 }, (_, seed) => httpGet(forward.listener.port, `/bytes/${size}/${seed + 100}`)));
    bodies.forEach((body, seed) => expect(sha256(body)).toBe(sha256(contentFor(size, seed + 100))));
    const opened = forward.relayEvents.filter((event) => event.type === 'stream-opened');
    expect(opened).toHaveLength(20);
  });

  it('keeps half-close: the client ends its side, still reads the answer, then both close cleanly', async () => {
    const server = await startHalfCloseServer();
    cleanups.push(() => server.close());
    const forward = await startMemoryForward({ remotePort: server.port });
    cleanups.push(() => forward.close());
    const socket = await connectLocal(forward.listener.port, true);
    const sent = randomBytes(3 * 1024 * 1024 + 17);
    const answer = readAll(socket);
    socket.end(sent);
    expect((await answer).toString('utf8')).toBe(`got ${sent.length} bytes ${sha256(sent)}`);
    socket.end();
    await socketClosed(socket);
    const closed = await forward.nextForwardEvent('connection-closed');
    expect(closed).toEqual({ type: 'connection-closed', streamId: 1 });
  });

  it('keeps half-close the other way: the server ends first and still receives what the client sends', async () => {
    const received: Buffer[] = [];
    let serverSocket: Socket | undefined;
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      serverSocket = socket;
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.end('bye');
    });
    const port = await listenOnLoopback(server);
    cleanups.push(() => new Promise((resolve) => {
      serverSocket?.destroy();
      server.close(() => resolve());
    }));
    const forward = await startMemoryForward({ remotePort: port });
    cleanups.push(() => forward.close());
    const socket = await connectLocal(forward.listener.port, true);
    expect((await readAll(socket)).toString()).toBe('bye');
    const serverEnded = new Promise<void>((resolve) => {
      const wait = () => (serverSocket === undefined ? setImmediate(wait) : serverSocket.once('end', resolve));
      wait();
    });
    const sent = randomBytes(2 * 1024 * 1024);
    socket.end(sent);
    await serverEnded;
    expect(sha256(Buffer.concat(received))).toBe(sha256(sent));
    await socketClosed(socket);
    expect(await forward.nextForwardEvent('connection-closed')).toEqual({ type: 'connection-closed', streamId: 1 });
  });

  it('resets the stream on the job side when the local client aborts mid-transfer', async () => {
    const { server, forward } = await httpForward();
    const socket = await connectLocal(forward.listener.port);
    socket.write(`GET /bytes/${8 * 1024 * 1024}/9 HTTP/1.1\r\nhost: x\r\n\r\n`);
    await new Promise((resolve) => socket.once('data', resolve));
    while (server.sockets.size === 0) await new Promise((resolve) => setImmediate(resolve));
    const [serverSide] = [...server.sockets];
    socket.destroy();
    await socketClosed(serverSide!);
    await waitFor(() => forward.relayEvents.some((event) => event.type === 'stream-closed'));
    expect(forward.relayEvents.find((event) => event.type === 'stream-closed')).toMatchObject({
      streamId: 1,
      // A reset (RST) or a plain close of the local connection, depending on what the kernel had unread.
      reason: expect.stringMatching(/^the local connection (failed: (read|write) ECONNRESET|closed before both sides finished)$/),
    });
  });

  it('does not let a slow reader stall another stream (per-stream credit)', async () => {
    const { server, forward } = await httpForward();
    const bigSize = 24 * 1024 * 1024;
    // Stream 1: a raw request whose answer nobody reads yet.
    const slow = await connectLocal(forward.listener.port);
    slow.pause();
    slow.write(`GET /bytes/${bigSize}/7 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    // The server's side of stream 1 fills up: the relay stopped reading it once the credit ran out.
    await waitUntilServerBlocked(server.sockets);

    // Stream 2 goes through while stream 1 is stalled.
    const size = 2 * 1024 * 1024;
    const body = await httpGet(forward.listener.port, `/bytes/${size}/8`);
    expect(sha256(body)).toBe(sha256(contentFor(size, 8)));

    // Stream 1 then completes byte-exact once read.
    const all = readAll(slow);
    slow.resume();
    const raw = await all;
    const bodyStart = raw.indexOf('\r\n\r\n') + 4;
    expect(sha256(raw.subarray(bodyStart))).toBe(sha256(contentFor(bigSize, 7)));
  });

  it('refuses a port the process does not allow, with a message for the user', async () => {
    const { forward } = await httpForward({ allowedPorts: [8888] });
    const socket = await connectLocal(forward.listener.port);
    await socketClosed(socket);
    const refused = await forward.nextForwardEvent('refused');
    expect(refused.reason).toMatch(/^port \d+ is not forwarded for this process: it allows 8888 \(add `tunnel: \{port: \d+\}` to project.yaml and run again\)$/);
    expect(forward.relayEvents).toContainEqual(expect.objectContaining({ type: 'stream-refused', reason: refused.reason }));
  });

  it('refuses with a reason when nothing listens on the allowed port', async () => {
    const unused = createServer();
    const port = await listenOnLoopback(unused);
    await new Promise((resolve) => unused.close(resolve));
    const forward = await startMemoryForward({ remotePort: port });
    cleanups.push(() => forward.close());
    const socket = await connectLocal(forward.listener.port);
    await socketClosed(socket);
    const refused = await forward.nextForwardEvent('refused');
    expect(refused.reason).toContain(`nothing answers on port ${port} of the job (127.0.0.1)`);
  });

  it('gives up a connection that does not complete within connectTimeoutMs, with a reason', async () => {
    // A listener that never accepts, its backlog full: the kernel drops further SYNs, so a connect hangs.
    const stuck = await startUnacceptingListener();
    cleanups.push(() => stuck.close());
    const forward = await startMemoryForward({ remotePort: stuck.port, relay: { connectTimeoutMs: 200 } });
    cleanups.push(() => forward.close());
    const socket = await connectLocal(forward.listener.port);
    await socketClosed(socket);
    const refused = await forward.nextForwardEvent('refused');
    expect(refused.reason).toBe(`nothing answers on port ${stuck.port} of the job (127.0.0.1): no connection within 200 ms; is the job's server started and listening on that port?`);
  });

  it.each([
    ['has no address yet', async () => undefined, 'the executor does not know where the job runs (it may still be starting, or its backend names no node for it): retry in a moment'],
    ['cannot be located', async () => Promise.reject(new Error('squeue failed')), 'the executor could not tell where the job runs: squeue failed'],
  ])('refuses a connection while the job %s', async (_name, address, reason) => {
    const forward = await startMemoryForward({ remotePort: 8888, relay: { address } });
    cleanups.push(() => forward.close());
    const socket = await connectLocal(forward.listener.port);
    await socketClosed(socket);
    expect((await forward.nextForwardEvent('refused')).reason).toBe(reason);
  });

  it('refuses a connection when asking where the job runs takes longer than the connect timeout', async () => {
    const forward = await startMemoryForward({ remotePort: 8888, relay: { address: () => new Promise(() => undefined), connectTimeoutMs: 200 } });
    cleanups.push(() => forward.close());
    const socket = await connectLocal(forward.listener.port);
    await socketClosed(socket);
    expect((await forward.nextForwardEvent('refused')).reason).toBe('the executor could not tell where the job runs: no answer within 200 ms');
  });

  it('refuses streams beyond maxStreams and serves them again once one closes', async () => {
    const { port } = await startHelloServer();
    const forward = await startMemoryForward({ remotePort: port, relay: { maxStreams: 2 } });
    cleanups.push(() => forward.close());
    const first = await connectLocal(forward.listener.port);
    const second = await connectLocal(forward.listener.port);
    await Promise.all([firstBytes(first), firstBytes(second)]);
    const third = await connectLocal(forward.listener.port);
    await socketClosed(third);
    const refused = await forward.nextForwardEvent('refused');
    expect(refused.reason).toBe("the job's side already relays 2 connections, its limit: close some and retry");

    first.destroy();
    await forward.nextForwardEvent('connection-closed', (event) => event.streamId === 1);
    await waitFor(() => forward.relayEvents.some((event) => event.type === 'stream-closed' && event.streamId === 1));
    const fourth = await connectLocal(forward.listener.port);
    expect((await firstBytes(fourth)).toString()).toBe('hello');
    second.destroy();
    fourth.destroy();
  });

  it('closes local connections beyond its own limit at once, with a refused event', async () => {
    const { port } = await startHelloServer();
    const forward = await startMemoryForward({ remotePort: port, maxStreams: 1 });
    cleanups.push(() => forward.close());
    const first = await connectLocal(forward.listener.port);
    await firstBytes(first);
    const second = await connectLocal(forward.listener.port);
    await socketClosed(second);
    expect(await forward.nextForwardEvent('refused')).toEqual({ type: 'refused', streamId: 0, reason: 'this forward already carries its limit of 1 connections: close some and retry' });
    expect(forward.relayEvents.filter((event) => event.type === 'stream-opened')).toHaveLength(1);
    first.destroy();
  });

  it('closes every connection with the reason when the link ends', async () => {
    const { port, held } = await startHelloServer();
    const forward = await startMemoryForward({ remotePort: port });
    cleanups.push(() => forward.close());
    const sockets = await Promise.all([connectLocal(forward.listener.port), connectLocal(forward.listener.port), connectLocal(forward.listener.port)]);
    await Promise.all(sockets.map(firstBytes));

    await forward.relay.close('the job finished');
    await Promise.all(sockets.map(socketClosed));
    await Promise.all(held.map(socketClosed));
    const ended = await forward.nextForwardEvent('ended');
    expect(ended.end).toEqual({ kind: 'closed', by: 'peer', reason: 'the job finished' });
    expect(ended.message).toBe('the forward was closed by the other side: the job finished');
    const closed = forward.forwardEvents.filter((event) => event.type === 'connection-closed');
    expect(closed).toHaveLength(3);
    for (const event of closed) expect(event).toMatchObject({ reason: 'the forward was closed by the other side: the job finished' });
    // The listener stopped accepting.
    await expect(connectLocal(forward.listener.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

/** A loopback port whose listener never accepts and whose backlog (0) is full: connects to it hang. */
async function startUnacceptingListener(): Promise<{ port: number; close(): Promise<void> }> {
  const child = spawn('python3', ['-u', '-c', 'import socket, sys\ns = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)\nprint(s.getsockname()[1])\nsys.stdin.read()'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))));
  // This one fills the backlog.
  const filler = await connectLocal(port);
  return {
    port,
    async close() {
      filler.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}

function connectTo(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function firstBytes(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => socket.once('data', resolve));
}

/** Polls a condition the event loop will make true (no time limit of its own: the test timeout bounds it). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The server's socket has more queued than the kernel takes: the far side stopped reading. */
async function waitUntilServerBlocked(sockets: Set<Socket>): Promise<void> {
  await waitFor(() => [...sockets].some((socket) => socket.writableNeedDrain));
}
