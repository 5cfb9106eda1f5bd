/**
 * The job supervisor: a small program that the local backend starts as a
 * detached `node` process (supervisor/main.ts). It outlives the executor (so
 * a restarted executor can re-attach), and it is the one place that knows
 * how a job ended:
 *
 * - starts the job's argv in a new session (its own process group), with
 *   stdout and stderr appended to `output.log`, and writes `job.pgid`;
 * - enforces the wall-time limit (TERM to the group, KILL after the grace),
 *   in chunks: Node fires a timer of more than 2^31 - 1 ms (about 24.8 days)
 *   at once, which would end a job with a long walltime immediately;
 * - on SIGTERM/SIGINT (cancel) stops the job the same way;
 * - for containers, also runs the runtime's stop/kill command (killing the
 *   `docker run` client does not stop a container);
 * - when the job's leader exits, kills whatever is left in its process group
 *   and every process carrying the job's marker (POLLINATOR_JOB_MARKER: the
 *   children that left the group with setsid or a double fork), waits
 *   (bounded) until they are gone, and writes `result.json`
 *   atomically: `{ exitCode, signal, outcome, error, finishedAt }`.
 *
 * It imports only Node built-ins, `@pollinator/backend` and this package's
 * own modules, so it runs the same from the TypeScript sources (tests) and
 * from `dist/`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setChunkedTimeout, stopSignalDelayMs } from '@pollinator/backend';
import { JOB_FILES, type SupervisorConfig, type SupervisorResult } from '../job-files';
import { memoryCgroupDirectory, oomKilledBetween, readMemoryCgroup, type MemoryCgroupReading } from '../memory-cgroup';
import { groupAlive, markedProcesses, signalGroup, signalJobProcesses, signalMarked } from '../processes';

/** How long the supervisor keeps killing what is left of a job after its leader exited. */
const SETTLE_MS = 5000;

type Outcome = SupervisorResult['outcome'];

function errorText(error: unknown): string {
  return String(error instanceof Error && error.message ? error.message : error);
}

/** Runs the job described by `configPath` until it ends, writes `result.json` and exits the process. */
export function superviseJob(configPath: string): void {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as SupervisorConfig;
  const dir = dirname(configPath);
  const outputPath = join(dir, JOB_FILES.output);
  let outcome: Outcome = null;
  let child: ChildProcess | null = null;
  let finished = false;
  // Helpers (container stop / kill) still running: the result waits for them,
  // since killing the container client does not stop a container.
  const helpers: Promise<void>[] = [];

  const finish = (result: SupervisorResult): never => {
    writeResult(dir, result);
    process.exit(0);
  };

  const runQuiet = (argv: string[] | null) => {
    if (!argv || argv.length === 0) return;
    helpers.push(runHelper(argv, config.env));
  };

  const stop = (reason: NonNullable<Outcome>) => {
    if (outcome || finished) return;
    outcome = reason;
    const pid = child?.pid;
    if (pid === undefined) finish({ exitCode: null, signal: null, outcome, error: null });
    runQuiet(config.stopArgv);
    killJob(config, pid!, 'SIGTERM');
    setTimeout(() => {
      runQuiet(config.killArgv);
      killJob(config, pid!, 'SIGKILL');
    }, config.graceMs).unref();
  };

  process.on('SIGTERM', () => stop('cancelled'));
  process.on('SIGINT', () => stop('cancelled'));
  process.on('SIGHUP', () => undefined);

  const job = startJob(config, outputPath);
  child = job;

  job.on('error', (error) => {
    if (finished) return;
    finished = true;
    try {
      appendFileSync(outputPath, `${config.argv[0]}: ${error.message}\n`);
    } catch {
      // the exit is recorded below all the same
    }
    finish({ exitCode: 127, signal: null, outcome, error: error.message });
  });

  if (job.pid !== undefined) writeFileSync(join(dir, JOB_FILES.pgid), String(job.pid));
  // The job's memory cgroup as it starts: a SIGKILL with more OOM kills in it at the end was the OOM killer.
  const cgroup = job.pid === undefined ? undefined : memoryCgroupDirectory(job.pid);
  const memoryAtStart = cgroup ? readMemoryCgroup(cgroup) : undefined;

  if (config.walltimeSeconds > 0) {
    // Chunked: a single timer past 2^31 - 1 ms would fire at once.
    setChunkedTimeout(() => stop('timeLimit'), config.startedAt + config.walltimeSeconds * 1000 - Date.now(), { unref: true });
  }
  const stopDelay = stopSignalDelayMs(config.stopSignal, config.walltimeSeconds);
  if (stopDelay !== undefined && job.pid !== undefined) {
    // The stop signal to every process of the job (its shells ignore it); the hard stop at the walltime stays.
    setChunkedTimeout(() => sendStopSignal(config, job.pid!, runQuiet), config.startedAt + stopDelay - Date.now(), { unref: true });
  }

  // Keep the event loop alive while the job runs.
  const keepAlive = setInterval(() => undefined, 60_000);

  job.on('exit', (code, signal) => {
    if (finished) return;
    finished = true;
    void settle(config, job.pid!, helpers).then(() => {
      clearInterval(keepAlive);
      const oom = outcome === null ? oomOf(code, signal, memoryAtStart) : undefined;
      finish({ exitCode: code, signal, outcome, error: null, ...(oom ? { oom } : {}) });
    });
  });
}

