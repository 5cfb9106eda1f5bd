// startDevServer(): the embedded Colonies-compatible server with its data
// directory (SQLite database, bootstrap identities, local blob directory).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generatePrivateKey, idOf } from '@pollinator/crypto';
import { NanoClock } from './clock';
import { ColoniesEngine } from './engine';
import { createApiServer } from './http-server';
import { createLogger, type Logger, type LogLevel } from './logger';
import { ExecutorState } from './model';
import { PubSub } from './pubsub';
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from './request-limits';
import { SignatureVerifier } from './signature-verifier';
import { type Durability, openStore } from './store';

declare const __PACKAGE_VERSION__: string | undefined;
const VERSION = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-dev';

export interface DevServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. Anything but loopback needs `allowRemote`. */
  host?: string;
  /** Allow binding a non-loopback interface (the server has no TLS: put a TLS proxy in front). */
  allowRemote?: boolean;
  /**
   * Directory for the database, identities and blobs; created when missing.
   * Default: a fresh temporary directory, deleted again by `close()`.
   */
  dataDir?: string;
  /** Name of the bootstrap colony (default `dev`). */
  colonyName?: string;
  /** Type of the bootstrap executor (default `container-executor`, what Pollinator specs ask for). */
  executorType?: string;
  executorName?: string;
  userName?: string;
  /**
   * Use this key as the server owner (server id = its id) instead of a
   * generated one. Only on a fresh data directory.
   */
  serverOwnerPrivateKey?: string;
  /** Create the bootstrap colony, user and executor on a fresh data directory (default true). */
  bootstrap?: boolean;
  /**
   * `process` (default): no acknowledged write is lost when the server process
   * dies (kill -9); `fsync`: also survives an OS crash, one fsync per write.
   */
  durability?: Durability;
  /** `COLONIES_ALLOW_EXECUTOR_REREGISTER` (default true, as in the upstream dev setup). */
  allowExecutorReregister?: boolean;
  /** `COLONIES_STALE_EXECUTOR_DURATION` in seconds (default 600; 0 disables). */
  staleExecutorSeconds?: number;
  /** `COLONIES_CLEANUP_INTERVAL` in seconds (default 60). */
  cleanupIntervalSeconds?: number;
  /** How often maxwaittime / maxexectime deadlines are checked (default 200 ms; the Go server: 1 s). */
  deadlineCheckIntervalMs?: number;
  /** Log level for JSON lines on stderr (default `silent`, or `POLLINATOR_DEV_SERVER_LOG`). */
  logLevel?: LogLevel;
  /** Custom logger (overrides `logLevel`). */
  logger?: Logger;
  /** Also write the env file (see `writeEnvFile`) here once started. */
  envFile?: string;
  /**
   * Largest request body in bytes (default 16 MiB): a larger one gets 413
   * before it is buffered (from its `Content-Length`, or as soon as it grows past).
   */
  maxBodyBytes?: number;
  /**
   * Time a client has to send a request body once its headers are in, in ms
   * (default 30 000): then 408 and the connection is closed (slow-loris guard).
   */
  bodyTimeoutMs?: number;
}

export interface DevIdentity {
  id: string;
  privateKey: string;
}

export interface DevServerIdentities {
  /** Server owner: adds/removes colonies (`COLONIES_SERVER_PRVKEY`). */
  serverOwner: DevIdentity;
  /** Colony owner key and the colony (`COLONIES_COLONY_PRVKEY`, `COLONIES_COLONY_NAME`). */
  colony: DevIdentity & { name: string };
  /** A user of the colony: submits, follows, syncs (`COLONIES_PRVKEY` for the CLI). */
  user: DevIdentity & { name: string };
  /** An approved executor of the colony (`COLONIES_PRVKEY` for an executor). */
  executor: DevIdentity & { name: string; type: string };
}

