// startDevServer(): the embedded Colonies-compatible server with its data
// directory (SQLite database, bootstrap identities, local blob directory).
import type { ChannelLimits } from './channel-router';
import type { AssignWakeUp } from './scheduler';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { NanoClock } from './clock';
import { initialiseServer, loadOrCreateIdentities } from './data-dir';
import { devServerEnv } from './dev-env';
import { ColoniesEngine } from './engine';
import { type ApiServer, createApiServer } from './http-server';
import { createLogger, type Logger, type LogLevel } from './logger';
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
  /**
   * Overrides of the process-channel limits of v1.9.12 (`CHANNEL_LIMITS`:
   * 10 MiB payloads, 10,000 entries per channel, 100 channels, 100 appends/s
   * after a burst of 500). The object is read on every call.
   */
  channelLimits?: Partial<ChannelLimits>;
  /**
   * Who a submitted process wakes among the executors waiting in an assign
   * long-poll: `matching` (default) hands it at once to one it matches;
   * `one-per-submit` behaves as a real v1.9.12 server does, waking ONE waiting
   * executor round-robin whatever the spec's `executornames`, so a targeted
   * process may wait until its executor's long-poll ends (bench/targeted-assign.ts).
   */
  assignWakeUp?: AssignWakeUp;
  /** Log level for JSON lines on stderr (default `silent`, or `POLLINATOR_DEV_SERVER_LOG`). */
  logLevel?: LogLevel;
  /** Custom logger (overrides `logLevel`). */
  logger?: Logger;
  /** Also write the env file (see `writeEnvFile`) here once started. */
  envFile?: string;
  /**
   * Largest request body in bytes (default 20 MiB): a larger one gets 413
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

/** Runs `task` every `intervalMs`, logging (never throwing) its failures; returns the timer. */
function every(intervalMs: number, task: () => void, logger: Logger, what: string): NodeJS.Timeout {
  const timer = setInterval(() => {
    try {
      task();
    } catch (error) {
      logger.error(`${what} failed`, { error: String(error) });
    }
  }, intervalMs);
  timer.unref();
  return timer;
}

/** Listens on `host:port` (0: any free port) and returns the port. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** The data directory (a fresh temporary one, `owned`, when none is given) and its blob directory. */
async function prepareDataDir(given: string | undefined): Promise<{ dataDir: string; blobDir: string; ownsDataDir: boolean }> {
  const dataDir = resolve(given ?? (await mkdtemp(join(tmpdir(), 'pollinator-dev-server-'))));
  mkdirSync(dataDir, { recursive: true });
  const blobDir = join(dataDir, 'blobs');
  mkdirSync(blobDir, { recursive: true });
  return { dataDir, blobDir, ownsDataDir: given === undefined };
}

interface RunningServer {
  api: ApiServer;
  engine: ColoniesEngine;
  pubsub: PubSub;
  db: Database.Database;
  timers: NodeJS.Timeout[];
  logger: Logger;
  url: string;
}

/** Stops accepting, answers waiting assigns, lets in-flight requests finish (10 s at most), then releases everything. */
async function shutdown(running: RunningServer, removeDataDir: () => Promise<void>): Promise<void> {
  const { api, engine, pubsub, db, logger, url } = running;
  for (const timer of running.timers) clearInterval(timer);
  const closed = new Promise<void>((resolveClose) => api.server.close(() => resolveClose()));
  engine.close();
  pubsub.close();
  api.server.closeIdleConnections();
  const deadline = Date.now() + 10_000;
  while (api.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  api.server.closeAllConnections();
  await closed;
  db.close();
  await removeDataDir();
  logger.info('dev-server closed', { url });
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
  const { dataDir, blobDir, ownsDataDir } = await prepareDataDir(options.dataDir);

  const db = openStore(join(dataDir, 'colonies.sqlite'), options.durability);
  const { identities, fresh } = loadOrCreateIdentities(dataDir, options);
  const clock = new NanoClock();
  const serverId = initialiseServer(db, { identities, fresh, bootstrap: options.bootstrap !== false }, clock);

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
    blobDir,
    ...(options.channelLimits === undefined ? {} : { channelLimits: options.channelLimits }),
    ...(options.assignWakeUp === undefined ? {} : { assignWakeUp: options.assignWakeUp }),
  });
  const verifier = new SignatureVerifier();
  const pubsub = new PubSub(engine, verifier, logger);
  const api = createApiServer(engine, verifier, pubsub, logger, { maxBytes: maxBodyBytes, timeoutMs: bodyTimeoutMs });

  const port = await listen(api.server, options.port ?? 0, host);
  listening.port = port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;

  const deadlineTimer = every(options.deadlineCheckIntervalMs ?? 200, () => engine.sweepDeadlines(), logger, 'deadline check');
  const cleanupTimer = every(
    (options.cleanupIntervalSeconds ?? 60) * 1000,
    () => engine.removeStaleExecutors(),
    logger,
    'stale executor cleanup',
  );

  const env = (as: 'user' | 'executor' = 'user'): Record<string, string> => devServerEnv({ identities, host, port, blobDir }, as);
  const writeEnvFile = async (path: string, as: 'user' | 'executor' = 'user'): Promise<void> => {
    const lines = Object.entries(env(as)).map(([key, value]) => `${key}=${value}`);
    await writeFile(path, `# @pollinator/dev-server at ${url} (${as} identity)\n${lines.join('\n')}\n`, { mode: 0o600 });
  };
  if (options.envFile) await writeEnvFile(options.envFile);
  logger.info('dev-server listening', { url, dataDir });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= shutdown({ api, engine, pubsub, db, timers: [deadlineTimer, cleanupTimer], logger, url }, async () => {
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    }));

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