/** The OOM killer's mark on a job that was killed (SIGKILL, or a shell's 137 for its killed child). */
function oomOf(code: number | null, signal: NodeJS.Signals | null, atStart: MemoryCgroupReading | undefined): SupervisorResult['oom'] {
  if (!atStart || (signal !== 'SIGKILL' && code !== 137)) return undefined;
  const atEnd = readMemoryCgroup(atStart.directory);
  if (!atEnd || !oomKilledBetween(atStart, atEnd)) return undefined;
  return { ...(atEnd.limitBytes === undefined ? {} : { limitBytes: atEnd.limitBytes }), ...(atEnd.peakBytes === undefined ? {} : { peakBytes: atEnd.peakBytes }) };
}

/** The stop signal, unless the job has already been stopped or ended. */
function sendStopSignal(config: SupervisorConfig, pgid: number, runQuiet: (argv: string[] | null) => void): void {
  const stopSignal = config.stopSignal!;
  // A container: the runtime delivers it (the client's own signal proxy would deliver it a second time).
  if (stopSignal.argv) runQuiet(stopSignal.argv);
  else signalJobProcesses(pgid, config.marker, stopSignal.signal, stopSignal.spareLeader ? pgid : undefined);
}

/** Signals the job's process group and every process carrying its marker. */
function killJob(config: SupervisorConfig, pgid: number, signal: NodeJS.Signals): void {
  signalGroup(pgid, signal);
  if (config.marker) signalMarked(config.marker, signal);
}

/**
 * Once the job's leader exited: kills what is left of the job until it is
 * gone (at most SETTLE_MS), then waits for the container stop / kill helpers
 * (at most the grace plus 10 s).
 */
async function settle(config: SupervisorConfig, pgid: number, helpers: Promise<void>[]): Promise<void> {
  const waitUntil = Date.now() + SETTLE_MS;
  killJob(config, pgid, 'SIGKILL');
  const left = () => groupAlive(pgid) || (config.marker ? markedProcesses(config.marker).length > 0 : false);
  while (left() && Date.now() < waitUntil) {
    killJob(config, pgid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const bounded = new Promise<void>((resolve) => setTimeout(resolve, config.graceMs + 10_000).unref());
  await Promise.race([Promise.all(helpers), bounded]);
}

/** Writes `result.json` atomically (a reader never sees half of it). */
function writeResult(dir: string, result: SupervisorResult): void {
  const resultPath = join(dir, JOB_FILES.result);
  const temporary = `${resultPath}.tmp`;
  writeFileSync(temporary, JSON.stringify({ ...result, finishedAt: new Date().toISOString() }));
  renameSync(temporary, resultPath);
}

/**
 * Starts the job in its own process group with its output appended to the
 * log. When it cannot even be spawned, records that (exit code 127) and exits.
 */
function startJob(config: SupervisorConfig, outputPath: string): ChildProcess {
  const out = openSync(outputPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(config.argv[0]!, config.argv.slice(1), {
      cwd: config.cwd,
      env: config.env,
      stdio: ['ignore', out, out],
      detached: true,
    });
  } catch (error) {
    writeSync(out, `${errorText(error)}\n`);
    writeResult(dirname(outputPath), { exitCode: 127, signal: null, outcome: null, error: errorText(error) });
    process.exit(0);
  }
  closeSync(out);
  return child;
}

/** Runs a helper command (container stop / kill), ignoring how it ends. */
function runHelper(argv: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve) => {
    try {
      const helper = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', env });
      helper.on('error', () => resolve());
      helper.on('exit', () => resolve());
    } catch {
      resolve();
    }
  });
}
