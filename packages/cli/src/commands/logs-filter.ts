import type { LogEvent } from '@pollinator/core';
import { usageError } from '../errors';
import { logOrigin } from '../render/run-events-executor-message';

/** `pollinator logs` options that choose lines. */
export interface LogFilterOptions {
  /** Only the last this many lines of the log so far (then, with --follow, everything new). */
  tail?: number;
  /** Only entries written after this time, Unix nanoseconds. */
  sinceNs?: bigint;
  /** Only lines matching this pattern. */
  grep?: RegExp;
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--tail <n>`: a whole number ≥ 0. */
export function parseTail(text: string): number {
  if (!/^\d+$/.test(text)) throw usageError(`--tail needs a number of lines, got "${text}"`, 'Use e.g. --tail 50.');
  return Number.parseInt(text, 10);
}

/** `--since <time>`: RFC 3339 (`2026-12-03T09:00:00Z`) or a duration ago (`90s`, `10m`, `2h`, `1d`), as Unix ns. */
export function parseSince(text: string, now = Date.now()): bigint {
  const duration = DURATION.exec(text);
  const ms = duration !== null ? now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS] : /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw usageError(`--since needs a time or a duration, got "${text}"`, 'Use an RFC 3339 time (2026-12-03T09:00:00Z) or how long ago (30s, 10m, 2h, 1d).');
  }
  return BigInt(Math.trunc(ms)) * 1_000_000n;
}

/** `--grep <pattern>`: a JavaScript regular expression. */
export function parseGrep(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (error) {
    throw usageError(`--grep "${text}" is not a valid regular expression (${(error as Error).message})`, 'Quote the pattern for your shell, and escape special characters with \\.');
  }
}

/**
 * Chooses the lines of a log stream. Log entries are chunks of output (a
 * line may span two entries), so with --tail or --grep the job's output is
 * cut into lines and each passing line becomes its own `log` event (with the
 * timestamp of the entry that completed it). The executor's own messages are
 * whole entries and are kept whole. `--tail` holds the lines of the log so
 * far until `endBacklog()`, then lets everything through.
 */
export class LogFilter {
  private pending: LogEvent | undefined;
  private backlog: LogEvent[] | undefined;

  constructor(private readonly options: LogFilterOptions) {
    this.backlog = options.tail === undefined ? undefined : [];
  }

  /** Whether entries are cut into lines (only --since keeps them whole). */
  get byLine(): boolean {
    return this.options.tail !== undefined || this.options.grep !== undefined;
  }

  /** The events to print now for one entry of the log. */
  push(entry: LogEvent): LogEvent[] {
    if (this.options.sinceNs !== undefined && BigInt(entry.timestamp) <= this.options.sinceNs) return [];
    if (!this.byLine) return [entry];
    if (logOrigin(entry.message) === 'executor') return this.emit([entry]);
    const text = (this.pending?.message ?? '') + entry.message;
    const parts = text.split(/(?<=\n)/);
    const last = parts.at(-1) ?? '';
    const complete = last.endsWith('\n') ? parts : parts.slice(0, -1);
    this.pending = last.endsWith('\n') ? undefined : { ...entry, message: last };
    return this.emit(complete.map((message) => ({ ...entry, message })));
  }

  /**
   * The log so far has been read: --tail lets out the last lines of the job's
   * output (with the executor's messages among them, which are few and say why
   * a job failed), and everything after.
   */
  endBacklog(): LogEvent[] {
    const backlog = this.backlog ?? [];
    this.backlog = undefined;
    return lastJobLines(backlog, this.options.tail ?? 0);
  }

  /** The log ended: a last line without a newline counts too. */
  flush(): LogEvent[] {
    const pending = this.pending;
    this.pending = undefined;
    return [...(pending === undefined ? [] : this.emit([pending])), ...this.endBacklog()];
  }

  private emit(lines: LogEvent[]): LogEvent[] {
    const grep = this.options.grep;
    const passing = grep === undefined ? lines : lines.filter((line) => grep.test(line.message.replace(/\n$/, '')));
    if (this.backlog === undefined) return passing;
    this.backlog.push(...passing);
    // Only the last `tail` lines can still be printed: drop the older ones as we go.
    if (this.backlog.length > 2 * (this.options.tail ?? 0) + 1000) this.backlog = lastJobLines(this.backlog, this.options.tail ?? 0);
    return [];
  }
}

/** The last `count` lines of the job's output and every executor message, in their order. */
function lastJobLines(lines: LogEvent[], count: number): LogEvent[] {
  const jobLines = lines.filter((line) => logOrigin(line.message) === 'job');
  const kept = new Set(jobLines.slice(Math.max(0, jobLines.length - count)));
  return lines.filter((line) => kept.has(line) || logOrigin(line.message) === 'executor');
}
