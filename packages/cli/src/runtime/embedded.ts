import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorEvent } from '@pollinator/core';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { embeddedDir, tildify } from '../config/paths';
import { liveAdvertisement, lockHolder, tryLock } from './embedded-advertisement';
import { connectTo, type EmbeddedColony } from './embedded-connect';
import { idleTimeoutFromEnv } from './embedded-idle';
import { holdLease } from './embedded-leases';
import { defaultConcurrency, serveEmbedded, type ServedEmbeddedColony } from './embedded-serve';
import { ensureService } from './embedded-service';

export type { EmbeddedColony } from './embedded-connect';
export type { ServedEmbeddedColony } from './embedded-serve';

/**
 * The embedded default: `@pollinator/dev-server` on 127.0.0.1 with its state
 * under the data directory, the local blob directory as CFS storage, and a
 * local executor.
 *
 * One process serves a data directory at a time (`server.lock`) and
 * advertises itself in `server.json`: `pollinator dev` in the foreground, or
 * the background service (`pollinator dev --service`) that the first command
 * needing the embedded default starts and that stops itself when idle. Every
 * other command is a client of it, so any number of them can run at once and
 * a job outlives the command that submitted it.
 */
export interface OpenEmbeddedOptions {
  /** Serve from this process (`pollinator dev`, in the foreground or as the service); otherwise connect. */
  serve?: {
    executor: boolean;
    port: number;
    command: string;
    service: boolean;
    concurrency?: number;
    idleTimeoutMs?: number;
    logFile?: string;
    onExecutorEvent?: (event: ExecutorEvent) => void;
  };
  /** Nothing will be written: with no embedded state yet, serve a throw-away copy and create nothing. */
  readOnly?: boolean;
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

export async function openEmbeddedColony(context: CommandContext, options: OpenEmbeddedOptions & { serve: NonNullable<OpenEmbeddedOptions['serve']> }): Promise<ServedEmbeddedColony>;
export async function openEmbeddedColony(context: CommandContext, options?: OpenEmbeddedOptions): Promise<EmbeddedColony>;
export async function openEmbeddedColony(context: CommandContext, options: OpenEmbeddedOptions = {}): Promise<EmbeddedColony> {
  const dir = embeddedDir(context.config.env);
  if (options.readOnly === true && !existsSync(join(dir, 'server', 'colonies.sqlite'))) {
    return serveEphemeral(context, dir);
  }
  mkdirSync(dir, { recursive: true });
  if (options.serve !== undefined) return serveHere(context, dir, options.serve);

  // A malformed POLLINATOR_DEV_IDLE_TIMEOUT is this command's configuration error, not a service that will not start.
  idleTimeoutFromEnv(context.config.env);
  // The lease first: a service about to stop for being idle sees this command before it looks for the service.
  context.onCleanup(holdLease(dir));
  const advertisement = (await liveAdvertisement(dir)) ?? (await ensureService(context, dir));
  const connected = await connectTo(advertisement, dir);
  announceOnce(
    context,
    dir,
    advertisement.service === true
      ? `No colony configured: using the embedded default on this machine, a background service that stops itself when idle (state in ${tildify(dir, context.env)}; \`pollinator dev status\` shows it, \`pollinator config\` explains)`
      : `Using the embedded default served by \`pollinator ${advertisement.command}\` (pid ${advertisement.pid}) at ${advertisement.url}`,
  );
  return { ...connected, executor: advertisement.executor ? 'server' : 'none' };
}

/** Serves from this process once it holds the lock; refuses while another process serves. */
async function serveHere(context: CommandContext, dir: string, serve: NonNullable<OpenEmbeddedOptions['serve']>): Promise<ServedEmbeddedColony> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const advertisement = await liveAdvertisement(dir);
    if (advertisement !== undefined) {
      throw new CliError('The embedded default is already running', {
        why: `${advertisement.service === true ? 'its background service' : `\`pollinator ${advertisement.command}\``} (pid ${advertisement.pid}) serves it at ${advertisement.url}`,
        fix:
          advertisement.service === true
            ? 'Other pollinator commands use it automatically; `pollinator dev stop` stops it (then `pollinator dev` runs it in the foreground).'
            : 'Use that one (other pollinator commands connect to it automatically), or stop it first.',
        exitCode: CliExitCode.USAGE,
        code: 'ALREADY_RUNNING',
      });
    }
    if (tryLock(dir)) {
      return serveEmbedded(context, dir, {
        ...serve,
        concurrency: serve.concurrency ?? defaultConcurrency(),
      });
    }
    if (serve.service) {
      // Another service is starting right now (two commands started one at once): that one serves.
      throw new CliError('The embedded default is already starting', {
        why: `pid ${lockHolder(dir) ?? 'unknown'} holds ${tildify(join(dir, 'server.lock'), context.env)}`,
        exitCode: CliExitCode.USAGE,
        code: 'ALREADY_RUNNING',
      });
    }
    // Another process is starting the server right now: wait for its advertisement.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new CliError('The embedded default did not start', {
    why: `another pollinator process (pid ${lockHolder(dir) ?? 'unknown'}) holds ${tildify(join(dir, 'server.lock'), context.env)} but serves nothing`,
    fix: 'Stop the other pollinator process, or remove the lock file if no pollinator is running.',
    exitCode: CliExitCode.CONNECTION_LOST,
    code: 'EMBEDDED_UNAVAILABLE',
  });
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
