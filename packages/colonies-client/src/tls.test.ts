// TLS behind a proxy with a self-signed certificate: refused by default (typed,
// not resent as if delivered), accepted with skipTlsVerify (COLONIES_SKIP_TLS_VERIFY)
// for both HTTPS RPCs and wss:// subscriptions.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey } from '@pollinator/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createColoniesClient } from './create-client';
import { ColoniesNetworkError } from './errors';
import { replyBody } from './loopback.test-helpers';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const PROCESS = `{"processid":"${'a'.repeat(64)}","state":2,"prioritytime":1795163019745849307,"spec":{"conditions":{"colonyname":"dev"}}}`;

describe.skipIf(!hasOpenssl())('TLS with a self-signed certificate', () => {
  let dir: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'colonies-client-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end(replyBody('getcolonymsg', '{"colonyid":"x","name":"dev"}')));
    });
    const wss = new WebSocketServer({ server, path: '/pubsub' });
    wss.on('connection', (ws) => ws.on('message', () => {
      ws.send(replyBody('subscribeprocessmsg', PROCESS));
      setTimeout(() => ws.terminate(), 20);
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the certificate by default, as a network error that was never sent', async () => {
    const client = createColoniesClient({ url, privateKey: generatePrivateKey(), colonyName: 'dev', retry: false });
    const error = await client.getColony().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColoniesNetworkError);
    expect((error as ColoniesNetworkError).mayHaveBeenSent).toBe(false);
  });

  it('accepts it with skipTlsVerify, for RPCs and subscriptions', async () => {
    const client = createColoniesClient({ url, privateKey: generatePrivateKey(), colonyName: 'dev', skipTlsVerify: true });
    await expect(client.getColony()).resolves.toEqual({ colonyid: 'x', name: 'dev' });
    expect(client.pubsubUrl.startsWith('wss://')).toBe(true);
    const states: number[] = [];
    for await (const p of client.subscribeProcess('a'.repeat(64), { states: [2], timeoutSeconds: 5 })) states.push(p.state);
    expect(states).toEqual([2]);
  });
});
