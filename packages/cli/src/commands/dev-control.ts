import type { CommandContext } from '../context';
import { embeddedDir, tildify } from '../config/paths';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { liveAdvertisement, lockHolder, pidAlive, type Advertisement } from '../runtime/embedded-advertisement';
import { connectTo } from '../runtime/embedded-connect';

interface Jobs {
  running: number;
  waiting: number;
}

async function jobsOf(advertisement: Advertisement, dir: string): Promise<Jobs> {
  const { client } = await connectTo(advertisement, dir);
  const statistics = await client.getColonyStatistics();
  return { running: statistics.runningprocesses, waiting: statistics.waitingprocesses };
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

function idleStopText(advertisement: Advertisement, now: number): string {
  if (advertisement.service !== true) return 'never (`pollinator dev` in the foreground: Ctrl-C stops it)';
  if ((advertisement.idleTimeoutMs ?? 0) <= 0) return 'never (POLLINATOR_DEV_IDLE_TIMEOUT=0)';
  if (advertisement.idleStopAt === null || advertisement.idleStopAt === undefined) {
    return `not while busy (then after ${duration(advertisement.idleTimeoutMs ?? 0)} idle)`;
  }
  const at = Date.parse(advertisement.idleStopAt);
  return `in ${duration(at - now)} (at ${new Date(at).toLocaleTimeString()}) unless something runs`;
}

/** `pollinator dev status`: whether the embedded default runs, where (and its dashboard's link), for how long, its jobs, when it stops itself. */
export async function status(context: CommandContext): Promise<number> {
  const { output } = context;
  const dir = embeddedDir(context.config.env);
  const advertisement = await liveAdvertisement(dir);
  if (advertisement === undefined) {
    const starting = lockHolder(dir);
    if (output.isJson) output.json({ type: 'dev.status', running: false, dir, ...(starting === undefined ? {} : { startingPid: starting }) });
    else output.result(starting === undefined ? 'The embedded default is not running (the next command that needs it starts it).' : `The embedded default is starting (pid ${starting}).`);
    return CliExitCode.SUCCESS;
  }
  const now = Date.now();
  const jobs = await jobsOf(advertisement, dir);
  const started = advertisement.startedAt === undefined ? undefined : Date.parse(advertisement.startedAt);
  if (output.isJson) {
    output.json({
      type: 'dev.status',
      running: true,
      service: advertisement.service === true,
      pid: advertisement.pid,
      url: advertisement.url,
      dir,
      startedAt: advertisement.startedAt ?? null,
      uptimeSeconds: started === undefined ? null : Math.round((now - started) / 1000),
      jobs,
      concurrency: advertisement.concurrency ?? null,
      jobRuntime: advertisement.jobRuntime ?? null,
      idleTimeoutSeconds: advertisement.idleTimeoutMs === undefined ? null : advertisement.idleTimeoutMs / 1000,
      idleStopAt: advertisement.idleStopAt ?? null,
      logFile: advertisement.logFile ?? null,
      dashboardUrl: advertisement.dashboard?.link ?? null,
    });
    return CliExitCode.SUCCESS;
  }
  const rows: Array<[string, string]> = [
    ['running', advertisement.service === true ? 'background service' : `\`pollinator ${advertisement.command}\` in the foreground`],
    ['pid', String(advertisement.pid)],
    ['url', advertisement.url],
    ['dashboard', advertisement.dashboard?.link ?? 'none (an older pollinator serves it)'],
    ['uptime', started === undefined ? 'unknown' : duration(now - started)],
    ['jobs', `${jobs.running} running, ${jobs.waiting} waiting${advertisement.concurrency === undefined ? '' : ` (up to ${advertisement.concurrency} side by side)`}`],
    ['idle stop', idleStopText(advertisement, now)],
    ['state', tildify(dir, context.env)],
  ];
  if (advertisement.logFile !== undefined) rows.push(['log', tildify(advertisement.logFile, context.env)]);
  output.result(rows.map(([key, value]) => `${key.padEnd(10)} ${value}`).join('\n'));
  return CliExitCode.SUCCESS;
}

/** Waits (polling) until `pid` has exited, at most `timeoutMs`; true when it has. */
async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * `pollinator dev stop [--force]`: stops the embedded default gracefully
 * (SIGTERM). With jobs running it refuses, unless --force (SIGUSR2): then the
 * jobs keep running in their backend and the next start re-attaches to them.
 */
export async function stop(context: CommandContext, options: { force: boolean }): Promise<number> {
  const { output } = context;
  const dir = embeddedDir(context.config.env);
  const advertisement = await liveAdvertisement(dir);
  if (advertisement === undefined) {
    if (output.isJson) output.json({ type: 'dev.stopped', wasRunning: false });
    else output.result('The embedded default is not running.');
    return CliExitCode.SUCCESS;
  }
  const jobs = await jobsOf(advertisement, dir);
  if (jobs.running > 0 && !options.force) {
    const one = jobs.running === 1;
    throw new CliError(`The embedded default has ${one ? 'a running job' : `${jobs.running} running jobs`}`, {
      why: `stopping it now would interrupt ${one ? 'it' : 'them'}`,
      fix: `Wait for ${one ? 'it' : 'them'} (\`pollinator ps --state running\`), or \`pollinator dev stop --force\`: ${one ? 'it keeps' : 'they keep'} running, and the next start of the embedded default re-attaches.`,
      exitCode: CliExitCode.USAGE,
      code: 'JOBS_RUNNING',
    });
  }
  process.kill(advertisement.pid, options.force ? 'SIGUSR2' : 'SIGTERM');
  // A graceful stop waits for a job that started meanwhile; give it time, then say what is still going on.
  if (!(await exited(advertisement.pid, options.force ? 30_000 : 120_000))) {
    throw new CliError(`The embedded default (pid ${advertisement.pid}) is still stopping`, {
      why: 'it waits for a running job to finish',
      fix: '`pollinator dev stop --force` stops it now (the job keeps running).',
      exitCode: CliExitCode.CONNECTION_LOST,
      code: 'STILL_STOPPING',
    });
  }
  if (output.isJson) output.json({ type: 'dev.stopped', wasRunning: true, pid: advertisement.pid, force: options.force });
  else output.step(`Stopped the embedded default (pid ${advertisement.pid})`);
  return CliExitCode.SUCCESS;
}
