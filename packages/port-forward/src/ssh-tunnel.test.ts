// The SSH tunnel against a real OpenSSH server on loopback (Debian's
// openssh-server, started by the test-utils fixture): forwarding, the host key
// checks (unknown, accepted, changed, revoked, hashed entries, other key
// types), the loopback-only listener and the key file errors.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSshKey, startSshd, type SshdFixture } from '@pollinator/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSshTunnel, type SshTunnel, type SshTunnelEvent, type SshTunnelOptions } from './ssh-tunnel';

const run = promisify(execFile);
const BLOB = randomBytes(3 * 1024 * 1024 + 17);

let sshd: SshdFixture;
let web: Server;
let webPort: number;
let scratch: string;
const openTunnels: SshTunnel[] = [];

beforeAll(async () => {
  sshd = await startSshd();
  scratch = await mkdtemp(join(tmpdir(), 'pollinator-ssh-tunnel-'));
  web = createServer((request, response) => {
    if (request.url === '/blob') response.end(BLOB);
    else if (request.method === 'POST') request.pipe(response);
    else response.end('hello through the jump host');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webPort = (web.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => web?.close(() => resolve()));
  await sshd?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

afterEach(async () => {
  for (const tunnel of openTunnels.splice(0)) await tunnel.close();
});

async function knownHostsWith(...lines: string[]): Promise<string> {
  const path = join(await mkdtemp(join(scratch, 'kh-')), 'known_hosts');
  await writeFile(path, lines.map((line) => `${line}\n`).join(''));
  return path;
}

function tunnelOptions(overrides: Partial<SshTunnelOptions> = {}): SshTunnelOptions {
  return {
    jumpHost: sshd.host,
    jumpHostPort: sshd.port,
    user: sshd.user,
    sshKeyPath: sshd.clientKey.privateKeyPath,
    targetHost: '127.0.0.1',
    targetPort: webPort,
    localPort: 0,
    ...overrides,
  };
}

async function open(options: SshTunnelOptions): Promise<SshTunnel> {
  const tunnel = await openSshTunnel(options);
  openTunnels.push(tunnel);
  return tunnel;
}

async function fetchBytes(port: number, path: string): Promise<Buffer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return Buffer.from(await response.arrayBuffer());
}

describe('openSshTunnel through a real sshd', () => {
  it('forwards 127.0.0.1:localPort to the target through the jump host, bytes exact, many connections at once', async () => {
    const events: SshTunnelEvent[] = [];
    const tunnel = await open(tunnelOptions({ knownHostsPaths: [await knownHostsWith(sshd.knownHostsLine)], onEvent: (event) => events.push(event) }));
    expect(tunnel.port).toBeGreaterThan(0);
    const blob = await fetchBytes(tunnel.port, '/blob');
    expect(blob.equals(BLOB)).toBe(true);
    const replies = await Promise.all(Array.from({ length: 10 }, () => fetchBytes(tunnel.port, '/')));
    expect(replies.map((reply) => reply.toString())).toEqual(Array(10).fill('hello through the jump host'));
    const upload = randomBytes(512 * 1024);
    const echoed = Buffer.from(await (await fetch(`http://127.0.0.1:${tunnel.port}/echo`, { method: 'POST', body: upload })).arrayBuffer());
    expect(echoed.equals(upload)).toBe(true);
    expect(events[0]).toEqual({ type: 'connecting', jumpHost: '127.0.0.1', port: sshd.port });
    expect(events).toContainEqual({ type: 'listening', port: tunnel.port });
    expect(events.filter((event) => event.type === 'connection').length).toBeGreaterThanOrEqual(1);
    await tunnel.close();
    await expect(tunnel.ended).resolves.toEqual({ kind: 'closed', by: 'us' });
  });

  it('listens on 127.0.0.1 only', async () => {
    const tunnel = await open(tunnelOptions({ knownHostsPaths: [await knownHostsWith(sshd.knownHostsLine)] }));
    // 127.0.0.2 is loopback too: a listener on 0.0.0.0 would accept it, one on 127.0.0.1 refuses it.
    await expect(connectOutcome('127.0.0.2', tunnel.port)).resolves.toBe('ECONNREFUSED');
    const external = Object.values(networkInterfaces()).flat().find((address) => address && address.family === 'IPv4' && !address.internal);
    if (external) await expect(connectOutcome(external.address, tunnel.port)).resolves.toBe('ECONNREFUSED');
    await expect(connectOutcome('127.0.0.1', tunnel.port)).resolves.toBe('connected');
  });

  it('refuses an unknown jump host with its SHA256 fingerprint and how to accept it; nothing is written', async () => {
    const knownHosts = await knownHostsWith('# empty', 'other.example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl');
    const before = await readFile(knownHosts, 'utf8');
    const error = await openSshTunnel(tunnelOptions({ knownHostsPaths: [knownHosts] })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'SshHostKeyError', code: 'SSH_HOST_UNKNOWN' });
    const message = (error as Error).message;
    expect(message).toContain(sshd.hostKey.fingerprint);
    expect(message).toContain(`[127.0.0.1]:${sshd.port}`);
    expect(message).toContain('accepting');
    expect((error as { hostKey: unknown }).hostKey).toEqual({
      hostName: `[127.0.0.1]:${sshd.port}`,
      keyType: 'ssh-ed25519',
      fingerprint: sshd.hostKey.fingerprint,
      knownHostsPath: knownHosts,
    });
    expect(await readFile(knownHosts, 'utf8')).toBe(before);
  });

  it('refuses an unknown host when the accepted fingerprint is a different one', async () => {
    const knownHosts = join(await mkdtemp(join(scratch, 'kh-')), 'known_hosts');
    const other = await generateSshKey(join(scratch, `other-${randomBytes(4).toString('hex')}`));
    const error = await openSshTunnel(tunnelOptions({ knownHostsPaths: [knownHosts], acceptFingerprint: other.fingerprint })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SSH_HOST_UNKNOWN' });
    expect((error as Error).message).toContain(`not the ${other.fingerprint} you accepted`);
    await expect(readFile(knownHosts)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('accepting the fingerprint appends the host to known_hosts (readable by OpenSSH), and the next run needs no acceptance', async () => {
    const directory = await mkdtemp(join(scratch, 'home-'));
    const knownHosts = join(directory, '.ssh', 'known_hosts');
    const events: SshTunnelEvent[] = [];
    const tunnel = await open(tunnelOptions({ knownHostsPaths: [knownHosts, '/nonexistent/ssh_known_hosts'], acceptFingerprint: sshd.hostKey.fingerprint, onEvent: (event) => events.push(event) }));
    expect(events).toContainEqual({ type: 'host-key-accepted', fingerprint: sshd.hostKey.fingerprint, knownHostsPath: knownHosts });
    expect((await fetchBytes(tunnel.port, '/')).toString()).toBe('hello through the jump host');
    const text = await readFile(knownHosts, 'utf8');
    expect(text).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    // OpenSSH itself finds the host in the file we wrote.
    const { stdout } = await run('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', knownHosts]);
    expect(stdout).toContain(sshd.hostKey.publicKeyLine.split(' ')[1]);
    await tunnel.close();
    const again = await open(tunnelOptions({ knownHostsPaths: [knownHosts] }));
    expect((await fetchBytes(again.port, '/')).toString()).toBe('hello through the jump host');
    expect(await readFile(knownHosts, 'utf8')).toBe(text);
  });

  it('refuses a changed host key, even when the new fingerprint is "accepted"', async () => {
    const old = await generateSshKey(join(scratch, `old-${randomBytes(4).toString('hex')}`));
    const [type, base64] = old.publicKeyLine.split(' ');
    const knownHosts = await knownHostsWith('# first line', `[127.0.0.1]:${sshd.port} ${type} ${base64}`);
    const before = await readFile(knownHosts, 'utf8');
    for (const acceptFingerprint of [undefined, sshd.hostKey.fingerprint]) {
      const error = await openSshTunnel(tunnelOptions({ knownHostsPaths: [knownHosts], ...(acceptFingerprint ? { acceptFingerprint } : {}) })).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: 'SshHostKeyError', code: 'SSH_HOST_KEY_CHANGED' });
      expect((error as Error).message).toContain('CHANGED');
      expect((error as Error).message).toContain(`line 2 of ${knownHosts}`);
      expect((error as Error).message).toContain(sshd.hostKey.fingerprint);
      expect((error as Error).message).not.toContain('accepting');
    }
    expect(await readFile(knownHosts, 'utf8')).toBe(before);
  });

  it('refuses a key marked @revoked', async () => {
    const knownHosts = await knownHostsWith(sshd.knownHostsLine, `@revoked * ${sshd.hostKey.publicKeyLine}`);
    await expect(openSshTunnel(tunnelOptions({ knownHostsPaths: [knownHosts] }))).rejects.toMatchObject({ code: 'SSH_HOST_KEY_REVOKED' });
  });

  it('trusts hashed known_hosts entries written by ssh-keyscan -H', async () => {
    const { stdout } = await run('ssh-keyscan', ['-H', '-t', 'ed25519', '-p', String(sshd.port), '127.0.0.1']);
    expect(stdout).toMatch(/^\|1\|/m);
    const tunnel = await open(tunnelOptions({ knownHostsPaths: ['/nonexistent/known_hosts', await knownHostsWith(stdout.trim())] }));
    expect((await fetchBytes(tunnel.port, '/')).toString()).toBe('hello through the jump host');
  });

  it('a connection to a target port nobody listens on is closed, with an event, and the tunnel stays up', async () => {
    const events: SshTunnelEvent[] = [];
    const closedPort = await unusedPort();
    const tunnel = await open(tunnelOptions({ targetPort: closedPort, knownHostsPaths: [await knownHostsWith(sshd.knownHostsLine)], onEvent: (event) => events.push(event) }));
    await expect(connectAndWaitForClose(tunnel.port)).resolves.toBe('closed');
    const failure = events.find((event) => event.type === 'connection-failed');
    expect(failure).toMatchObject({ message: expect.stringContaining(`127.0.0.1:${closedPort}`) });
    await expect(connectOutcome('127.0.0.1', tunnel.port)).resolves.toBe('connected');
  });

  it('a key the jump host does not accept is a clear SSH_AUTH_FAILED naming the file', async () => {
    const stranger = await generateSshKey(join(scratch, `stranger-${randomBytes(4).toString('hex')}`));
    const error = await openSshTunnel(tunnelOptions({ sshKeyPath: stranger.privateKeyPath, knownHostsPaths: [await knownHostsWith(sshd.knownHostsLine)] })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'SshTunnelError', code: 'SSH_AUTH_FAILED' });
    expect((error as Error).message).toContain(stranger.privateKeyPath);
    expect((error as Error).message).toContain('authorized_keys');
  });

  it('a missing or encrypted key file fails before connecting, naming the file, never showing the key', async () => {
    const missing = join(scratch, 'no-such-key');
    await expect(openSshTunnel(tunnelOptions({ sshKeyPath: missing }))).rejects.toMatchObject({ code: 'SSH_KEY_MISSING', message: expect.stringContaining(missing) });
    const locked = await generateSshKey(join(scratch, `locked-${randomBytes(4).toString('hex')}`), { passphrase: 'correct horse' });
    const error = await openSshTunnel(tunnelOptions({ sshKeyPath: locked.privateKeyPath })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SSH_KEY_ENCRYPTED', message: expect.stringContaining(locked.privateKeyPath) });
    const keyText = await readFile(locked.privateKeyPath, 'utf8');
    const body = keyText.split('\n')[1] as string;
    expect(JSON.stringify({ message: (error as Error).message, details: (error as { details?: unknown }).details })).not.toContain(body.slice(0, 20));
    expect((error as Error).cause).toBeUndefined();
  });

  it('refuses option-like or malformed settings before reading the key or connecting, naming each', async () => {
    const error = await openSshTunnel(
      tunnelOptions({ jumpHost: '-oProxyCommand=touch /tmp/x', targetHost: 'nid001 nid002', user: 'ada\nroot', jumpHostPort: 0, targetPort: 70_000, localPort: -1, sshKeyPath: '' }),
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'SshTunnelError', code: 'SSH_OPTIONS_INVALID' });
    for (const field of ['jumpHost', 'targetHost', 'user', 'sshKeyPath', 'jumpHostPort', 'targetPort', 'localPort']) expect((error as Error).message).toContain(field);
  });

  it('ends the tunnel with a clear message when the jump host goes away', async () => {
    const own = await startSshd();
    try {
      const events: SshTunnelEvent[] = [];
      const tunnel = await open(tunnelOptions({ jumpHostPort: own.port, sshKeyPath: own.clientKey.privateKeyPath, knownHostsPaths: [await knownHostsWith(own.knownHostsLine)], onEvent: (event) => events.push(event) }));
      expect((await fetchBytes(tunnel.port, '/')).toString()).toBe('hello through the jump host');
      await own.stop();
      const end = await tunnel.ended;
      expect(end).toMatchObject({ kind: 'error', message: expect.stringContaining(`jump host 127.0.0.1:${own.port}`) });
      expect(events).toContainEqual({ type: 'disconnected', message: end.kind === 'error' ? end.message : '' });
      await expect(connectOutcome('127.0.0.1', tunnel.port)).resolves.toBe('ECONNREFUSED');
    } finally {
      await own.stop();
    }
  });
});

describe.each(['ecdsa', 'rsa'] as const)('a jump host with an %s host key', (hostKeyType) => {
  let server: SshdFixture;
  beforeAll(async () => {
    server = await startSshd({ hostKeyType });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is refused while unknown (fingerprint as ssh-keygen prints it), then trusted from a plain entry', async () => {
    const options = tunnelOptions({ jumpHostPort: server.port, sshKeyPath: server.clientKey.privateKeyPath });
    const error = await openSshTunnel({ ...options, knownHostsPaths: [await knownHostsWith()] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SSH_HOST_UNKNOWN', hostKey: { fingerprint: server.hostKey.fingerprint } });
    const tunnel = await open({ ...options, knownHostsPaths: [await knownHostsWith(server.knownHostsLine)] });
    expect((await fetchBytes(tunnel.port, '/')).toString()).toBe('hello through the jump host');
  });
});

describe('a jump host with several host keys', () => {
  let server: SshdFixture;
  beforeAll(async () => {
    server = await startSshd({ hostKeyType: 'ed25519', extraHostKeyTypes: ['ecdsa', 'rsa'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is asked for the key type known_hosts has for it (as OpenSSH does), so an rsa or ecdsa entry is enough', async () => {
    const options = tunnelOptions({ jumpHostPort: server.port, sshKeyPath: server.clientKey.privateKeyPath });
    for (const key of server.extraHostKeys) {
      const tunnel = await open({ ...options, knownHostsPaths: [await knownHostsWith(server.knownHostsLineFor(key))] });
      expect((await fetchBytes(tunnel.port, '/')).toString()).toBe('hello through the jump host');
      await tunnel.close();
    }
    // Unknown: the preferred type (ed25519) is the one presented, with its fingerprint.
    await expect(openSshTunnel({ ...options, knownHostsPaths: [await knownHostsWith()] })).rejects.toMatchObject({ hostKey: { fingerprint: server.hostKey.fingerprint } });
  });
});

/** 'connected', or the error code of the refused connection. */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function connectAndWaitForClose(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.once('close', () => resolve('closed'));
  });
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
