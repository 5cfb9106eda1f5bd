import { createServer, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectS3, S3ReplyError } from './s3-direct';

// The direct requests against a plain HTTP server that answers as S3 would
// (errors, retries, the request's shape); the real signature checking is
// tested against Ceph RGW in s3-errors.test.ts and the blob-store conformance suite.

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let server: Server | undefined;
const agent = new Agent({ keepAlive: true });

async function serve(answer: (seen: Seen, response: ServerResponse, index: number) => void, host = '127.0.0.1'): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) };
      seen.push(entry);
      answer(entry, response, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, seen };
}

function s3At(url: string) {
  return createDirectS3({ endpointUrl: url, region: 'eu-west-1', accessKey: 'AKID', secretKey: 'secret', bucket: 'bucket-a', agent });
}

const errorXml = (code: string, message: string) => `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>req-1</RequestId></Error>`;

afterEach(async () => {
  agent.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('direct S3 requests', () => {
  it('sends a path-style PutObject signed with SigV4 (host and x-amz-* headers, the payload hash, the region scope)', async () => {
    const { url, seen } = await serve((_, response) => response.writeHead(200).end());
    const reply = await s3At(url).send({ method: 'PUT', key: 'abc123', body: Buffer.from('hello'), contentType: 'application/octet-stream' });
    reply.resume();
    const [put] = seen;
    expect(put!.method).toBe('PUT');
    expect(put!.url).toBe('/bucket-a/abc123');
    expect(put!.body.toString()).toBe('hello');
    expect(put!.headers['content-length']).toBe('5');
    expect(put!.headers['content-type']).toBe('application/octet-stream');
    // sha256("hello")
    expect(put!.headers['x-amz-content-sha256']).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(put!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(put!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
  });

  it('names an S3 error reply by its code, with the HTTP status where the SDK keeps it', async () => {
    const { url } = await serve((_, response) => response.writeHead(404, { 'content-type': 'application/xml' }).end(errorXml('NoSuchKey', 'The specified key does not exist.')));
    const error = await s3At(url).send({ method: 'GET', key: 'missing' }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(S3ReplyError);
    expect(error).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404, requestId: 'req-1' } });
    expect((error as Error).message).toContain('The specified key does not exist.');
  });

  it('names a body-less HEAD refusal by its status (NotFound, Forbidden)', async () => {
    const { url } = await serve((seen, response) => response.writeHead(seen.url.endsWith('/gone') ? 404 : 403).end());
    await expect(s3At(url).send({ method: 'HEAD', key: 'gone' })).rejects.toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    await expect(s3At(url).send({ method: 'HEAD' })).rejects.toMatchObject({ name: 'Forbidden', $metadata: { httpStatusCode: 403 } });
  });

  it('retries a 503 SlowDown and succeeds on the next attempt', async () => {
    const { url, seen } = await serve((_, response, index) => {
      if (index === 0) response.writeHead(503).end(errorXml('SlowDown', 'Please reduce your request rate.'));
      else response.writeHead(200).end('content');
    });
    const reply = await s3At(url).send({ method: 'GET', key: 'k' });
    const chunks: Buffer[] = [];
    for await (const chunk of reply as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('content');
    expect(seen).toHaveLength(2);
  });

  it('gives up after three attempts at a server error', async () => {
    const { url, seen } = await serve((_, response) => response.writeHead(500).end(errorXml('InternalError', 'We encountered an internal error.')));
    await expect(s3At(url).send({ method: 'PUT', key: 'k', body: Buffer.from('x') })).rejects.toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    expect(seen).toHaveLength(3);
  });

  it('retries a connection the server dropped (a stale keep-alive socket)', async () => {
    const { url, seen } = await serve((_, response, index) => {
      if (index === 0) response.socket?.destroy();
      else response.writeHead(204).end();
    });
    (await s3At(url).send({ method: 'DELETE', key: 'k' })).resume();
    expect(seen).toHaveLength(2);
  });

  it('reaches an IPv6 literal endpoint ([::1]:port), signing the Host header with its brackets', async () => {
    const { url, seen } = await serve((_, response) => response.writeHead(200, { 'content-length': '2' }).end('ok'), '::1');
    const reply = await s3At(url).send({ method: 'GET', key: 'k' });
    reply.resume();
    expect(seen[0]!.headers.host).toBe(new URL(url).host);
    expect(seen[0]!.headers.host).toMatch(/^\[::1\]:\d+$/);
  });

  it('does not retry a client error (4xx other than a server fault)', async () => {
    const { url, seen } = await serve((_, response) => response.writeHead(403).end(errorXml('SignatureDoesNotMatch', 'The request signature we calculated does not match.')));
    await expect(s3At(url).send({ method: 'GET', key: 'k' })).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(seen).toHaveLength(1);
  });
});

/** The time of an `x-amz-date` stamp (YYYYMMDDTHHMMSSZ). */
const parseStamp = (stamp: string): number => Date.parse(stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

describe('a clock far from the server', () => {
  it('signs again with the server time after RequestTimeTooSkewed, and keeps that offset for later requests', async () => {
    const serverTime = Date.now() + 40 * 60_000;
    const { url, seen } = await serve((entry, response) => {
      if (Math.abs(parseStamp(String(entry.headers['x-amz-date'])) - serverTime) > 15 * 60_000) {
        response.writeHead(403, { date: new Date(serverTime).toUTCString() }).end(errorXml('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'));
      } else response.writeHead(200).end();
    });
    const s3 = s3At(url);
    (await s3.send({ method: 'PUT', key: 'first', body: Buffer.from('x') })).resume();
    (await s3.send({ method: 'PUT', key: 'second', body: Buffer.from('y') })).resume();
    // One refusal, then every request signed near the server's time.
    expect(seen.map((entry) => entry.url)).toEqual(['/bucket-a/first', '/bucket-a/first', '/bucket-a/second']);
    expect(Math.abs(parseStamp(String(seen[1]!.headers['x-amz-date'])) - serverTime)).toBeLessThan(60_000);
  });

  it('does not retry a signature refusal when the clocks agree (a wrong secret key)', async () => {
    const { url, seen } = await serve((_, response) =>
      response.writeHead(403, { date: new Date().toUTCString() }).end(errorXml('SignatureDoesNotMatch', 'The request signature we calculated does not match')),
    );
    await expect(s3At(url).send({ method: 'GET', key: 'k' })).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(seen).toHaveLength(1);
  });
});
