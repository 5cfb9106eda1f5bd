// The job's port for the forward benchmark: a TCP server on loopback whose
// first byte of each connection picks what it does:
//   E  echo every byte back;
//   S  sink: count the bytes (reported to the benchmark in this process);
//   D  download: read a u32 size, send that many bytes, end.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface JobPort {
  port: number;
  /** Resolves once sink connections have received `bytes` in total since the last call. */
  sinkReceived(bytes: number): Promise<void>;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

/** Writes `size` bytes to `socket` in chunks, waiting for 'drain', then ends it. */
export async function writeBytes(socket: Socket, size: number, end: boolean): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 0x61);
  for (let sent = 0; sent < size; sent += CHUNK) {
    const piece = size - sent >= CHUNK ? chunk : chunk.subarray(0, size - sent);
    if (!socket.write(piece)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  if (end) socket.end();
}

export async function startJobPort(): Promise<JobPort> {
  let sunk = 0;
  let sinkWaiter: { bytes: number; resolve: () => void } | undefined;
  const checkSink = () => {
    if (sinkWaiter !== undefined && sunk >= sinkWaiter.bytes) {
      sunk -= sinkWaiter.bytes;
      const { resolve } = sinkWaiter;
      sinkWaiter = undefined;
      resolve();
    }
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let mode: string | undefined;
    let header = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      if (mode === undefined) {
        mode = String.fromCharCode(data[0]!);
        data = data.subarray(1);
      }
      if (mode === 'E') socket.write(data);
      else if (mode === 'S') {
        sunk += data.byteLength;
        checkSink();
      } else if (mode === 'D' && header.byteLength < 4) {
        header = Buffer.concat([header, data]);
        if (header.byteLength >= 4) void writeBytes(socket, header.readUInt32BE(0), true);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sinkReceived: (bytes) =>
      new Promise<void>((resolve) => {
        sinkWaiter = { bytes, resolve };
        checkSink();
      }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
