import { createColors, shouldUseColor, type Colors } from './colors';
import { toJson, truncateLine } from './format';
import { jsonEnvelope } from './output-json';

/**
 * How the CLI talks to the user.
 *
 * - `tty`: stderr is a terminal and `CI` is not set: live progress bars and
 *   spinners (on stderr), colours unless disabled.
 * - `plain`: a pipe, a file or CI: one line per step, no cursor movement, a
 *   progress line at most every few seconds.
 * - `json`: `--json`: stdout carries only NDJSON (one event or result object
 *   per line); human notes and the error paragraph go to stderr.
 *
 * Streams: the job's own output and command results go to stdout, everything
 * about pollinator itself (progress, notices, errors) goes to stderr, so
 * `pollinator run > out.txt` captures the job's log and nothing else.
 */
export type OutputMode = 'tty' | 'plain' | 'json';

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
  /** `false` with `--no-color`; `undefined` = decide from the environment. */
  color?: boolean;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export interface LiveItem {
  /** One or more lines to draw in the live region (without trailing newline). */
  render(frame: number, columns: number): string[];
}

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function spinnerFrame(frame: number): string {
  return SPINNER_FRAMES[frame % SPINNER_FRAMES.length] ?? '-';
}

export class Output {
  readonly mode: OutputMode;
  readonly verbose: boolean;
  /** Colours for stderr (where pollinator's own messages go). */
  readonly colors: Colors;
  /** Colours for stdout (results); off when stdout is piped. */
  readonly stdoutColors: Colors;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;

  private readonly items = new Set<LiveItem>();
  private drawnLines = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private cursorHidden = false;
  /** The terminal's cursor is after a partial line of job output: drawing the live region now would split it. */
  private stdoutMidLine = false;

  constructor(options: OutputOptions = {}) {
    this.env = options.env ?? process.env;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.verbose = options.verbose ?? false;
    const ci = isCi(this.env);
    const stderrTTY = this.stderr.isTTY === true;
    this.mode = options.json === true ? 'json' : stderrTTY && !ci && this.env.TERM !== 'dumb' ? 'tty' : 'plain';
    this.colors = createColors(
      options.json !== true && shouldUseColor({ flag: options.color, env: this.env, isTTY: stderrTTY }),
    );
    this.stdoutColors = createColors(
      options.json !== true && shouldUseColor({ flag: options.color, env: this.env, isTTY: this.stdout.isTTY === true }),
    );
  }

  get isJson(): boolean {
    return this.mode === 'json';
  }

  get isTTY(): boolean {
    return this.mode === 'tty';
  }

  get columns(): number {
    return this.stderr.columns ?? 80;
  }

  // ---- stdout ---------------------------------------------------------------

  /** A command's result for humans (not in `--json` mode: use `json()`). */
  result(text: string): void {
    this.writeStdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** One NDJSON line on stdout, with `schemaVersion` and `time` added (output-json.ts). */
  json(value: unknown): void {
    this.writeStdout(`${toJson(jsonEnvelope(value))}\n`);
  }

  /** Raw job output (log text), passed through as it came. */
  jobOutput(text: string): void {
    if (text === '') return;
    this.writeStdout(text);
  }

  // ---- stderr ---------------------------------------------------------------

  /** A step that happened: `✔ Uploaded …`. Suppressed in `--json` mode. */
  step(text: string): void {
    if (this.isJson) return;
    this.writeStderr(`${this.colors.green('✔')} ${text}\n`);
  }

  /** A neutral note: `• Using the embedded default …`. Suppressed in `--json` mode. */
  info(text: string): void {
    if (this.isJson) return;
    this.writeStderr(`${this.colors.dim('•')} ${text}\n`);
  }

  /** A line of text on stderr, as is. Suppressed in `--json` mode. */
  line(text = ''): void {
    if (this.isJson) return;
    this.writeStderr(`${text}\n`);
  }

  /** A warning: always shown (on stderr, also with `--json`). */
  warn(text: string): void {
    this.writeStderr(`${this.colors.yellow('!')} ${text}\n`);
  }

  /** Debug detail: only with `-v` (on stderr, also with `--json`). */
  debug(text: string): void {
    if (!this.verbose) return;
    this.writeStderr(`${this.colors.dim(`debug ${text}`)}\n`);
  }

  /** Writes to stderr as is (the error renderer uses it). */
  rawStderr(text: string): void {
    this.writeStderr(text);
  }

  // ---- live region (TTY only) ----------------------------------------------

  /** Adds a progress bar / spinner; drawn only in `tty` mode. */
  addLive(item: LiveItem): void {
    if (!this.isTTY) return;
    this.items.add(item);
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        this.frame += 1;
        this.redraw();
      }, 80);
      this.timer.unref();
    }
    if (!this.cursorHidden) {
      this.stderr.write('\u001b[?25l');
      this.cursorHidden = true;
    }
    this.redraw();
  }

  /** Removes a live item; `finalLine` (if any) is printed in its place, permanently. */
  removeLive(item: LiveItem, finalLine?: string): void {
    if (!this.items.delete(item)) {
      if (finalLine !== undefined) this.line(finalLine);
      return;
    }
    this.clearLive();
    if (finalLine !== undefined) this.stderr.write(`${finalLine}\n`);
    if (this.items.size === 0) this.stopLive();
    else this.drawLive();
  }

  /** Redraws the live region now (call after changing an item's state). */
  redraw(): void {
    if (!this.isTTY || this.items.size === 0) return;
    this.clearLive();
    this.drawLive();
  }

  /** Stops every live item and restores the cursor (idempotent; also on exit). */
  close(): void {
    this.clearLive();
    this.items.clear();
    this.stopLive();
  }

  private stopLive(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (this.cursorHidden) {
      this.stderr.write('\u001b[?25h');
      this.cursorHidden = false;
    }
  }

  private clearLive(): void {
    if (this.drawnLines === 0) return;
    this.stderr.write(`\r\u001b[${this.drawnLines}A\u001b[0J`);
    this.drawnLines = 0;
  }

  private drawLive(): void {
    if (this.stdoutMidLine) return;
    const columns = this.columns;
    const lines: string[] = [];
    for (const item of this.items) {
      for (const line of item.render(this.frame, columns)) lines.push(truncateLine(line, columns));
    }
    if (lines.length === 0) return;
    this.stderr.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  private writeStdout(text: string): void {
    if (this.stdout.isTTY !== true) {
      this.stdout.write(text);
      return;
    }
    // stdout and stderr share the terminal: keep the live region below the text,
    // and out of the way until a partial line of the job's output is complete.
    this.clearLive();
    this.stdout.write(text);
    this.stdoutMidLine = !text.endsWith('\n');
    this.drawLive();
  }

  private writeStderr(text: string): void {
    if (this.drawnLines > 0) {
      this.clearLive();
      this.stderr.write(text);
      this.drawLive();
      return;
    }
    this.stderr.write(text);
  }
}

/** True under a CI system (`CI` set to anything but `false`/`0`). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI;
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
