// The original Pollinator's SSH tunnel, done safely: the jump host's key is
// checked against known_hosts (an unknown host is refused with its fingerprint
// unless the user accepted exactly that fingerprint; a changed key is always
// refused), the listener is on 127.0.0.1 only, and the key comes from the file
// the project names and is never logged. Each local TCP connection becomes one
// `direct-tcpip` channel from the jump host to targetHost:targetPort.
import { createServer, type Server, type Socket } from 'node:net';
import { Client, type ClientChannel, type ServerHostKeyAlgorithm } from 'ssh2';
import { verifyJumpHostKey } from './ssh-host-key-check';
import { defaultKnownHostsPaths, knownKeyTypes, readKnownHosts } from './known-hosts';
import { SshTunnelError } from './ssh-errors';
import { expandHomePath, readPrivateKeyFile } from './ssh-private-key';

export interface SshTunnelOptions {
  /** The SSH server that can reach the compute nodes (the original's `tunnel.jumpHost`). */
  jumpHost: string;
  /** Its SSH port (default 22). */
  jumpHostPort?: number;
  /** The user on the jump host. */
  user: string;
  /** Private key file (`~` expanded); unencrypted. */
  sshKeyPath: string;
  /** Where the job listens, as the jump host reaches it (see `firstNode` for Slurm's NODES). */
  targetHost: string;
  targetPort: number;
  /** Port on 127.0.0.1; 0 picks a free one (read it from `port`). */
  localPort: number;
  /** known_hosts files to trust; an accepted key is appended to the first. Default: ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts. */
  knownHostsPaths?: string[];
  /** `SHA256:…` the user checked and accepted for an unknown jump host (never overrides a changed key). */
  acceptFingerprint?: string;
  onEvent?: (event: SshTunnelEvent) => void;
  /** How long the SSH handshake may take (default 20 s). */
  readyTimeoutMs?: number;
}

/** Progress of a tunnel, for the CLI's status line. Never contains key material. */
export type SshTunnelEvent =
  | { type: 'connecting'; jumpHost: string; port: number }
  | { type: 'host-key-accepted'; fingerprint: string; knownHostsPath: string }
  | { type: 'listening'; port: number }
  | { type: 'connection'; connectionId: number }
  | { type: 'connection-closed'; connectionId: number }
  | { type: 'connection-failed'; connectionId: number; message: string }
  | { type: 'disconnected'; message: string };

/** How a tunnel ended (a subset of the channel forward's `LinkEnd`). */
export type SshTunnelEnd = { kind: 'closed'; by: 'us' } | { kind: 'error'; message: string };

