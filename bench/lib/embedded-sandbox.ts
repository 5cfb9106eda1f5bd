/**
 * The embedded default as a new user meets it, for the whole-process
 * benchmarks: the built `pollinator` (packages/cli/bin/pollinator.js, which
 * runs `dist`) with nothing configured, in a temporary HOME, XDG_* and
 * POLLINATOR_DATA_DIR (the variables packages/cli/test/cli-harness.ts
 * isolates), so the first command starts the embedded default's background
 * service of this sandbox and no other colony is reached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pollinatorBin, pollinatorCommand, timeProcess, type ProcessTiming } from './whole-process';

/** Variables that would point the CLI at a real colony or change its output. */
const SCRUBBED_PREFIXES = ['COLONIES_', 'AWS_S3_', 'COLONYOS_', 'POLLINATOR_', 'FORCE_COLOR', 'NO_COLOR', 'CI'];

/** A `pollinator` process left running (`ui`, `logs --follow`), its stdout read line by line. */
export interface BackgroundPollinator {
  child: ChildProcess;
  /** Calls `listener` with each stdout line and the wall-clock time (`Date.now()`) it arrived here. */
  onLine(listener: (line: string, arrivedAt: number) => void): void;
  /** The first stdout line (seen from now on) matching `pattern`; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface EmbeddedSandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `pollinator <args>` to its end; throws with its output when it exits non-zero. */
  pollinator(args: readonly string[], cwd?: string): Promise<ProcessTiming>;
  /** Starts `pollinator <args>` and leaves it running. */
  start(args: readonly string[], cwd?: string): BackgroundPollinator;
  /** Stops what it started: the background processes, the embedded service (`pollinator dev stop`), then removes the sandbox. */
  close(): Promise<void>;
}

export function createEmbeddedSandbox(): EmbeddedSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'pollinator-bench-embedded-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (SCRUBBED_PREFIXES.some((prefix) => key === prefix || key.startsWith(prefix))) continue;
    if (key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  Object.assign(env, {
    HOME: join(dir, 'home'),
    XDG_DATA_HOME: join(dir, 'home', '.local', 'share'),
    XDG_CONFIG_HOME: join(dir, 'home', '.config'),
    POLLINATOR_DATA_DIR: join(dir, 'data'),
    // A safety net: the service stops on its own if this benchmark dies before `dev stop`.
    POLLINATOR_DEV_IDLE_TIMEOUT: '120s',
  });
  const started: BackgroundPollinator[] = [];

  const pollinator = async (args: readonly string[], cwd = dir): Promise<ProcessTiming> => {
    const result = await timeProcess(pollinatorCommand(args, { env, cwd, timeoutMs: 120_000 }));
    if (result.exitCode !== 0) {
      throw new Error(`pollinator ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}\n${result.stdout.slice(-2000)}`);
    }
    return result;
  };

  return {
    dir,
    env,
    pollinator,
    start(args, cwd = dir) {
      const background = startBackground(args, { env, cwd });
      started.push(background);
      return background;
    },
    async close() {
      await Promise.allSettled(started.map((background) => background.stop()));
      try {
        await pollinator(['dev', 'stop', '--force']);
      } catch (error) {
        console.error(`pollinator dev stop failed (${(error as Error).message.split('\n')[0]}); stopping the service by its pid`);
      } finally {
        killAdvertisedService(join(dir, 'data'));
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function startBackground(args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd: string }): BackgroundPollinator {
  const child = spawn(process.execPath, [pollinatorBin(), ...args], { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const listeners: Array<(line: string, arrivedAt: number) => void> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const arrivedAt = Date.now();
    for (const listener of listeners) listener(line, arrivedAt);
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const description = `pollinator ${args.join(' ')}`;
  return {
    child,
    onLine: (listener) => void listeners.push(listener),
    stderr: () => stderr,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        listeners.push((line) => {
          const match = pattern.exec(line);
          if (match) resolve(match);
        });
        void exited.then(() => reject(new Error(`${description} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${stderr}`)));
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * If `dev stop` could not stop it: the pid the service advertises in its data
 * directory gets SIGKILL, if that pid is still this sandbox's service (`dev
 * --service` in its command line: a stale advertisement's pid may be reused).
 */
function killAdvertisedService(dataDir: string): void {
  try {
    const { pid } = JSON.parse(readFileSync(join(dataDir, 'embedded', 'server.json'), 'utf8')) as { pid: number };
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (pid !== process.pid && commandLine.includes('--service') && commandLine.includes('dev')) process.kill(pid, 'SIGKILL');
  } catch {
    // no advertisement (`dev stop` removes it) or the process is gone
  }
}
