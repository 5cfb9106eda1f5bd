// Issue #13 case 9: one process the client cannot decode (a real Colonies
// server stores kwargs nested far deeper than the client's 512-level bound)
// must not make `pollinator ps` fail for the whole colony. A stand-in server
// answers the listing with one readable and one unreadable process.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runCli, type Sandbox } from './cli-harness';

const READABLE = 'a'.repeat(64);
const UNREADABLE = 'b'.repeat(64);

function processJson(id: string, kwargs: string): string {
  return `{"processid":"${id}","state":0,"prioritytime":1795163019745849307,"submissiontime":"2026-01-01T00:00:00Z","starttime":"0001-01-01T00:00:00Z","endtime":"0001-01-01T00:00:00Z","spec":{"funcname":"execute","label":"demo","kwargs":${kwargs},"conditions":{"colonyname":"dev","executortype":"container-executor"}},"errors":null}`;
}

let server: Server;
let sandbox: Sandbox;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const envelope = JSON.parse(body) as { payloadtype: string; payload: string };
      const fields = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { state?: number };
      const waiting = envelope.payloadtype === 'getprocessesmsg' && fields.state === 0;
      const deep = `{"x":${'['.repeat(2000)}${']'.repeat(2000)}}`;
      const payload = waiting ? `[${processJson(READABLE, '{}')},${processJson(UNREADABLE, deep)}]` : 'null';
      response.writeHead(200).end(JSON.stringify({ payloadtype: envelope.payloadtype, payload: Buffer.from(payload).toString('base64'), error: false }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sandbox = createSandbox();
  env = {
    ...sandbox.env,
    COLONIES_SERVER_HOST: '127.0.0.1',
    COLONIES_SERVER_PORT: String((server.address() as AddressInfo).port),
    COLONIES_TLS: 'false',
    COLONIES_COLONY_NAME: 'dev',
    COLONIES_PRVKEY: 'ddf7f7791208083b6a9ed975a72684f6406a269cfa36f1b1c32045c0a71fff05', // a published test vector key
  };
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  sandbox.cleanup();
});

describe('pollinator ps with a process the client cannot read', () => {
  it('lists the readable ones and names the other on stderr, exit 0', async () => {
    const result = await runCli(['ps'], { cwd: sandbox.dir, env, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(READABLE);
    expect(result.stdout).not.toContain(UNREADABLE);
    expect(result.stderr).toContain(`1 process could not be read: ${UNREADABLE}: `);
    expect(result.stderr).toMatch(/deeper than 512/);
  });

  it('--json: one "process" event and one "unreadable-process" event', async () => {
    const result = await runCli(['ps', '--json'], { cwd: sandbox.dir, env, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    const events = result.events();
    expect(events.filter((event) => event.type === 'process').map((event) => event.processId)).toEqual([READABLE]);
    expect(events.filter((event) => event.type === 'unreadable-process')).toEqual([
      expect.objectContaining({ type: 'unreadable-process', processId: UNREADABLE, state: 'waiting' }),
    ]);
  });
});
