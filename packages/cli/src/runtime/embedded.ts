import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobStore } from '@pollinator/cfs-sync';
import type { ColoniesClient } from '@pollinator/colonies-client';
import type { ExecutorEvent } from '@pollinator/core';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { embeddedDir, tildify } from '../config/paths';
import { startExecutor, type RunningExecutor } from './executor';
import { protectedPathsOf } from './protected-paths';

/**
 * The embedded default: `@pollinator/dev-server` on 127.0.0.1 with its state
 * under the data directory, the local blob directory as CFS storage, and (for
 * `run` and `dev`) a local executor, all in this process.
 *
 * Only one process serves a data directory at a time (`server.lock`); it
 * advertises itself in `server.json`. Other pollinator commands find it
 * there and connect as clients (so `pollinator ps` works while `pollinator
 * dev` or a `pollinator run` is going); with nobody serving, a command starts
 * the server itself for its own duration.
 */
export interface EmbeddedColony {
  /** `<data dir>/embedded` */
  dir: string;
  url: string;
  client: ColoniesClient;
  colonyName: string;
  blobStore: BlobStore;
  /** `COLONIES_*` for other tools (user identity). */
  env: Record<string, string>;
  /** `this`: served by this process; `other`: by another pollinator process (pid). */
  server: 'this' | 'other';
  /** Who runs jobs: an executor in this process, the serving process's executor, or nobody. */
  executor: 'this' | 'server' | 'none';
  serverPid: number;
  /** The in-process executor, when there is one. */
  runningExecutor?: RunningExecutor;
}

interface Advertisement {
  pid: number;
  url: string;
  blobDir: string;
  colonyName: string;
  command: string;
  executor: boolean;
  env: Record<string, string>;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function readAdvertisement(dir: string): Advertisement | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as Advertisement;
  } catch {
    return undefined;
  }
}

/** Takes the serve lock; false when a live process holds it. */
function tryLock(dir: string): boolean {
  const lock = join(dir, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lock, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && pidAlive(holder) && holder !== process.pid) return false;
      // Left behind by a process that died: take it over.
      rmSync(lock, { force: true });
    }
  }
  return false;
}

async function connectTo(advertisement: Advertisement, dir: string): Promise<Omit<EmbeddedColony, 'executor'>> {
  const { createColoniesClient } = await import('@pollinator/colonies-client');
  const { createLocalBlobStore } = await import('@pollinator/cfs-sync');
  const env = advertisement.env;
  return {
    dir,
    url: advertisement.url,
    client: createColoniesClient({
      url: advertisement.url,
      privateKey: env.COLONIES_PRVKEY,
      colonyName: advertisement.colonyName,
      colonyPrivateKey: env.COLONIES_COLONY_PRVKEY,
      serverPrivateKey: env.COLONIES_SERVER_PRVKEY,
    }),
    colonyName: advertisement.colonyName,
    blobStore: createLocalBlobStore({ dir: advertisement.blobDir }),
    env,
    server: 'other',
    serverPid: advertisement.pid,
  };
}

export interface OpenEmbeddedOptions {
  /** Run a local executor in this process when this process serves. */
  executor: boolean;
  /** Port to listen on when serving (default 0: any free port). */
  port?: number;
  /** What is serving, for other processes (`dev`, `run`, …). */
  command?: string;
  /** Refuse when another process serves already (`dev`). */
  requireServe?: boolean;
  /** Nothing will be written: with no embedded state yet, serve a throw-away copy and create nothing. */
  readOnly?: boolean;
  /** Executor events (the `dev` command prints them). */
  onExecutorEvent?: (event: ExecutorEvent) => void;
}

let announced = false;

/**
 * Says once per data directory (and again with -v) that the embedded default
 * is in use, so a first-time user learns where things run without every
 * later command repeating it.
 */
function announceOnce(context: CommandContext, dir: string, text: string): void {
  if (announced) return;
  announced = true;
  const marker = join(dir, '.announced');
  if (existsSync(marker)) {
    context.output.debug(text);
    return;
  }
  context.output.info(text);
  try {
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  } catch {
    // Not being able to remember it only means saying it again.
  }
}

