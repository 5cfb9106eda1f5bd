// Structured logs: one JSON object per line on stderr, quiet by default.

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Whether messages at `level` are written (lets callers skip building them). */
  enabled?(level: Exclude<LogLevel, 'silent'>): boolean;
}

const ORDER: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** A logger writing JSON lines to `write` (stderr by default) at or above `level`. */
export function createLogger(
  level: LogLevel = 'silent',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = ORDER[level];
  const log =
    (at: Exclude<LogLevel, 'silent'>) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      if (ORDER[at] > threshold) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level: at, component: 'dev-server', message, ...fields })}\n`);
    };
  return {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    enabled: (level) => ORDER[level] <= threshold,
  };
}
