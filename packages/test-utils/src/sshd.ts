// A real OpenSSH server on loopback for the SSH tunnel tests: Debian's
// openssh-server (`/usr/sbin/sshd`), started with its own config, host key,
// authorized key and pid file in a temporary directory, as the current user.
// Missing sshd is an error, not a skip: CI installs it (scripts/services/sshd-up.sh).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type SshKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface GeneratedSshKey {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  /** `ssh-ed25519 AAAA… comment`, as in the .pub file. */
  readonly publicKeyLine: string;
  /** `SHA256:…`, as `ssh-keygen -l -E sha256` prints it (OpenSSH's own computation). */
  readonly fingerprint: string;
}

/** Makes a key pair with `ssh-keygen` (passphrase '' = unencrypted). */
export async function generateSshKey(privateKeyPath: string, options: { type?: SshKeyType; passphrase?: string } = {}): Promise<GeneratedSshKey> {
  const type = options.type ?? 'ed25519';
  const bits = type === 'rsa' ? ['-b', '3072'] : [];
  await run('ssh-keygen', ['-q', '-t', type, ...bits, '-N', options.passphrase ?? '', '-C', 'pollinator-test', '-f', privateKeyPath]);
  const publicKeyPath = `${privateKeyPath}.pub`;
  const publicKeyLine = (await readFile(publicKeyPath, 'utf8')).trim();
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath]);
  const fingerprint = /SHA256:[A-Za-z0-9+/]+/.exec(stdout)?.[0];
  if (fingerprint === undefined) throw new Error(`ssh-keygen -l printed no SHA256 fingerprint: ${stdout}`);
  return { privateKeyPath, publicKeyPath, publicKeyLine, fingerprint };
}

export interface SshdFixture {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The user the client key logs in as (the current user). */
  readonly user: string;
  /** Temporary directory holding config, keys and pid file; removed by `stop`. */
  readonly directory: string;
  /** An unencrypted ed25519 key listed in the server's AuthorizedKeysFile. */
  readonly clientKey: GeneratedSshKey;
  readonly hostKey: GeneratedSshKey;
  /** Further host keys the server also holds (`extraHostKeyTypes`). */
  readonly extraHostKeys: readonly GeneratedSshKey[];
  /** A plain known_hosts line for this server's main host key: `[127.0.0.1]:port <type> <base64>`. */
  readonly knownHostsLine: string;
  /** The same for any of its host keys. */
  knownHostsLineFor(key: GeneratedSshKey): string;
  /** What sshd wrote to stderr so far (LogLevel VERBOSE), for failure messages. */
  log(): string;
  /** Stops sshd (and its per-connection children) and removes the directory. */
  stop(): Promise<void>;
}

export const DEFAULT_SSHD_PATH = '/usr/sbin/sshd';

/** Starts sshd on 127.0.0.1 (a free port) with a fresh host key of `hostKeyType` (default ed25519). */
export async function startSshd(options: { hostKeyType?: SshKeyType; extraHostKeyTypes?: SshKeyType[]; sshdPath?: string } = {}): Promise<SshdFixture> {
  const sshdPath = options.sshdPath ?? process.env.POLLINATOR_TEST_SSHD ?? DEFAULT_SSHD_PATH;
  if (!existsSync(sshdPath)) {
    throw new Error(
      `sshd not found at ${sshdPath}: the SSH tunnel tests need a real OpenSSH server. ` +
        "Install Debian's openssh-server (apt-get install openssh-server; scripts/services/sshd-up.sh does it as root).",
    );
  }
  // As root, sshd insists on its privilege-separation directory.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const directory = await mkdtemp(join(tmpdir(), 'pollinator-sshd-'));
  try {
    const hostKey = await generateSshKey(join(directory, 'host_key'), { type: options.hostKeyType ?? 'ed25519' });
    const extraHostKeys = await Promise.all((options.extraHostKeyTypes ?? []).map((type, index) => generateSshKey(join(directory, `host_key_${index}`), { type })));
    const clientKey = await generateSshKey(join(directory, 'client_key'));
    await writeFile(join(directory, 'authorized_keys'), `${clientKey.publicKeyLine}\n`, { mode: 0o600 });
    return await startOnFreePort(sshdPath, directory, [hostKey, ...extraHostKeys], clientKey);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

async function startOnFreePort(sshdPath: string, directory: string, hostKeys: GeneratedSshKey[], clientKey: GeneratedSshKey): Promise<SshdFixture> {
  const [hostKey, ...extraHostKeys] = hostKeys as [GeneratedSshKey, ...GeneratedSshKey[]];
  let lastError: unknown;
  // A port found free may be taken before sshd binds it; try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freeLoopbackPort();
    const configPath = join(directory, 'sshd_config');
    await writeFile(configPath, sshdConfig(directory, port, hostKeys));
    const hostKeyArguments = hostKeys.flatMap((key) => ['-h', key.privateKeyPath]);
    const child = spawn(sshdPath, ['-D', '-e', '-f', configPath, '-p', String(port), ...hostKeyArguments], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    try {
      await waitForBanner(child, port, () => stderr);
    } catch (error) {
      lastError = error;
      await stopChild(child);
      if (/Address already in use/.test(stderr)) continue;
      throw error;
    }
    const knownHostsLineFor = (key: GeneratedSshKey): string => `[127.0.0.1]:${port} ${key.publicKeyLine.split(' ').slice(0, 2).join(' ')}`;
    return {
      host: '127.0.0.1',
      port,
      user: userInfo().username,
      directory,
      clientKey,
      hostKey,
      extraHostKeys,
      knownHostsLine: knownHostsLineFor(hostKey),
      knownHostsLineFor,
      log: () => stderr,
      async stop() {
        await stopChild(child);
        await rm(directory, { recursive: true, force: true });
      },
    };
  }
  throw lastError;
}

function sshdConfig(directory: string, port: number, hostKeys: GeneratedSshKey[]): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    ...hostKeys.map((key) => `HostKey ${key.privateKeyPath}`),
    `PidFile ${join(directory, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(directory, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding yes',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTTY no',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server sends its `SSH-2.0-` banner; rejects if sshd exits first. */
async function waitForBanner(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}) before listening:\n${stderr()}`);
    if (await readsBanner(port)) return;
    if (Date.now() > deadline) throw new Error(`sshd did not answer on 127.0.0.1:${port} within 15 s:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readsBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      received += text;
      if (received.includes('\n')) {
        socket.destroy();
        resolve(received.startsWith('SSH-2.0-'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

/**
 * SIGTERM to sshd and every process below it. sshd's per-connection children
 * call setsid(), so they are not in its process group: they are found by
 * walking /proc for descendants, so that stopping the server also cuts its
 * open connections, as a host going away would.
 */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const pid of [child.pid, ...(await descendantsOf(child.pid))]) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  await exited;
}

async function descendantsOf(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (after the parenthesised command, which may contain spaces) is the parent pid.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(parent)) parents.set(Number(entry), parent);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const current = queue.shift() as number;
    for (const [pid, parent] of parents) {
      if (parent === current) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}
