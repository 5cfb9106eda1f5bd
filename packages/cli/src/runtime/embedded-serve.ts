import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ExecutorEvent } from '@pollinator/core';
import type { DashboardServer } from '@pollinator/dashboard';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { embeddedExecutorDirs, tildify } from '../config/paths';
import { VERSION } from '../version';
import { releaseServe, writeAdvertisement, type Advertisement } from './embedded-advertisement';
import { connectTo, type EmbeddedColony } from './embedded-connect';
import { startExecutor } from './executor';
import { protectedPathsOf } from './protected-paths';

/**
 * Jobs the embedded executor runs side by side unless `dev --concurrency`
 * says otherwise: half the CPUs, at least 2 (a job's own threads get the
 * rest; two jobs never wait for each other on a laptop).
 */
export function defaultConcurrency(cpus: number = availableParallelism()): number {
  return Math.max(2, Math.floor(cpus / 2));
}

export interface ServeOptions {
  /** Run a local executor in this process. */
  executor: boolean;
  /** Port to listen on (0: any free port). */
  port: number;
  /** `dev` or `dev --service`, for other processes. */
  command: string;
  /** The background service: advertised as such (it stops itself when idle). */
  service: boolean;
  concurrency: number;
  idleTimeoutMs?: number;
  logFile?: string;
  onExecutorEvent?: (event: ExecutorEvent) => void;
}

/** The embedded default as the process serving it sees it: with its dashboard. */
export interface ServedEmbeddedColony extends EmbeddedColony {
  dashboard: DashboardServer;
}

/**
 * Serves the embedded default from this process (the caller holds
 * `server.lock`): the dev-server, a local executor and the dashboard, then
 * `server.json` once all are ready, so a command that finds the advertisement
 * can submit at once (and `pollinator ui` finds the dashboard's link). The
 * command's cleanup stops them and removes the advertisement.
 */
export async function serveEmbedded(context: CommandContext, dir: string, options: ServeOptions): Promise<ServedEmbeddedColony> {
  let server;
  try {
    const { startDevServer } = await import('@pollinator/dev-server');
    server = await startDevServer({ dataDir: join(dir, 'server'), port: options.port });
  } catch (error) {
    releaseServe(dir);
    throw new CliError('The embedded default could not start', {
      why: (error as Error).message.replace(/^(\[[^\]]+\]\s*)+/, ''),
      fix: `Check that ${tildify(dir, context.env)} is writable (or set POLLINATOR_DATA_DIR), or configure a colony (COLONIES_SERVER_HOST, see \`pollinator config\`).`,
      exitCode: CliExitCode.CONNECTION_LOST,
      code: 'EMBEDDED_UNAVAILABLE',
      cause: error,
    });
  }
  const devServer = server;
  context.onCleanup(async () => {
    await devServer.close();
    releaseServe(dir);
  });
  const advertisement: Advertisement = {
    pid: process.pid,
    url: devServer.url,
    blobDir: devServer.blobDir,
    colonyName: devServer.identities.colony.name,
    command: options.command,
    executor: options.executor,
    env: devServer.env('user'),
    startedAt: new Date().toISOString(),
    service: options.service,
    ...(options.executor ? { concurrency: options.concurrency } : {}),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs, idleStopAt: null }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
  };
  const connected = await connectTo(advertisement, dir);
  const colony: EmbeddedColony = { ...connected, server: 'this', executor: 'none', serverPid: process.pid, advertisement };
  if (options.executor) {
    colony.runningExecutor = await startExecutor(context, {
      backend: 'local',
      client: connected.client.as(devServer.identities.executor.privateKey),
      colonyName: colony.colonyName,
      blobStore: connected.blobStore,
      executorName: devServer.identities.executor.name,
      ...embeddedExecutorDirs(dir),
      // The dev-server's identities.json (every key of the embedded colony), database and blobs: never a job's to read.
      protectedPaths: protectedPathsOf(context.config, dir, devServer.blobDir),
      // Jobs here are the user's own (the server listens on 127.0.0.1 only): no isolation is said with -v, not on every run.
      backendOptions: { onWarning: (message: string) => context.output.debug(message) },
      maxConcurrency: options.concurrency,
      // Short long-polls: a stop (`pollinator dev stop`, Ctrl-C) waits for the poll in flight.
      assignTimeoutSeconds: 1,
      watchIntervalMs: 500,
      ...(options.onExecutorEvent === undefined ? {} : { onEvent: options.onExecutorEvent }),
    });
    colony.executor = 'this';
    if (colony.runningExecutor.jobRuntime !== undefined) advertisement.jobRuntime = colony.runningExecutor.jobRuntime;
  }
  const dashboard = await startDashboard(context, colony);
  advertisement.dashboard = { url: dashboard.url, link: dashboard.link };
  writeAdvertisement(dir, advertisement);
  return { ...colony, dashboard };
}

/**
 * The dashboard of the embedded default, in the serving process: its token is
 * made here (never on a command line) and reaches other processes only
 * through `server.json`. Closed before the server (cleanups run last first).
 */
async function startDashboard(context: CommandContext, colony: EmbeddedColony): Promise<DashboardServer> {
  const { startDashboardServer } = await import('@pollinator/dashboard');
  const dashboard = await startDashboardServer({ client: colony.client, colonyName: colony.colonyName, blobStore: async () => colony.blobStore, toolVersion: VERSION });
  context.onCleanup(() => dashboard.close());
  return dashboard;
}
