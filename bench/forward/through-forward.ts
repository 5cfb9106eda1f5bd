// The same traffic through a forward: `openForward` (the submitter's side,
// what `pollinator forward` runs) and `relayForwards` (the executor's side)
// over the process's channels on the dev-server, to the job's port on
// loopback. Both sides run in this process, as the raw anchors did.
import { connect, type Socket } from 'node:net';
import { openForward, relayForwards } from '@pollinator/port-forward';
import { FORWARD_PORTS_ENV, forwardChannelNames } from '@pollinator/spec-builder';
import { latencies, type BenchColony, type Latencies } from './bench-colony';
import { writeBytes, type JobPort } from './job-port';

/** Runs `body` with a forward of a fresh process to `jobPort`; closes everything afterwards. */
export async function withForward<T>(colony: BenchColony, jobPort: JobPort, body: (localPort: number) => Promise<T>): Promise<T> {
  const process = await colony.startProcess(forwardChannelNames(), { [FORWARD_PORTS_ENV]: String(jobPort.port) });
  const relay = relayForwards({ client: colony.executor, process, address: async () => '127.0.0.1' });
  try {
    const listener = await openForward({ client: colony.user, processId: process.processid, remotePort: jobPort.port, localPort: 0 });
    try {
      return await body(listener.port);
    } finally {
      await listener.close();
    }
  } finally {
    await relay.close();
    await colony.endProcess(process.processid);
  }
}

async function connectTo(port: number, mode: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  socket.write(mode);
  return socket;
}

/** Counts bytes read from `socket`; `until(n)` resolves once n have arrived in total. */
function counter(socket: Socket): { until(bytes: number): Promise<void> } {
  let count = 0;
  let closed = false;
  let waiter: { bytes: number; resolve: () => void; reject: (error: Error) => void } | undefined;
  const check = () => {
    if (waiter === undefined) return;
    const current = waiter;
    if (count >= current.bytes) {
      waiter = undefined;
      current.resolve();
    } else if (closed) {
      waiter = undefined;
      current.reject(new Error(`the connection closed after ${count} of ${current.bytes} bytes`));
    }
  };
  socket.on('data', (data: Buffer) => {
    count += data.byteLength;
    check();
  });
  socket.on('close', () => {
    closed = true;
    check();
  });
  return {
    until: (bytes) =>
      new Promise<void>((resolve, reject) => {
        waiter = { bytes, resolve, reject };
        check();
      }),
  };
}

export type Direction = 'up' | 'down' | 'echo';

/** Bulk transfer through one connection: up to a sink, down from a source, or both ways through the echo. MB/s. */
export async function forwardThroughput(colony: BenchColony, jobPort: JobPort, direction: Direction, bytes: number): Promise<{ MBps: number; seconds: number }> {
  return withForward(colony, jobPort, async (localPort) => {
    const socket = await connectTo(localPort, { up: 'S', down: 'D', echo: 'E' }[direction]);
    const received = counter(socket);
    const start = performance.now();
    if (direction === 'up') await Promise.all([writeBytes(socket, bytes, false), jobPort.sinkReceived(bytes)]);
    else if (direction === 'down') {
      const size = Buffer.alloc(4);
      size.writeUInt32BE(bytes);
      socket.write(size);
      await received.until(bytes);
    } else await Promise.all([writeBytes(socket, bytes, false), received.until(bytes)]);
    const seconds = (performance.now() - start) / 1000;
    socket.destroy();
    return { MBps: bytes / seconds / 1e6, seconds };
  });
}

/** Request/response through the echo: write `payloadBytes`, wait for them back; `roundTrips` times after a warm-up. */
export async function forwardRoundTrips(colony: BenchColony, jobPort: JobPort, payloadBytes: number, roundTrips: number): Promise<Latencies> {
  return withForward(colony, jobPort, async (localPort) => {
    const socket = await connectTo(localPort, 'E');
    const received = counter(socket);
    const payload = Buffer.alloc(payloadBytes, 0x62);
    const samples: number[] = [];
    const warmUp = 10;
    for (let index = 1; index <= roundTrips + warmUp; index++) {
      const t0 = performance.now();
      socket.write(payload);
      await received.until(index * payloadBytes);
      if (index > warmUp) samples.push(performance.now() - t0);
    }
    socket.destroy();
    return latencies(samples);
  });
}
