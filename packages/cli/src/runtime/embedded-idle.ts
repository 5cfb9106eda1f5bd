import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';

/** The background service stops itself after this long with nothing to do, unless `POLLINATOR_DEV_IDLE_TIMEOUT` says otherwise. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `POLLINATOR_DEV_IDLE_TIMEOUT`: a number of seconds, or a number with `ms`,
 * `s`, `m` or `h` (`90`, `30s`, `10m`); `0` never stops. Unset or empty: the default.
 */
export function idleTimeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const text = env.POLLINATOR_DEV_IDLE_TIMEOUT?.trim();
  if (text === undefined || text === '') return DEFAULT_IDLE_TIMEOUT_MS;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text);
  if (match === null) {
    throw new CliError(`POLLINATOR_DEV_IDLE_TIMEOUT must be a duration, got "${text}"`, {
      fix: 'Use seconds or a number with ms, s, m or h (e.g. 600, 30s, 10m); 0 never stops.',
      exitCode: CliExitCode.CONFIG,
      code: 'CONFIG',
    });
  }
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000));
}

export interface IdleWatchOptions {
  timeoutMs: number;
  /** Something is going on: jobs waiting or running, a pollinator command connected. */
  busy(): Promise<boolean>;
  /** When the service stops if nothing happens before (null: busy now). */
  onChange(idleStopAt: Date | null): void;
  /** Idle for `timeoutMs`: stop (resolves true), or false when something started meanwhile. */
  onIdle(): Promise<boolean>;
}

/**
 * Checks every few seconds (a tenth of the timeout, 0.2–5 s) whether anything
 * is going on; after `timeoutMs` of nothing, calls `onIdle`. Returns `stop()`.
 */
export function watchIdle(options: IdleWatchOptions): () => void {
  if (options.timeoutMs <= 0) return () => undefined;
  const interval = Math.min(5000, Math.max(200, Math.floor(options.timeoutMs / 10)));
  let lastBusy = Date.now();
  let reported: number | null | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async (): Promise<void> => {
    let isBusy = true;
    try {
      isBusy = await options.busy();
    } catch {
      // Cannot tell (the server is slow to answer): count it as busy rather than stop under someone.
    }
    const now = Date.now();
    if (isBusy) lastBusy = now;
    const stopAt = isBusy ? null : lastBusy + options.timeoutMs;
    if (stopAt !== reported) {
      reported = stopAt;
      options.onChange(stopAt === null ? null : new Date(stopAt));
    }
    if (stopAt !== null && now >= stopAt) {
      if (await options.onIdle()) return;
      lastBusy = Date.now();
    }
    if (!stopped) timer = setTimeout(() => void check(), interval);
  };
  timer = setTimeout(() => void check(), interval);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