/** A listening tunnel; has the shape of the channel forward's `ForwardListener`. */
export interface SshTunnel {
  /** The local port on 127.0.0.1. */
  readonly port: number;
  /** Stops listening, cuts open connections, closes the SSH connection; idempotent. */
  close(): Promise<void>;
  /** Settles when the tunnel ends (closed by us, or the SSH connection dropped); never rejects. */
  readonly ended: Promise<SshTunnelEnd>;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
/** Notices a dead jump host in about a minute instead of never. */
const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 4;

/** Connects to the jump host (host key checked), then listens on 127.0.0.1:localPort. */
export async function openSshTunnel(options: SshTunnelOptions): Promise<SshTunnel> {
  const jumpHostPort = options.jumpHostPort ?? 22;
  validateOptions(options, jumpHostPort);
  const emit = options.onEvent ?? (() => undefined);
  const keyPath = expandHomePath(options.sshKeyPath);
  const privateKey = await readPrivateKeyFile(keyPath);
  const knownHostsPaths = options.knownHostsPaths ?? defaultKnownHostsPaths();
  const entries = await readKnownHosts(knownHostsPaths);
  emit({ type: 'connecting', jumpHost: options.jumpHost, port: jumpHostPort });
  const client = await connectJumpHost({ ...options, jumpHostPort, privateKey, keyPath, knownHostsPaths, entries, emit });
  // The connection may drop while we start listening: remember it, so the tunnel ends at once.
  let droppedEarly: string | undefined;
  const onEarlyError = (error: Error): void => void (droppedEarly ??= error.message);
  const onEarlyClose = (): void => void (droppedEarly ??= 'closed');
  client.on('error', onEarlyError).on('close', onEarlyClose);
  let server: Server;
  try {
    server = await listenOnLoopback(options.localPort);
  } catch (error) {
    client.end();
    throw error;
  } finally {
    client.off('error', onEarlyError).off('close', onEarlyClose);
  }
  return serveTunnel(client, server, options, emit, droppedEarly);
}

function validateOptions(options: SshTunnelOptions, jumpHostPort: number): void {
  const problems: string[] = [];
  for (const [field, value] of [['jumpHost', options.jumpHost], ['targetHost', options.targetHost]] as const) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(value) || value.startsWith('-')) problems.push(`${field} ${JSON.stringify(value)} is not a host name or address`);
  }
  // A user name travels inside the SSH protocol, never through a shell: only blanks and control characters are refused.
  if (typeof options.user !== 'string' || !/^[^\s\p{Cc}]+$/u.test(options.user)) problems.push(`user ${JSON.stringify(options.user)} is not a user name`);
  if (typeof options.sshKeyPath !== 'string' || options.sshKeyPath.length === 0) problems.push('sshKeyPath is empty');
  for (const [field, value, lowest] of [['jumpHostPort', jumpHostPort, 1], ['targetPort', options.targetPort, 1], ['localPort', options.localPort, 0]] as const) {
    if (!Number.isInteger(value) || value < lowest || value > 65_535) problems.push(`${field} ${String(value)} is not a port number (${lowest}-65535)`);
  }
  if (problems.length > 0) throw new SshTunnelError('SSH_OPTIONS_INVALID', `The SSH tunnel settings are not valid: ${problems.join('; ')}.`, { details: { problems } });
}

interface ConnectOptions extends SshTunnelOptions {
  jumpHostPort: number;
  privateKey: Buffer;
  keyPath: string;
  knownHostsPaths: string[];
  entries: Awaited<ReturnType<typeof readKnownHosts>>;
  emit: (event: SshTunnelEvent) => void;
}

function connectJumpHost(options: ConnectOptions): Promise<Client> {
  const client = new Client();
  const target = `${options.user}@${options.jumpHost}:${options.jumpHostPort}`;
  let hostKeyProblem: Error | undefined;
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    client.once('ready', () => {
      settled = true;
      client.removeAllListeners('error');
      resolve(client);
    });
    // `on`, not `once`: a connection that failed may report a second error (the socket reset while it ends),
    // which must not become an unhandled 'error' event.
    client.on('error', (error: Error & { level?: string; code?: string }) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(hostKeyProblem ?? connectError(error, target, options.keyPath));
    });
    client.connect({
      host: options.jumpHost,
      port: options.jumpHostPort,
      username: options.user,
      privateKey: options.privateKey,
      // No agent, no keyboard-interactive: exactly the key the project names.
      tryKeyboard: false,
      readyTimeout: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(options.entries, options.jumpHost, options.jumpHostPort)) },
      hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
        verifyJumpHostKey({ ...options, host: options.jumpHost, port: options.jumpHostPort, key }).then(
          () => verify(true),
          (error: unknown) => {
            hostKeyProblem = error instanceof Error ? error : new Error(String(error));
            verify(false);
          },
        );
      },
    });
  });
}

/** The SHA-1 `ssh-rsa` signature is left out, as OpenSSH ≥ 8.8 does. */
const HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'];

/** Like OpenSSH: the key types known_hosts already has for this host are asked for first. */
export function hostKeyAlgorithms(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const preferred = HOST_KEY_ALGORITHMS.filter((algorithm) =>
    knownTypes.some((type) => (type === 'ssh-rsa' ? algorithm.startsWith('rsa-sha2-') : type === algorithm)),
  );
  return [...preferred, ...HOST_KEY_ALGORITHMS.filter((algorithm) => !preferred.includes(algorithm))];
}

