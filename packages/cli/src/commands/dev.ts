import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandContext } from '../context';
import { formatEnvFile } from '../config/env-file';
import { embeddedDir, tildify } from '../config/paths';
import { CliError, usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { createExecutorEventRenderer } from '../render/executor-events';
import { readAdvertisement, writeAdvertisement } from '../runtime/embedded-advertisement';
import { idleTimeoutFromEnv, watchIdle } from '../runtime/embedded-idle';
import { liveClients } from '../runtime/embedded-leases';
import { defaultConcurrency } from '../runtime/embedded-serve';
import { serviceLogFile } from '../runtime/embedded-service';
import { openEmbeddedColony, type ServedEmbeddedColony } from '../runtime/embedded';

export interface DevOptions {
  port?: string;
  executor?: boolean;
  writeEnv?: string;
  concurrency?: string;
  /** Run as the background service (started by other commands; stops itself when idle). */
  service?: boolean;
  force?: boolean;
}

/**
 * What the env file holds: what the Go `colonies` CLI and other ColonyOS
 * tools need, plus `POLLINATOR_BLOB_DIR` so pollinator itself, pointed at
 * this colony through the file, finds its file contents (there is no S3 here).
 */
const SHOWN_VARIABLES = [
  'COLONIES_SERVER_HOST',
  'COLONIES_SERVER_PORT',
  'COLONIES_TLS',
  'COLONIES_SERVER_TLS',
  'COLONIES_COLONY_NAME',
  'COLONIES_PRVKEY',
  'COLONIES_COLONY_PRVKEY',
  'COLONIES_SERVER_PRVKEY',
  'POLLINATOR_BLOB_DIR',
];

function parsePort(text: string | undefined): number {
  const port = Number.parseInt(text ?? '0', 10);
  if (!/^\d+$/.test(text ?? '0') || port < 0 || port > 65535) throw usageError(`--port must be 0–65535, got "${text}"`);
  return port;
}

function parseConcurrency(text: string | undefined): number {
  if (text === undefined) return defaultConcurrency();
  const value = Number.parseInt(text, 10);
  if (!/^\d+$/.test(text) || value < 1 || value > 1024) throw usageError(`--concurrency must be a whole number 1–1024, got "${text}"`);
  return value;
}

/**
 * `pollinator dev [status|stop]`: without an action, the embedded default in
 * the foreground (the dev-server and, unless --no-executor, a local executor)
 * until Ctrl-C; `--service` is the same as the background service other
 * commands start. `status` and `stop` are in dev-control.ts.
 */
export async function run(context: CommandContext, action: string | undefined, options: DevOptions): Promise<number> {
  if (action === 'status' || action === 'stop') {
    const control = await import('./dev-control');
    return action === 'status' ? control.status(context) : control.stop(context, { force: options.force === true });
  }
  if (action !== undefined) throw usageError(`unknown action "${action}" (expected status or stop)`);
  const service = options.service === true;
  const port = parsePort(options.port);
  const concurrency = parseConcurrency(options.concurrency);
  const idleTimeoutMs = service ? idleTimeoutFromEnv(context.config.env) : undefined;
  const { output } = context;
  if (context.config.mode === 'colony') {
    output.warn(
      `COLONIES_SERVER_HOST is set (${context.config.env.COLONIES_SERVER_HOST}): other pollinator commands in this environment use that colony, not this embedded one.`,
    );
  }
  let colony: ServedEmbeddedColony;
  try {
    colony = await openEmbeddedColony(context, {
      serve: {
        executor: service || options.executor !== false,
        port,
        command: service ? 'dev --service' : 'dev',
        service,
        concurrency,
        ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
        ...(service ? { logFile: serviceLogFile(embeddedDir(context.config.env)) } : {}),
        onExecutorEvent: createExecutorEventRenderer(output, { verbosity: 'brief' }),
      },
    });
  } catch (error) {
    // Two commands started a service at once: the other one serves; this one has nothing to do.
    if (service && CliError.isInstance(error) && error.code === 'ALREADY_RUNNING') return CliExitCode.SUCCESS;
    throw error;
  }
  const envFile = await writeEnvFiles(context, colony, options.writeEnv);
  // Both serve the dashboard (advertised in server.json, where `pollinator ui` finds it); its link is in the service's 0600 log.
  printReady(context, colony, envFile, options.writeEnv, service, colony.dashboard.link);

  const stop = await untilStopped(context, colony, idleTimeoutMs ?? 0);
  const running = colony.runningExecutor?.running() ?? [];
  if (!output.isJson) {
    output.line('');
    output.line(stoppingText(stop, running.length));
  }
  // Withdrawn first: a command starting now starts a new service instead of connecting to this stopping one.
  withdrawAdvertisement(colony.dir);
  await colony.runningExecutor?.stop(stop === 'force' ? 'detach' : 'finish');
  await context.cleanup();
  if (output.isJson) output.json({ type: 'dev.stopped', reason: stop });
  else output.step('Stopped');
  return CliExitCode.SUCCESS;
}

type StopReason = 'signal' | 'force' | 'idle';

function stoppingText(stop: StopReason, running: number): string {
  if (stop === 'force') return running > 0 ? `Stopping now: ${running} running job(s) keep running; the next start of the embedded default re-attaches.` : 'Stopping.';
  const why = stop === 'idle' ? 'Idle: stopping.' : 'Stopping.';
  if (running === 0) return why;
  return `${why} Waiting for ${running === 1 ? 'the running job' : `${running} running jobs`} to finish (Ctrl-C again leaves ${running === 1 ? 'it' : 'them'} running; the next \`pollinator dev\` re-attaches).`;
}

async function writeEnvFiles(context: CommandContext, colony: ServedEmbeddedColony, writeEnv: string | undefined): Promise<string> {
  const env = shownEnv(colony);
  const envFile = join(colony.dir, 'colonies.env');
  const header = `Environment of the pollinator embedded default (\`pollinator dev\`, ${colony.url}): for the Go colonies CLI and other ColonyOS tools, and for pollinator itself.\nLoad it with: set -a; . ${envFile}; set +a`;
  await writeFile(envFile, formatEnvFile(env, header), { mode: 0o600 });
  if (writeEnv !== undefined) await writeFile(resolve(context.cwd, writeEnv), formatEnvFile(env, header), { mode: 0o600 });
  return envFile;
}

function shownEnv(colony: ServedEmbeddedColony): Record<string, string> {
  return Object.fromEntries(SHOWN_VARIABLES.filter((name) => colony.env[name] !== undefined).map((name) => [name, colony.env[name] ?? '']));
}

function printReady(context: CommandContext, colony: ServedEmbeddedColony, envFile: string, writeEnv: string | undefined, service: boolean, dashboardLink: string): void {
  const { output } = context;
  const env = shownEnv(colony);
  const concurrency = colony.advertisement.concurrency;
  if (output.isJson) {
    output.json({ type: 'dev.ready', url: colony.url, colonyName: colony.colonyName, dir: colony.dir, envFile, executor: colony.executor === 'this', concurrency, service, env, dashboardUrl: dashboardLink });
    return;
  }
  const c = output.colors;
  const executorText = colony.executor === 'this' ? ` with a local executor (${colony.runningExecutor?.name ?? 'dev-executor'}, up to ${concurrency} jobs side by side)` : '';
  output.step(`Embedded colony ${c.bold(colony.colonyName)} at ${c.bold(colony.url)}${executorText}`);
  output.line(`  state      ${tildify(colony.dir, context.env)}`);
  output.line(`  env file   ${tildify(envFile, context.env)}${writeEnv === undefined ? '' : ` and ${writeEnv}`}`);
  output.line(`  dashboard  ${dashboardLink}`);
  if (service) {
    const timeout = colony.advertisement.idleTimeoutMs ?? 0;
    output.line(`  service    pid ${process.pid}; ${timeout > 0 ? `stops itself after ${Math.round(timeout / 1000)} s idle` : 'never stops itself'} (\`pollinator dev stop\` stops it)`);
    return;
  }
  output.line('');
  output.line('Other pollinator commands (run, ps, logs, …) use it automatically. For other ColonyOS tools:');
  output.result(Object.entries(env).map(([key, value]) => `export ${key}=${value}`).join('\n'));
  output.line('');
  output.line(c.dim('Ctrl-C stops it.'));
}

function withdrawAdvertisement(dir: string): void {
  if (readAdvertisement(dir)?.pid === process.pid) rmSync(join(dir, 'server.json'), { force: true });
}

/**
 * Waits for the reason to stop: Ctrl-C / SIGTERM (`pollinator dev stop`),
 * SIGUSR2 (`pollinator dev stop --force`: running jobs are left running), or
 * — the background service — `idleTimeoutMs` with no job waiting or running,
 * no pollinator command connected and no dashboard page open (a page keeps a
 * live stream open while it shows runs or a log).
 */
async function untilStopped(context: CommandContext, colony: ServedEmbeddedColony, idleTimeoutMs: number): Promise<StopReason> {
  const dir = colony.dir;
  const advertisement = colony.advertisement;
  const busy = async (): Promise<boolean> => {
    if ((colony.runningExecutor?.running().length ?? 0) > 0 || liveClients(dir).length > 0 || colony.dashboard.openRequests() > 0) return true;
    const statistics = await colony.client.getColonyStatistics();
    return statistics.waitingprocesses > 0 || statistics.runningprocesses > 0;
  };
  return new Promise<StopReason>((resolvePromise) => {
    const stopWatching = watchIdle({
      timeoutMs: idleTimeoutMs,
      busy,
      onChange: (idleStopAt) => {
        advertisement.idleStopAt = idleStopAt?.toISOString() ?? null;
        if (readAdvertisement(dir)?.pid === process.pid) writeAdvertisement(dir, advertisement);
      },
      onIdle: async () => {
        withdrawAdvertisement(dir);
        // A command that found the advertisement before it was withdrawn holds its lease already: it is seen here.
        if (await busy().catch(() => true)) {
          writeAdvertisement(dir, advertisement);
          return false;
        }
        finish('idle');
        return true;
      },
    });
    const onForce = (): void => finish('force');
    const onAbort = (): void => finish('signal');
    function finish(reason: StopReason): void {
      stopWatching();
      process.off('SIGUSR2', onForce);
      context.signal.removeEventListener('abort', onAbort);
      resolvePromise(reason);
    }
    process.on('SIGUSR2', onForce);
    if (context.signal.aborted) finish('signal');
    else context.signal.addEventListener('abort', onAbort, { once: true });
  });
}
