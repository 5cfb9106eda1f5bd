/**
 * The log of one run as lines, appended to as chunks arrive. Chunks split lines
 * anywhere: a partial last line stays open until its newline comes. Holds
 * 100,000+ lines as plain strings; the view renders only the visible window.
 */
export class LogLines {
  readonly lines: string[] = [];
  #open = '';

  /** Appends a chunk of log text; returns how many complete lines it added. */
  append(text: string): number {
    const parts = (this.#open + text).split('\n');
    this.#open = parts.pop() ?? '';
    for (const part of parts) this.lines.push(part.endsWith('\r') ? part.slice(0, -1) : part);
    return parts.length;
  }

  /** Lines, including the unfinished last one. */
  get count(): number {
    return this.lines.length + (this.#open === '' ? 0 : 1);
  }

  line(index: number): string {
    return index < this.lines.length ? (this.lines[index] ?? '') : this.#open;
  }

  /** Indexes of the lines that contain `query` (case-insensitive). */
  search(query: string): number[] {
    if (query === '') return [];
    const needle = query.toLowerCase();
    const found: number[] = [];
    for (let index = 0; index < this.count; index += 1) if (this.line(index).toLowerCase().includes(needle)) found.push(index);
    return found;
  }

  text(): string {
    return this.lines.map((line) => `${line}\n`).join('') + this.#open;
  }
}

/** The window of lines to render for a scroll position (with some lines of margin). */
export function visibleWindow(options: { scrollTop: number; viewportHeight: number; lineHeight: number; count: number; margin?: number }): { first: number; last: number } {
  const margin = options.margin ?? 20;
  const first = Math.max(0, Math.floor(options.scrollTop / options.lineHeight) - margin);
  const last = Math.min(options.count, Math.ceil((options.scrollTop + options.viewportHeight) / options.lineHeight) + margin);
  return { first, last };
}
