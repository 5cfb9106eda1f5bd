/**
 * The job supervisor: a small plain-JavaScript program that the local backend
 * writes into the job's work directory and starts as a detached `node`
 * process. It outlives the executor (so a restarted executor can re-attach),
 * and it is the one place that knows how a job ended:
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
 * It is kept as source text (not a module of this package) so that it runs
 * the same from the TypeScript sources in tests and from `dist/` when
 * published, with nothing to resolve at run time.
 */
export const SUPERVISOR_SOURCE = String.raw`// Written by @pollinator/local. Runs one job; see supervisor-source.ts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const configPath = process.argv[2];
const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
const dir = path.dirname(configPath);
const resultPath = path.join(dir, 'result.json');
let outcome = null;
let child = null;
let finished = false;

function writeResult(result) {
  const tmp = resultPath + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify({ ...result, finishedAt: new Date().toISOString() }));
  fs.renameSync(tmp, resultPath);
}

// Whether any process of the group is still alive. Zombies do not count: on
// machines whose PID 1 reaps slowly, they would make the group look alive.
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync('/proc/' + entry + '/stat', 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

// Live processes whose environment carries the job's marker (see processes.ts).
function markedProcesses() {
  if (!config.marker) return [];
  const needle = Buffer.from('POLLINATOR_JOB_MARKER=' + config.marker + '\0');
  const found = [];
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ;
    let stat;
    try {
      environ = fs.readFileSync('/proc/' + entry + '/environ');
      stat = fs.readFileSync('/proc/' + entry + '/stat', 'utf8');
    } catch {
      continue;
    }
    const marked = environ.subarray(0, needle.length).equals(needle) || environ.indexOf(Buffer.concat([Buffer.from([0]), needle])) !== -1;
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (marked && state !== 'Z' && state !== 'X') found.push(Number(entry));
  }
  return found;
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
  for (const pid of markedProcesses()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

// setTimeout fires at once for delays over 2^31 - 1 ms: wait in chunks until the deadline.
const LONGEST_TIMER_MS = 2147483647;
function atTime(deadline, callback) {
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    callback();
    return;
  }
  setTimeout(() => atTime(deadline, callback), Math.min(remaining, LONGEST_TIMER_MS)).unref();
}

// Helpers (container stop / kill) still running: the result waits for them,
// since killing the container client does not stop a container.
const helpers = [];

function runQuiet(argv) {
  if (!argv || argv.length === 0) return;
  helpers.push(
    new Promise((resolve) => {
      try {
        const helper = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env: config.env });
        helper.on('error', () => resolve());
        helper.on('exit', () => resolve());
      } catch {
        resolve();
      }
    }),
  );
}

function stop(reason) {
  if (outcome || finished) return;
  outcome = reason;
  if (!child || child.pid === undefined) {
    writeResult({ exitCode: null, signal: null, outcome, error: null });
    process.exit(0);
  }
  runQuiet(config.stopArgv);
  killGroup(child.pid, 'SIGTERM');
  setTimeout(() => {
    runQuiet(config.killArgv);
    killGroup(child.pid, 'SIGKILL');
  }, config.graceMs).unref();
}

process.on('SIGTERM', () => stop('cancelled'));
process.on('SIGINT', () => stop('cancelled'));
process.on('SIGHUP', () => undefined);

const out = fs.openSync(path.join(dir, 'output.log'), 'a');
try {
  child = spawn(config.argv[0], config.argv.slice(1), {
    cwd: config.cwd,
    env: config.env,
    stdio: ['ignore', out, out],
    detached: true,
  });
} catch (error) {
  fs.writeSync(out, String(error && error.message ? error.message : error) + '\n');
  writeResult({ exitCode: 127, signal: null, outcome: null, error: String(error && error.message ? error.message : error) });
  process.exit(0);
}
fs.closeSync(out);

child.on('error', (error) => {
  if (finished) return;
  finished = true;
  try {
    fs.appendFileSync(path.join(dir, 'output.log'), config.argv[0] + ': ' + error.message + '\n');
  } catch {
    // ignore
  }
  writeResult({ exitCode: 127, signal: null, outcome, error: error.message });
  process.exit(0);
});

if (child.pid !== undefined) {
  fs.writeFileSync(path.join(dir, 'job.pgid'), String(child.pid));
}

if (config.walltimeSeconds > 0) {
  atTime(config.startedAt + config.walltimeSeconds * 1000, () => stop('timeLimit'));
}

// Keep the event loop alive while the job runs.
const keepAlive = setInterval(() => undefined, 60_000);

child.on('exit', (code, signal) => {
  if (finished) return;
  finished = true;
  const pgid = child.pid;
  killGroup(pgid, 'SIGKILL');
  const waitUntil = Date.now() + 5000;
  const settle = () => {
    if ((groupAlive(pgid) || markedProcesses().length > 0) && Date.now() < waitUntil) {
      killGroup(pgid, 'SIGKILL');
      setTimeout(settle, 20);
      return;
    }
    const helpersDone = Promise.all(helpers);
    const bounded = new Promise((resolve) => setTimeout(resolve, config.graceMs + 10000).unref());
    Promise.race([helpersDone, bounded]).then(() => {
      writeResult({ exitCode: code, signal, outcome, error: null });
      clearInterval(keepAlive);
      process.exit(0);
    });
  };
  settle();
});
`;
