/**
 * Timing whole processes, as users run them: the shared helper of the
 * whole-process benchmarks (start-up, small-file sync, large downloads).
 *
 * Each run is wrapped in GNU `/usr/bin/time`, which writes its figures to a
 * file of its own (`-o`), so they never mix with the command's stdout or
 * stderr. Wall time is measured here, from spawning the wrapper to its exit,
 * with a millisecond clock: `time`'s own `%e` has only centisecond
 * resolution, too coarse for start-ups of 50 ms. It includes exec-ing the
 * small `time` wrapper (well under a millisecond). Peak RSS (`%M`, KiB) and
 * user/system CPU (`%U`/`%S`, centiseconds) come from `time`, i.e. from
 * the kernel's rusage of the waited-for command.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GNU_TIME = '/usr/bin/time';

export interface TimeProcessOptions {
  command: string;
  args?: readonly string[];
  /** The whole environment of the command (not merged with this process's). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's stdin, which is then closed; without it stdin is empty. */
  stdin?: string | Uint8Array;
  /** Kills the command (SIGKILL) and rejects after this long. Default 10 minutes. */
  timeoutMs?: number;
}

export interface ProcessTiming {
  /** Wall-clock seconds from spawn to exit, measured with a millisecond clock. */
  seconds: number;
  /** Peak resident set size of the command, KiB (`time`'s %M). */
  peakRssKiB: number;
  /** User-mode CPU seconds of the command (and its waited-for children), centisecond resolution. */
  userSeconds: number;
  /** Kernel-mode CPU seconds, centisecond resolution. */
  systemSeconds: number;
  /** The command's exit code; 128 + n when it was ended by signal n. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs one whole process under `/usr/bin/time` and returns its wall time, peak RSS and CPU. */
export async function timeProcess(options: TimeProcessOptions): Promise<ProcessTiming> {
  if (!existsSync(GNU_TIME)) {
    throw new Error(`${GNU_TIME} (GNU time) is needed to measure peak memory: install it (Debian/Ubuntu: apt-get install time)`);
  }
  const directory = await mkdtemp(join(tmpdir(), 'pollinator-whole-process-'));
  const figuresFile = join(directory, 'time.txt');
  try {
    const args = ['-f', '%e %M %U %S', '-o', figuresFile, '--', options.command, ...(options.args ?? [])];
    const start = performance.now();
    const child = spawn(GNU_TIME, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => {
      // The command may exit without reading its stdin: not an error of the measurement.
    });
    child.stdin.end(options.stdin ?? '');
    const timeoutMs = options.timeoutMs ?? 600_000;
    const { seconds, code, signal } = await new Promise<{ seconds: number; code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${options.command} ${(options.args ?? []).join(' ')} did not exit within ${timeoutMs} ms`));
        }, timeoutMs);
        child.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        // 'exit' gives the wall time; 'close' (stdio drained) gives the complete output.
        let exitSeconds = Number.NaN;
        child.once('exit', () => {
          exitSeconds = (performance.now() - start) / 1000;
        });
        child.once('close', (exitCode, exitSignal) => {
          clearTimeout(timer);
          resolve({ seconds: exitSeconds, code: exitCode, signal: exitSignal });
        });
      },
    );
    const figures = parseTimeFigures(await readFile(figuresFile, 'utf8'), options.command);
    return {
      seconds,
      ...figures,
      exitCode: code ?? 128 + signalNumber(signal),
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** `time -o` writes "Command exited with non-zero status N" (or "terminated by signal") before the figures line. */
function parseTimeFigures(text: string, command: string): Pick<ProcessTiming, 'peakRssKiB' | 'userSeconds' | 'systemSeconds'> {
  const lines = text.trim().split('\n');
  const fields = (lines[lines.length - 1] ?? '').trim().split(/\s+/).map(Number);
  if (fields.length !== 4 || fields.some((value) => !Number.isFinite(value))) {
    throw new Error(`could not read ${GNU_TIME}'s figures for ${command}: ${JSON.stringify(text)}`);
  }
  const [, peakRssKiB, userSeconds, systemSeconds] = fields as [number, number, number, number];
  return { peakRssKiB, userSeconds, systemSeconds };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return (signal && numbers[signal]) ?? 0;
}

/**
 * Runs `first` and `second` alternately `rounds` times, flipping which one
 * goes first every round (A B, B A, A B, …), so both see the same machine
 * load and neither always profits from a warmed page cache.
 */
export async function interleavedPairs<A, B>(
  rounds: number,
  first: () => Promise<A>,
  second: () => Promise<B>,
): Promise<{ first: A[]; second: B[] }> {
  const result = { first: [] as A[], second: [] as B[] };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      result.first.push(await first());
      result.second.push(await second());
    } else {
      result.second.push(await second());
      result.first.push(await first());
    }
  }
  return result;
}

/**
 * The same for any number of named measurements: each round runs every one
 * once, in an order rotated by one each round.
 */
export async function interleavedRounds<T>(
  rounds: number,
  measurements: Record<string, () => Promise<T>>,
): Promise<Record<string, T[]>> {
  const names = Object.keys(measurements);
  const result: Record<string, T[]> = Object.fromEntries(names.map((name) => [name, [] as T[]]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      result[name]!.push(await measurements[name]!());
    }
  }
  return result;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The nearest-rank p-th percentile of `values` (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** `ours / anchor` as "0.85×"; below 1 means ours is faster (or smaller). */
export function formatRatio(ours: number, anchor: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(anchor) || anchor <= 0) return 'n/a';
  return `${(ours / anchor).toFixed(2)}×`;
}

/** The `pollinator` command as users run it: its bin script, which runs the built `dist`. */
export function pollinatorBin(): string {
  return fileURLToPath(new URL('../../packages/cli/bin/pollinator.js', import.meta.url));
}

/** `timeProcess` options running `pollinator <args>` with this Node (`process.execPath`). */
export function pollinatorCommand(args: readonly string[], options: Omit<TimeProcessOptions, 'command' | 'args'> = {}): TimeProcessOptions {
  return { ...options, command: process.execPath, args: [pollinatorBin(), ...args] };
}
