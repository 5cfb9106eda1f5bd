import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRangeGet, RangeReplyError } from './raw-range-get';

// The raw ranged GET against a real HTTP server on a local socket: what it
// sends, the pieces it hands over, and the answers it refuses or retries.

const data = randomBytes(300 * 1024 + 5);
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse, count: number) => void) {
  let count = 0;
  server = createServer((request, response) => handler(request, response, ++count));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return () => ({ host: '127.0.0.1', port, path: '/bucket/key', headers: { authorization: 'signed' } });
}

/** A range answer as S3 gives it: 206 with exactly the asked bytes. */
function answerRange(request: IncomingMessage, response: ServerResponse): void {
  const [, first, last] = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '') ?? [];
  const body = data.subarray(Number(first), Number(last) + 1);
  response.writeHead(206, { 'content-length': body.length });
  response.end(body);
}

async function collect(signed: Parameters<typeof rawRangeGet>[0], start: number, end: number, signal = new AbortController().signal) {
  const out = Buffer.alloc(end - start);
  let pieces = 0;
  await rawRangeGet(signed, { start, end }, async (piece, position) => {
    piece.copy(out, position - start);
    pieces += 1;
    await new Promise((resolve) => setImmediate(resolve));
  }, signal);
  return { out, pieces };
}

describe('rawRangeGet', () => {
  it('sends the signed headers and the range, and hands over exactly the asked bytes, piece by piece', async () => {
    const seen: IncomingMessage['headers'][] = [];
    const signed = await serve((request, response) => {
      seen.push(request.headers);
      answerRange(request, response);
    });
    const { out, pieces } = await collect(signed, 1000, 250_000);
    expect(out.equals(data.subarray(1000, 250_000))).toBe(true);
    expect(pieces).toBeGreaterThan(1);
    expect(seen[0]).toMatchObject({ authorization: 'signed', range: 'bytes=1000-249999', connection: 'close' });
  });

  it('a 5xx answer or a dropped connection before the body is tried again; a 404 is not', async () => {
    const flaky = await serve((request, response, count) => {
      if (count === 1) response.writeHead(503).end();
      else if (count === 2) request.socket.destroy();
      else answerRange(request, response);
    });
    expect((await collect(flaky, 0, 70_000)).out.equals(data.subarray(0, 70_000))).toBe(true);
    await new Promise((resolve) => server!.close(resolve));

    let asked = 0;
    const missing = await serve((_request, response) => {
      asked += 1;
      response.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
    });
    const failure = collect(missing, 0, 10);
    await expect(failure).rejects.toBeInstanceOf(RangeReplyError);
    await expect(failure).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    expect(asked).toBe(1);
  });

  it('refuses an answer of another length, and one that ends early', async () => {
    const wrongLength = await serve((_request, response) => {
      response.writeHead(206, { 'content-length': 5 });
      response.end(data.subarray(0, 5));
    });
    await expect(collect(wrongLength, 0, 10)).rejects.toThrow(/has 5 bytes, not 10/);
    await new Promise((resolve) => server!.close(resolve));

    const cut = await serve((request, response) => {
      response.writeHead(206, { 'content-length': 200_000 });
      response.write(data.subarray(0, 100_000), () => request.socket.destroy());
    });
    await expect(collect(cut, 0, 200_000)).rejects.toThrow(/short range read/);
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    const slow = await serve((_request, response) => {
      response.writeHead(206, { 'content-length': 200_000 });
      response.write(data.subarray(0, 1000));
      controller.abort();
    });
    await expect(collect(slow, 0, 200_000, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
