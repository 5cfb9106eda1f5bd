import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { notifyRunEnded, parseNotifyTarget } from './run-notify';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A real HTTP server on 127.0.0.1 that records each request and answers `status`. */
async function receiver(status = 200): Promise<{ base: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method, url: request.url, headers: request.headers, body });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SUMMARY = {
  projectName: 'demo',
  durationMs: 12_300,
  result: { processId: 'f'.repeat(64), state: 'failed' as const, exitCode: 3, detached: false, error: { code: 'PROCESS_FAILED', message: 'exit code 3' } },
};

describe('run --notify', () => {
  it('POSTs a JSON summary to a webhook', async () => {
    const { base, received } = await receiver();
    expect(await notifyRunEnded(parseNotifyTarget(`${base}/hook?token=s3cret`), SUMMARY)).toBeUndefined();
    expect(received).toHaveLength(1);
    expect(received[0]?.method).toBe('POST');
    expect(received[0]?.url).toBe('/hook?token=s3cret');
    expect(received[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received[0]?.body ?? '')).toMatchObject({
      type: 'run.finished',
      schemaVersion: 1,
      projectName: 'demo',
      processId: 'f'.repeat(64),
      state: 'failed',
      exitCode: 3,
      durationMs: 12_300,
      text: `demo: failed with exit code 3 in 12.3s (process ${'f'.repeat(64)}): exit code 3`,
    });
  });

  it('sends ntfy\'s plain text with a title for ntfy+http:// URLs', async () => {
    const { base, received } = await receiver();
    const target = parseNotifyTarget(`ntfy+${base}/my-topic`);
    expect(target.format).toBe('ntfy');
    expect(await notifyRunEnded(target, { ...SUMMARY, result: { processId: 'a1', state: 'success', exitCode: 0, detached: false } })).toBeUndefined();
    expect(received[0]?.url).toBe('/my-topic');
    expect(received[0]?.headers.title).toBe('pollinator: demo succeeded');
    expect(received[0]?.headers.tags).toBe('white_check_mark');
    expect(received[0]?.body).toBe('demo: succeeded in 12.3s (process a1)');
  });

  it('knows ntfy by its short form and host names', () => {
    expect(parseNotifyTarget('ntfy:builds')).toMatchObject({ format: 'ntfy' });
    expect(parseNotifyTarget('ntfy:builds').url.href).toBe('https://ntfy.sh/builds');
    expect(parseNotifyTarget('https://ntfy.example.org/t').format).toBe('ntfy');
    expect(parseNotifyTarget('https://hooks.example.org/t').format).toBe('json');
    expect(() => parseNotifyTarget('ftp://example.org/x')).toThrow(/--notify needs an http\(s\) URL or an ntfy topic/);
    expect(() => parseNotifyTarget('not a url')).toThrow(/--notify needs/);
  });

  it('turns a refusal or an unreachable server into a warning that names only the host', async () => {
    const { base } = await receiver(500);
    expect(await notifyRunEnded(parseNotifyTarget(`${base}/hook/s3cret`), SUMMARY)).toMatch(/^could not notify 127\.0\.0\.1:\d+: it answered HTTP 500; the run's outcome is unchanged$/);
    const closed = await receiver();
    await closed.close();
    const warning = await notifyRunEnded(parseNotifyTarget(`${closed.base}/hook/s3cret`), SUMMARY);
    expect(warning).toMatch(/^could not notify 127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(warning).not.toContain('s3cret');
  });
});
