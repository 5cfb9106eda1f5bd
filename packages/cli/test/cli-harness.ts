import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DevServer } from '@pollinator/dev-server';

/**
 * Runs the real `pollinator` binary in a child process, as a user would:
 * from TypeScript source (`node --conditions=@pollinator/source --import tsx
 * src/main.ts`), or the built `bin/pollinator.js` with `POLLINATOR_TEST_BIN=built`.
 */
export const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(cliRoot, '..', '..');
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export function cliCommand(): { command: string; args: string[] } {
  if (process.env.POLLINATOR_TEST_BIN === 'built') {
    return { command: process.execPath, args: [join(cliRoot, 'bin', 'pollinator.js')] };
  }
  return {
    command: process.execPath,
    args: ['--conditions=@pollinator/source', '--import', tsxLoader, join(cliRoot, 'src', 'main.ts')],
  };
}

/** A shell command line that starts the CLI (for `script -c`). */
export function cliShellCommand(): string {
  const { command, args } = cliCommand();
  return [command, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as NDJSON (throws on a line that is not JSON). */
  events(): Array<Record<string, unknown>>;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  input?: string;
}

/** A temporary home for one test: data, config and HOME directories, removed by `cleanup()`. */
export interface Sandbox {
  dir: string;
  env: Record<string, string | undefined>;
  cleanup(): void;
}

/** Environment variables that would point the CLI at a real colony or change its output. */
const SCRUBBED_PREFIXES = ['COLONIES_', 'AWS_S3_', 'COLONYOS_', 'POLLINATOR_', 'FORCE_COLOR', 'NO_COLOR', 'CI'];

export function createSandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'pollinator-cli-test-'));
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (SCRUBBED_PREFIXES.some((prefix) => key === prefix || key.startsWith(prefix))) continue;
    env[key] = value;
  }
  Object.assign(env, {
    HOME: join(dir, 'home'),
    XDG_DATA_HOME: join(dir, 'home', '.local', 'share'),
    XDG_CONFIG_HOME: join(dir, 'home', '.config'),
    POLLINATOR_DATA_DIR: join(dir, 'data'),
    // A safety net: a background service a test forgot still stops on its own (cleanup() stops it anyway).
    POLLINATOR_DEV_IDLE_TIMEOUT: '120s',
    NODE_OPTIONS: undefined,
  });
  return {
    dir,
    env,
    cleanup: () => {
      stopEmbeddedService(join(dir, 'data'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops whatever serves the embedded default of `dataDir` (the background
 * service a command started, a `pollinator dev`): SIGTERM, up to 15 s, then
 * SIGKILL. Synchronous, for `afterEach`: a leaked service would outlive the
 * test run (it is detached from the test's process group).
 */
export function stopEmbeddedService(dataDir: string): void {
  const pids = new Set<number>();
  for (const [file, read] of [
    ['server.lock', (text: string) => Number.parseInt(text.trim(), 10)],
    ['server.json', (text: string) => (JSON.parse(text) as { pid: number }).pid],
  ] as const) {
    try {
      const pid = read(readFileSync(join(dataDir, 'embedded', file), 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) pids.add(pid);
    } catch {
      // no such file: nothing serves
    }
  }
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (const pid of pids) {
    if (!alive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) Atomics.wait(sleeper, 0, 0, 50);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

/** The variables that have a value (an `undefined` in a test's env means "unset it"). */
export function definedOnly(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const { command, args: prefix } = cliCommand();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, [...prefix, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: definedOnly(options.env ?? process.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pollinator ${args.join(' ')} timed out after ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout,
        stderr,
        events: () =>
          stdout
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => {
              try {
                return JSON.parse(line) as Record<string, unknown>;
              } catch {
                throw new Error(`stdout line is not JSON: ${line}\nstderr: ${stderr}`);
              }
            }),
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/**
 * The environment of a user of `server`'s colony, as the original Pollinator's
 * COLONIES_* variables give it (a configured colony, not the embedded default),
 * on top of the sandbox's.
 */
export function colonyUserEnv(server: DevServer, sandbox: Sandbox, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env = server.env('user');
  return {
    ...sandbox.env,
    COLONIES_SERVER_HOST: env.COLONIES_SERVER_HOST,
    COLONIES_SERVER_PORT: env.COLONIES_SERVER_PORT,
    COLONIES_TLS: 'false',
    COLONIES_COLONY_NAME: env.COLONIES_COLONY_NAME,
    COLONIES_PRVKEY: env.COLONIES_PRVKEY,
    ...extra,
  };
}
