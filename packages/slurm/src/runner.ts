/**
 * How the backend reaches Slurm: every Slurm command (`sbatch`, `squeue`,
 * `scontrol`, `sacct`, `scancel`), every container-runtime command
 * (`singularity pull`) and every file it touches on the cluster's shared
 * filesystem (batch script, output file, exit-code file) goes through a
 * `CommandRunner`. `createLocalRunner()` runs them on this machine (the executor
 * runs on the login node); a runner that does the same over SSH can be added
 * later without touching the backend.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';

export interface CommandResult {
  /** Exit status; 128 + n when the command was killed by signal n. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin (then stdin is closed). */
  input?: string;
  /**
   * The command's complete environment. The local runner uses exactly this
   * (nothing of the executor's own environment is inherited) when given.
   */
  env?: Record<string, string>;
  /** Called with stdout and stderr text as it arrives (e.g. pull progress). */
  onOutput?: (text: string) => void;
  /** Kill the command (SIGTERM, then SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CommandRunner {
  /** Runs `command` with `args` (no shell involved) and resolves when it exits; never rejects for a non-zero exit. */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Up to `maxBytes` bytes of `path` from `offset`; `undefined` when the file does not exist. */
  readFile(path: string, offset: number, maxBytes: number): Promise<Buffer | undefined>;
  /** Writes (replaces) a file, creating it. */
  writeFile(path: string, data: string | Buffer, mode?: number): Promise<void>;
  /** Appends to a file, creating it. */
  appendFile(path: string, data: string | Buffer): Promise<void>;
  /** Whether `path` exists. */
  exists(path: string): Promise<boolean>;
  /** `mkdir -p`. */
  mkdir(path: string): Promise<void>;
  /** Atomic rename within one filesystem. */
  rename(from: string, to: string): Promise<void>;
  /** `rm -rf`. */
  remove(path: string): Promise<void>;
}

/** Runs `command` as a child process (no shell) and collects its output; see `CommandRunner.run`. */
function runLocalCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: options.signal,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => {
          child.kill('SIGKILL');
          // A grandchild (a pull's mksquashfs, a shell's sleep) may still hold the pipes: stop waiting for them.
          child.stdout.destroy();
          child.stderr.destroy();
        }, 2000).unref();
      }, options.timeoutMs);
    }
    child.stdout.on('data', (data: Buffer) => {
      stdout.push(data);
      options.onOutput?.(data.toString('utf8'));
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr.push(data);
      options.onOutput?.(data.toString('utf8'));
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      if (error.code === 'ENOENT') {
        resolve({ exitCode: 127, stdout: '', stderr: `${command}: command not found` });
      } else {
        reject(error);
      }
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        exitCode: code ?? (signal ? 128 + signalNumber(signal) : 1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs commands as child processes of the executor and files through `node:fs`. */
export function createLocalRunner(): CommandRunner {
  return {
    run: runLocalCommand,
    async readFile(path, offset, maxBytes) {
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        const buffer = Buffer.alloc(maxBytes);
        const { bytesRead } = await handle.read(buffer, 0, maxBytes, offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async writeFile(path, data, mode) {
      await writeFile(path, data, mode === undefined ? undefined : { mode });
    },
    async appendFile(path, data) {
      await appendFile(path, data);
    },
    async exists(path) {
      try {
        await stat(path);
        return true;
      } catch {
        return false;
      }
    },
    async mkdir(path) {
      await mkdir(path, { recursive: true });
    },
    async rename(from, to) {
      await rename(from, to);
    },
    async remove(path) {
      await rm(path, { recursive: true, force: true });
    },
  };
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
function signalNumber(signal: string): number {
  return SIGNALS[signal] ?? 0;
}