export async function openEmbeddedColony(context: CommandContext, options: OpenEmbeddedOptions): Promise<EmbeddedColony> {
  const { output } = context;
  const dir = embeddedDir(context.config.env);
  if (options.readOnly === true && !existsSync(join(dir, 'server', 'colonies.sqlite'))) {
    return serveEphemeral(context, dir);
  }
  mkdirSync(dir, { recursive: true });

  for (let attempt = 0; attempt < 50; attempt += 1) {
    const advertisement = readAdvertisement(dir);
    if (advertisement !== undefined && advertisement.pid !== process.pid && pidAlive(advertisement.pid) && (await healthy(advertisement.url))) {
      if (options.requireServe === true) {
        throw new CliError('The embedded default is already running', {
          why: `\`pollinator ${advertisement.command}\` (pid ${advertisement.pid}) serves it at ${advertisement.url}`,
          fix: 'Use that one (other pollinator commands connect to it automatically), or stop it first.',
          exitCode: CliExitCode.USAGE,
          code: 'ALREADY_RUNNING',
        });
      }
      const connected = await connectTo(advertisement, dir);
      announceOnce(context, dir, `Using the embedded default served by \`pollinator ${advertisement.command}\` (pid ${advertisement.pid}) at ${advertisement.url}`);
      return { ...connected, executor: advertisement.executor ? 'server' : 'none' };
    }
    if (tryLock(dir)) return serve(context, dir, options);
    // Another process is starting the server right now: wait for its advertisement.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new CliError('The embedded default did not start', {
    why: `another pollinator process holds ${tildify(join(dir, 'server.lock'), context.env)} but serves nothing`,
    fix: 'Stop the other pollinator process, or remove the lock file if no pollinator is running.',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'EMBEDDED_UNAVAILABLE',
  });

  async function serve(ctx: CommandContext, embeddedRoot: string, serveOptions: OpenEmbeddedOptions): Promise<EmbeddedColony> {
    const started = Date.now();
    const release = () => {
      rmSync(join(embeddedRoot, 'server.json'), { force: true });
      rmSync(join(embeddedRoot, 'server.lock'), { force: true });
    };
    let server;
    try {
      const { startDevServer } = await import('@pollinator/dev-server');
      server = await startDevServer({ dataDir: join(embeddedRoot, 'server'), port: serveOptions.port ?? 0 });
    } catch (error) {
      release();
      throw new CliError('The embedded default could not start', {
        why: (error as Error).message.replace(/^(\[[^\]]+\]\s*)+/, ''),
        fix: `Check that ${tildify(embeddedRoot, ctx.env)} is writable (or set POLLINATOR_DATA_DIR), or configure a colony (COLONIES_SERVER_HOST, see \`pollinator config\`).`,
        exitCode: CliExitCode.CONNECTION_LOST,
        code: 'EMBEDDED_UNAVAILABLE',
        cause: error,
      });
    }
    const devServer = server;
    ctx.onCleanup(async () => {
      await devServer.close();
      release();
    });
    const env = devServer.env('user');
    const advertisement: Advertisement = {
      pid: process.pid,
      url: devServer.url,
      blobDir: devServer.blobDir,
      colonyName: devServer.identities.colony.name,
      command: serveOptions.command ?? 'run',
      executor: serveOptions.executor,
      env,
    };
    writeFileSync(join(embeddedRoot, 'server.json'), `${JSON.stringify(advertisement, null, 2)}\n`, { mode: 0o600 });
    output.debug(`embedded dev-server at ${devServer.url} in ${formatMs(Date.now() - started)}`);
    announceOnce(
      ctx,
      embeddedRoot,
      `No colony configured: using the embedded default on this machine (state in ${tildify(embeddedRoot, ctx.env)}; \`pollinator config\` explains)`,
    );

    const connected = await connectTo(advertisement, embeddedRoot);
    const colony: EmbeddedColony = { ...connected, server: 'this', executor: 'none', serverPid: process.pid };
    if (serveOptions.executor) {
      colony.runningExecutor = await startExecutor(ctx, {
        backend: 'local',
        client: connected.client.as(devServer.identities.executor.privateKey),
        colonyName: colony.colonyName,
        blobStore: connected.blobStore,
        executorName: devServer.identities.executor.name,
        fsDir: join(embeddedRoot, 'executor', 'fs'),
        stateDir: join(embeddedRoot, 'executor', 'state'),
        // The dev-server's identities.json (every key of the embedded colony), database and blobs: never a job's to read.
        protectedPaths: protectedPathsOf(ctx.config, embeddedRoot, devServer.blobDir),
        // Jobs here are the user's own (the server listens on 127.0.0.1 only): no isolation is said with -v, not on every run.
        backendOptions: { onWarning: (message: string) => ctx.output.debug(message) },
        // One at a time: two jobs of one project staging the same data directory at once race (see the CLI README).
        maxConcurrency: 1,
        // Short long-polls: the embedded executor stops with the command, and a stop waits for the poll.
        assignTimeoutSeconds: 1,
        watchIntervalMs: 500,
        ...(serveOptions.onExecutorEvent === undefined ? {} : { onEvent: serveOptions.onExecutorEvent }),
      });
      colony.executor = 'this';
    }
    return colony;
  }
}

/** A dev-server in a temporary directory (removed on close): an empty colony, for commands that change nothing. */
async function serveEphemeral(context: CommandContext, dir: string): Promise<EmbeddedColony> {
  const { startDevServer } = await import('@pollinator/dev-server');
  const server = await startDevServer({});
  context.onCleanup(() => server.close());
  const env = server.env('user');
  const connected = await connectTo(
    { pid: process.pid, url: server.url, blobDir: server.blobDir, colonyName: server.identities.colony.name, command: 'plan', executor: false, env },
    dir,
  );
  context.output.info('No colony configured and the embedded default has no state yet: planning against an empty colony');
  return { ...connected, server: 'this', executor: 'none', serverPid: process.pid };
}

function formatMs(ms: number): string {
  return `${ms} ms`;
}