function connectError(error: Error & { level?: string; code?: string }, target: string, keyPath: string): SshTunnelError {
  if (error.level === 'client-authentication') {
    return new SshTunnelError('SSH_AUTH_FAILED', `The jump host ${target} refused the key ${keyPath}: add the matching public key (${keyPath}.pub) to ~/.ssh/authorized_keys of that user on the jump host, or check tunnel.user.`, {
      details: { target, path: keyPath },
    });
  }
  const reason = error.level === 'client-timeout' ? 'no SSH handshake within the time limit' : error.code ?? error.message;
  return new SshTunnelError('SSH_CONNECT_FAILED', `Could not connect to the jump host ${target} (${reason}): check tunnel.jumpHost and tunnel.jumpHostPort and that the host is reachable.`, {
    details: { target, reason },
  });
}

function listenOnLoopback(port: number): Promise<Server> {
  const server = createServer();
  return new Promise<Server>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'it is in use: choose another local port' : error.code ?? error.message;
      reject(new SshTunnelError('SSH_LISTEN_FAILED', `Cannot listen on 127.0.0.1:${port}: ${reason}.`, { details: { port }, cause: error }));
    });
    // Loopback only: the original listened on 0.0.0.0, opening the job to the whole network.
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.removeAllListeners('error');
      resolve(server);
    });
  });
}

function serveTunnel(client: Client, server: Server, options: SshTunnelOptions, emit: (event: SshTunnelEvent) => void, droppedEarly: string | undefined): SshTunnel {
  const sockets = new Set<Socket>();
  let connectionCount = 0;
  let settle: (end: SshTunnelEnd) => void = () => undefined;
  const ended = new Promise<SshTunnelEnd>((resolve) => (settle = resolve));
  let finished = false;
  const finish = (end: SshTunnelEnd): void => {
    if (finished) return;
    finished = true;
    server.close();
    for (const socket of sockets) socket.destroy();
    client.end();
    if (end.kind === 'error') emit({ type: 'disconnected', message: end.message });
    settle(end);
  };
  const jumpHost = `${options.jumpHost}:${options.jumpHostPort ?? 22}`;
  client.on('error', (error: Error) => finish({ kind: 'error', message: `The SSH connection to the jump host ${jumpHost} failed: ${error.message}` }));
  client.on('close', () => finish({ kind: 'error', message: `The SSH connection to the jump host ${jumpHost} closed` }));
  server.on('connection', (socket: Socket) => {
    connectionCount += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    relayConnection(client, socket, options, connectionCount, emit);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.localPort;
  emit({ type: 'listening', port });
  if (droppedEarly !== undefined) finish({ kind: 'error', message: `The SSH connection to the jump host ${jumpHost} ended: ${droppedEarly}` });
  return {
    port,
    ended,
    async close(): Promise<void> {
      const closed = new Promise<void>((resolve) => (finished ? resolve() : client.once('close', () => resolve())));
      finish({ kind: 'closed', by: 'us' });
      await closed;
    },
  };
}

/** One local connection ↔ one direct-tcpip channel; either side's end or error closes the other. */
function relayConnection(client: Client, socket: Socket, options: SshTunnelOptions, connectionId: number, emit: (event: SshTunnelEvent) => void): void {
  emit({ type: 'connection', connectionId });
  socket.pause();
  socket.on('error', () => socket.destroy());
  const target = `${options.targetHost}:${options.targetPort}`;
  client.forwardOut('127.0.0.1', socket.remotePort ?? 0, options.targetHost, options.targetPort, (error: Error | undefined, channel: ClientChannel) => {
    if (error) {
      emit({ type: 'connection-failed', connectionId, message: `The jump host could not open a connection to ${target}: ${error.message}` });
      socket.destroy();
      return;
    }
    if (socket.destroyed) {
      channel.close();
      return;
    }
    socket.pipe(channel);
    channel.pipe(socket);
    channel.on('error', () => socket.destroy());
    channel.once('close', () => {
      if (!socket.writableEnded) socket.destroy();
    });
    socket.once('close', () => {
      channel.close();
      emit({ type: 'connection-closed', connectionId });
    });
    socket.resume();
  });
}