export interface DevServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Local blob directory (object key = file name, flat, like the S3 bucket). */
  readonly blobDir: string;
  readonly identities: DevServerIdentities;
  /** `COLONIES_*` variables for the user (default) or the executor identity. */
  env(as?: 'user' | 'executor'): Record<string, string>;
  /** Writes `env(as)` as `KEY=value` lines (mode 0600). */
  writeEnvFile(path: string, as?: 'user' | 'executor'): Promise<void>;
  /** Bytes of request bodies held in memory right now (at most `maxBodyBytes` per request being read). */
  bufferedBodyBytes(): number;
  /** Stops accepting, finishes in-flight requests, releases sockets, timers and the database. */
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

interface StoredIdentities extends DevServerIdentities {
  version: 1;
}

function loadOrCreateIdentities(dataDir: string, options: DevServerOptions): { identities: StoredIdentities; fresh: boolean } {
  const file = join(dataDir, 'identities.json');
  if (existsSync(file)) return { identities: JSON.parse(readFileSync(file, 'utf8')) as StoredIdentities, fresh: false };
  const identity = (privateKey = generatePrivateKey()): DevIdentity => ({ id: idOf(privateKey), privateKey });
  const identities: StoredIdentities = {
    version: 1,
    serverOwner: identity(options.serverOwnerPrivateKey),
    colony: { ...identity(), name: options.colonyName ?? 'dev' },
    user: { ...identity(), name: options.userName ?? 'dev-user' },
    executor: {
      ...identity(),
      name: options.executorName ?? 'dev-executor',
      type: options.executorType ?? 'container-executor',
    },
  };
  writeFileSync(file, `${JSON.stringify(identities, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { identities, fresh: true };
}

/** Starts the dev-server. Resolves when it listens. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host) && !options.allowRemote) {
    throw new Error(
      `[pollinator] [dev-server] refusing to bind ${host}: the dev-server has no TLS and is meant for this machine only; pass allowRemote: true to bind it anyway`,
    );
  }
  const maxBodyBytes = positiveInteger(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes');
  const bodyTimeoutMs = positiveInteger(options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS, 'bodyTimeoutMs');
  const logger =
    options.logger ??
    createLogger(options.logLevel ?? ((process.env.POLLINATOR_DEV_SERVER_LOG as LogLevel | undefined) || 'silent'));
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = resolve(options.dataDir ?? (await mkdtemp(join(tmpdir(), 'pollinator-dev-server-'))));
  mkdirSync(dataDir, { recursive: true });
  const blobDir = join(dataDir, 'blobs');
  mkdirSync(blobDir, { recursive: true });

  const db = openStore(join(dataDir, 'colonies.sqlite'), options.durability);
  const { identities, fresh } = loadOrCreateIdentities(dataDir, options);
  const clock = new NanoClock();
  const meta = db.prepare('SELECT value FROM meta WHERE key = ?');
  if (!meta.get('serverid')) {
    db.transaction(() => {
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('serverid', identities.serverOwner.id);
      if (fresh && options.bootstrap !== false) {
        const now = clock.now();
        db.prepare('INSERT INTO colonies (name, colonyid) VALUES (?, ?)').run(identities.colony.name, identities.colony.id);
        db.prepare('INSERT INTO users (colonyname, name, userid, email, phone) VALUES (?, ?, ?, ?, ?)').run(
          identities.colony.name,
          identities.user.name,
          identities.user.id,
          '',
          '',
        );
        db.prepare(
          'INSERT INTO executors (executorid, colonyname, name, type, state, locationname, commissiontime, lastheard, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(
          identities.executor.id,
          identities.colony.name,
          identities.executor.name,
          identities.executor.type,
          ExecutorState.APPROVED,
          '',
          now,
          0n,
          JSON.stringify({
            requirefuncreg: false,
            capabilities: { hardware: [], software: [] },
            allocations: { projects: {} },
          }),
        );
      }
    })();
  }
  const serverId = (meta.get('serverid') as { value: string }).value;

  const listening = { port: 0 };
  const engine = new ColoniesEngine({
    db,
    clock,
    serverId,
    logger,
    allowExecutorReregister: options.allowExecutorReregister ?? true,
    staleExecutorSeconds: options.staleExecutorSeconds ?? 600,
    serverInfo: () => ({ host, port: listening.port }),
    buildVersion: `pollinator-dev-server-${VERSION} (colonies v1.9.12 protocol)`,
    buildTime: new Date().toISOString(),
  });
  const verifier = new SignatureVerifier();
  const pubsub = new PubSub(engine, verifier, logger);
  const api = createApiServer(engine, verifier, pubsub, logger, { maxBytes: maxBodyBytes, timeoutMs: bodyTimeoutMs });

  await new Promise<void>((resolvePromise, reject) => {
    api.server.once('error', reject);
    api.server.listen(options.port ?? 0, host, () => {
      api.server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (api.server.address() as AddressInfo).port;
  listening.port = port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;

  const deadlineTimer = setInterval(() => {
    try {
      engine.sweepDeadlines();
    } catch (error) {
      logger.error('deadline check failed', { error: String(error) });
    }
  }, options.deadlineCheckIntervalMs ?? 200);
  deadlineTimer.unref();
  const cleanupTimer = setInterval(() => {
    try {
      engine.removeStaleExecutors();
    } catch (error) {
      logger.error('stale executor cleanup failed', { error: String(error) });
    }
  }, (options.cleanupIntervalSeconds ?? 60) * 1000);
  cleanupTimer.unref();

  const env = (as: 'user' | 'executor' = 'user'): Record<string, string> => {
    const caller = as === 'executor' ? identities.executor : identities.user;
    return {
      COLONIES_SERVER_HOST: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host,
      COLONIES_SERVER_PORT: String(port),
      COLONIES_SERVER_HTTP_PORT: String(port),
      COLONIES_TLS: 'false',
      COLONIES_SERVER_TLS: 'false',
      COLONIES_INSECURE: 'true',
      COLONIES_COLONY_NAME: identities.colony.name,
      COLONIES_COLONY_ID: identities.colony.id,
      COLONIES_COLONY_PRVKEY: identities.colony.privateKey,
      COLONIES_SERVER_ID: identities.serverOwner.id,
      COLONIES_SERVER_PRVKEY: identities.serverOwner.privateKey,
      COLONIES_PRVKEY: caller.privateKey,
      COLONIES_ID: caller.id,
      COLONIES_USER_NAME: identities.user.name,
      COLONIES_EXECUTOR_NAME: identities.executor.name,
      COLONIES_EXECUTOR_TYPE: identities.executor.type,
      COLONIES_EXECUTOR_ID: identities.executor.id,
      POLLINATOR_BLOB_DIR: blobDir,
    };
  };
  const writeEnvFile = async (path: string, as: 'user' | 'executor' = 'user'): Promise<void> => {
    const lines = Object.entries(env(as)).map(([key, value]) => `${key}=${value}`);
    await writeFile(path, `# @pollinator/dev-server at ${url} (${as} identity)\n${lines.join('\n')}\n`, { mode: 0o600 });
  };
  if (options.envFile) await writeEnvFile(options.envFile);
  logger.info('dev-server listening', { url, dataDir });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(deadlineTimer);
      clearInterval(cleanupTimer);
      const closed = new Promise<void>((resolveClose) => api.server.close(() => resolveClose()));
      engine.close();
      pubsub.close();
      api.server.closeIdleConnections();
      const deadline = Date.now() + 10_000;
      while (api.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      api.server.closeAllConnections();
      await closed;
      db.close();
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      logger.info('dev-server closed', { url });
    })());

  return {
    url,
    host,
    port,
    dataDir,
    blobDir,
    identities: {
      serverOwner: identities.serverOwner,
      colony: identities.colony,
      user: identities.user,
      executor: identities.executor,
    },
    env,
    writeEnvFile,
    bufferedBodyBytes: () => api.bufferedBodyBytes(),
    close,
  };
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  // setTimeout holds at most 2^31 - 1 ms; a larger body time limit would fire at once.
  if (!Number.isSafeInteger(value) || value <= 0 || (name === 'bodyTimeoutMs' && value > 2 ** 31 - 1)) {
    throw new Error(`[pollinator] [dev-server] ${name} must be a positive integer${name === 'bodyTimeoutMs' ? ' up to 2147483647' : ''}, got ${value}`);
  }
  return value;
}
