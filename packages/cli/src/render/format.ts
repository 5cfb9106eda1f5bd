/** Small, dependency-free formatters shared by the renderers. */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** `1234567` → `1.2 MB` (SI units, like `du --si` and most transfer tools). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** Bytes per second → `5.1 MB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Milliseconds → `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(milliseconds: number): string {
  if (!Number.isFinite(milliseconds) || milliseconds < 0) return '?';
  if (milliseconds < 1000) return `${Math.round(milliseconds)}ms`;
  const seconds = milliseconds / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const wholeSeconds = Math.round(seconds);
  const minutes = Math.floor(wholeSeconds / 60);
  if (minutes < 60) return `${minutes}m${String(wholeSeconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** `n` and a noun, pluralised with `s`: `1 file`, `3 files`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** A text progress bar `███████░░░` of `width` cells. */
export function bar(fraction: number, width: number): string {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(clamped * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

// eslint-disable-next-line no-control-regex -- matching terminal escapes is the point
const ANSI_PATTERN = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** Removes ANSI escape sequences (for width computations and plain output). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}

/** Cuts a (possibly coloured) line to `columns` visible characters. */
export function truncateLine(text: string, columns: number): string {
  if (columns <= 0) return text;
  if (stripAnsi(text).length <= columns) return text;
  let visible = 0;
  let result = '';
  for (let index = 0; index < text.length; ) {
    if (text[index] === '\u001b') {
      ANSI_PATTERN.lastIndex = index;
      const match = ANSI_PATTERN.exec(text);
      if (match !== null && match.index === index) {
        result += match[0];
        index += match[0].length;
        continue;
      }
    }
    if (visible >= columns - 1) break;
    result += text[index];
    visible += 1;
    index += 1;
  }
  return `${result}…\u001b[0m`;
}

/** Left-aligned columns for `ps`-style tables. */
export function table(rows: string[][], header?: string[]): string {
  const all = header === undefined ? rows : [header, ...rows];
  const widths: number[] = [];
  for (const row of all) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, stripAnsi(cell).length);
    });
  }
  return all
    .map((row) =>
      row
        .map((cell, column) =>
          column === row.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - stripAnsi(cell).length),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** JSON.stringify that turns bigint into strings (event payloads carry int64 timestamps). */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), indent);
}
