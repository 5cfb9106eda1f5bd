import { describeProcessQueue, type PollinatorEvent, type ProcessCause, type RunResult } from '@pollinator/core/process-summary';
import { formatBytes, formatDuration, formatRate, bar, plural } from './format';
import { spinnerFrame, type LiveItem, type Output } from './output';
import { executorMessageText, isExecutorFailure, isProgressMessage, logOrigin } from './run-events-executor-message';

type EventOf<T extends PollinatorEvent['type']> = Extract<PollinatorEvent, { type: T }>;

/** How often plain (non-TTY) output repeats a progress line for a long transfer. */
const PLAIN_PROGRESS_INTERVAL_MS = 5_000;

const TARGET_VERB = { src: 'Uploading', data: 'Uploading', result: 'Downloading' } as const;

class SyncBar implements LiveItem {
  progress: EventOf<'sync.progress'> | undefined;
  constructor(
    readonly target: 'src' | 'data' | 'result',
    readonly plan: EventOf<'sync.plan'>,
    private readonly output: Output,
  ) {}

  render(frame: number, columns: number): string[] {
    const c = this.output.colors;
    const files = this.progress?.filesTotal ?? this.plan.upload.files + this.plan.download.files;
    const bytes = this.progress?.bytesTotal ?? this.plan.upload.bytes + this.plan.download.bytes;
    const filesDone = this.progress?.filesDone ?? 0;
    const bytesDone = this.progress?.bytesDone ?? 0;
    const fraction = bytes > 0 ? bytesDone / bytes : files > 0 ? filesDone / files : 0;
    const width = Math.max(10, Math.min(30, columns - 70));
    const rate = this.progress === undefined || this.progress.bytesPerSecond <= 0 ? '' : `  ${formatRate(this.progress.bytesPerSecond)}`;
    const eta = this.progress?.etaSeconds === null || this.progress?.etaSeconds === undefined ? '' : `  ETA ${formatDuration(this.progress.etaSeconds * 1000)}`;
    return [
      `${c.cyan(spinnerFrame(frame))} ${TARGET_VERB[this.target]} ${this.target.padEnd(6)} ${c.cyan(bar(fraction, width))} ${filesDone}/${files} files  ${formatBytes(bytesDone)}/${formatBytes(bytes)}${rate}${eta}`,
    ];
  }
}

/**
 * The live status line on a terminal: what is going on, for how long, and
 * the executor's last message (`⠙ Running 12.4s · Pollinator: staging data…`),
 * so a job that prints nothing for a while still shows that it is alive.
 */
export class StatusLine implements LiveItem {
  readonly started: number;
  /** The executor's last message, shown after the time. */
  activity: string | undefined;
  constructor(
    public text: string,
    private readonly output: Output,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  render(frame: number): string[] {
    const c = this.output.colors;
    const activity = this.activity === undefined ? '' : c.dim(` · ${this.activity}`);
    return [`${c.cyan(spinnerFrame(frame))} ${this.text} ${c.dim(formatDuration(this.now() - this.started))}${activity}`];
  }
}

export interface RunRendererOptions {
  /** `COLONYOS_DASHBOARD_URL`: `run` prints `<url>/process?processid=<id>`. */
  dashboardUrl?: string;
  /** Show every planned file (dry runs). */
  showPlanEntries?: boolean;
  /** Also list unchanged files in a plan. */
  showUnchanged?: boolean;
  /** The clock of the status line (tests). */
  now?: () => number;
}

/**
 * Draws the events of `runProject()` / `followProcess()`: progress bars and
 * spinners on a terminal, one line per step otherwise, NDJSON with `--json`.
 * The job's log goes to stdout as it arrives; everything else to stderr.
 */
export class RunRenderer {
  private readonly bars = new Map<string, SyncBar>();
  private readonly plainProgressAt = new Map<string, number>();
  private spinner: StatusLine | undefined;
  /** `ContainerExecutor: …` messages of the log: shown by the summary, or at the end when it does not. */
  private executorFailures: string[] = [];
  private lastState: string | undefined;
  private submittedAt: number | undefined;
  private runningAt: number | undefined;
  private logEndsWithNewline = true;
  processId: string | undefined;
  errors: EventOf<'error'>[] = [];
  plans: EventOf<'sync.plan'>[] = [];
  spec: unknown;
  lastProcessErrors: string[] = [];
  /** The failure cause the executor recorded, from the last `process.state` (issue #17). */
  lastProcessCause: ProcessCause | undefined;

  constructor(
    private readonly output: Output,
    private readonly options: RunRendererOptions = {},
  ) {}

  handle(event: PollinatorEvent): void {
    if (event.type === 'error') this.errors.push(event);
    if (event.type === 'sync.plan') this.plans.push(event);
    if (event.type === 'spec.built') this.spec = event.spec;
    if (event.type === 'process.submitted') this.processId = event.processId;
    if (event.type === 'process.retried') this.processId = event.retryProcessId;
    if (event.type === 'process.state') {
      this.lastProcessErrors = event.errors;
      this.lastProcessCause = event.cause;
    }
    if (this.output.isJson) {
      this.output.json(event.type === 'log' ? { ...event, origin: logOrigin(event.message) } : event);
      return;
    }
    this.render(event);
  }

  /** Stops spinners and bars (before printing the outcome, or on an error). */
  finish(): void {
    this.stopSpinner();
    for (const item of this.bars.values()) this.output.removeLive(item);
    this.bars.clear();
    if (!this.logEndsWithNewline) {
      this.output.jobOutput('\n');
      this.logEndsWithNewline = true;
    }
    // The executor's failure is the run's summary line; one the process's errors do not carry is said here.
    const known = new Set(this.lastProcessErrors.map((error) => error.trim()));
    for (const failure of this.executorFailures) {
      if (!known.has(failure)) this.output.warn(`executor: ${failure}`);
    }
    this.executorFailures = [];
  }

  private startSpinner(text: string): void {
    if (this.spinner !== undefined) {
      this.spinner.text = text;
      this.output.redraw();
      return;
    }
    this.spinner = new StatusLine(text, this.output, this.options.now);
    this.output.addLive(this.spinner);
  }

  private stopSpinner(finalLine?: string): void {
    if (this.spinner === undefined) {
      if (finalLine !== undefined) this.output.line(finalLine);
      return;
    }
    const spinner = this.spinner;
    this.spinner = undefined;
    this.output.removeLive(spinner, finalLine);
  }

  private render(event: PollinatorEvent): void {
    const { output } = this;
    const c = output.colors;
    const ok = c.green('✔');
    switch (event.type) {
      case 'project.loaded': {
        output.line(`${ok} Project ${c.bold(event.projectName)}`);
        for (const warning of event.warnings) output.warn(warning);
        break;
      }
      case 'sync.plan': {
        this.plainProgressAt.set(event.target, Date.now());
        this.renderPlan(event);
        const moving = event.upload.files + event.download.files;
        if (moving > 0 && !this.options.showPlanEntries) {
          const item = new SyncBar(event.target, event, output);
          this.bars.set(event.target, item);
          output.addLive(item);
        }
        break;
      }
      case 'sync.symlinks': {
        // One warning line per link: nothing was uploaded through it, and the line says how to opt in.
        for (const link of event.skipped) output.warn(`cfs/${event.target}/${link.path}: ${link.reason}`);
        break;
      }
      case 'sync.progress': {
        const item = this.bars.get(event.target);
        if (item !== undefined) {
          item.progress = event;
          output.redraw();
        }
        if (!output.isTTY) {
          const now = Date.now();
          const last = this.plainProgressAt.get(event.target) ?? now;
          if (now - last >= PLAIN_PROGRESS_INTERVAL_MS && event.filesDone < event.filesTotal) {
            this.plainProgressAt.set(event.target, now);
            output.line(
              `  ${event.target}: ${event.filesDone}/${event.filesTotal} files, ${formatBytes(event.bytesDone)}/${formatBytes(event.bytesTotal)}${event.bytesPerSecond > 0 ? ` (${formatRate(event.bytesPerSecond)})` : ''}`,
            );
          }
        }
        break;
      }
      case 'sync.file': {
        output.debug(`${event.action} ${event.target}/${event.path} (${formatBytes(event.size)})${event.backup ? `, local copy kept as ${event.backup}` : ''}`);
        if (event.backup !== undefined) output.warn(`cfs/${event.target}/${event.path} changed here and remotely: your version is kept as ${event.backup}`);
        break;
      }
      case 'sync.done': {
        const item = this.bars.get(event.target);
        this.bars.delete(event.target);
        const moved = event.uploaded.files > 0 ? event.uploaded : event.downloaded;
        const verb = event.uploaded.files > 0 ? 'uploaded' : 'downloaded';
        const line =
          moved.files === 0
            ? `${ok} ${event.target}: up to date (${plural(event.unchanged, 'file')})`
            : `${ok} ${event.target}: ${verb} ${plural(moved.files, 'file')} (${formatBytes(moved.bytes)}) in ${formatDuration(event.durationMs)}${event.unchanged > 0 ? c.dim(`, ${event.unchanged} unchanged`) : ''}`;
        if (item !== undefined) output.removeLive(item, line);
        else output.line(line);
        break;
      }
      case 'snapshot.created':
        output.line(`${ok} Snapshot of ${(event as { target?: string }).target ?? 'src'} ${c.dim(event.snapshotId.slice(0, 12))} (${plural(event.files, 'file')})`);
        break;
      case 'spec.built':
        if (this.options.showPlanEntries) {
          this.say('');
          this.say(`${output.stdoutColors.bold('Function spec')} ${output.stdoutColors.dim('(the snapshot id is filled in at run time)')}`);
          this.say(JSON.stringify(event.spec, null, 2));
        }
        break;
      case 'process.submitted': {
        this.submittedAt = Date.now();
        output.line(`${ok} Submitted process ${c.bold(event.processId)} to colony ${event.colonyName}`);
        if (this.options.dashboardUrl !== undefined && this.options.dashboardUrl !== '') {
          output.line(`  ${c.dim('dashboard')} ${c.underline(`${this.options.dashboardUrl.replace(/\/+$/, '')}/process?processid=${event.processId}`)}`);
        }
        break;
      }
      case 'process.state':
        this.renderState(event);
        break;
      case 'process.retried':
        this.renderRetried(event);
        break;
      case 'log':
        this.renderLog(event);
        break;
      case 'result.synced': {
        if (!this.bars.has('result')) {
          // sync.done already said it; point at the directory once.
          output.line(`  ${c.dim('results in')} ${event.dir}`);
        }
        for (const backup of event.backups) output.warn(`kept your local ${backup.path} as ${backup.backup}`);
        break;
      }
      case 'warning':
        output.warn(event.message);
        break;
      case 'error':
        // Explained once, at the end, by the command (with what to do).
        this.finish();
        break;
      case 'done':
        this.finish();
        break;
    }
  }

  /** The job's output to stdout as it came; the executor's own messages to stderr and the status line. */
  private renderLog(event: EventOf<'log'>): void {
    const { output } = this;
    if (logOrigin(event.message) === 'job') {
      output.jobOutput(event.message);
      this.logEndsWithNewline = event.message.endsWith('\n');
      return;
    }
    const text = executorMessageText(event.message);
    if (isExecutorFailure(text)) {
      this.executorFailures.push(text);
      return;
    }
    // With a live status line, progress shows there only (and with -v): four staging lines a run were noise.
    if (this.spinner !== undefined && output.isTTY && isProgressMessage(text)) output.debug(`executor: ${text}`);
    else output.line(output.colors.dim(`  executor: ${text}`));
    if (this.spinner !== undefined) {
      this.spinner.activity = text;
      output.redraw();
    }
  }

  /** A retry (issue #17): the failed attempt's end, then the next attempt is followed as a new process. */
  private renderRetried(event: EventOf<'process.retried'>): void {
    const { output } = this;
    this.stopSpinner();
    const why = event.causeText === undefined ? 'failed' : `failed: ${event.causeText}`;
    output.warn(`attempt ${event.attempt - 1} of ${event.attempts} ${why}; following attempt ${event.attempt} of ${event.attempts}: process ${event.retryProcessId}`);
    // The next attempt starts over: waiting, then running.
    this.lastState = undefined;
    this.lastProcessCause = undefined;
    this.lastProcessErrors = [];
  }

  private renderState(event: EventOf<'process.state'>): void {
    const { output } = this;
    const c = output.colors;
    // The job's place in the scheduler's queue (issue #17): the status line shows the latest.
    if (event.queue !== undefined && this.spinner !== undefined) {
      this.spinner.activity = describeProcessQueue(event.queue);
      output.redraw();
    }
    if (event.state === this.lastState) return;
    const previous = this.lastState;
    this.lastState = event.state;
    switch (event.state) {
      case 'waiting':
        if (event.retries > 0) output.warn(`the process was re-queued (retry ${event.retries})`);
        this.startSpinner('Waiting for an executor');
        if (!output.isTTY) output.line('  waiting for an executor…');
        break;
      case 'running': {
        this.runningAt = Date.now();
        const queued = this.submittedAt === undefined ? '' : c.dim(` after ${formatDuration(this.runningAt - this.submittedAt)} in the queue`);
        this.stopSpinner(`${c.green('✔')} Running${previous === undefined ? '' : queued}`);
        // Alive until the process ends: elapsed time and the executor's last message (TTY only).
        this.startSpinner('Running');
        break;
      }
      default:
        this.stopSpinner();
        break;
    }
  }

  /** Plan output is the result of `plan`: it goes to stdout. */
  private say(text = ''): void {
    if (this.options.showPlanEntries) this.output.result(text);
    else this.output.line(text);
  }

  private renderPlan(event: EventOf<'sync.plan'>): void {
    const { output } = this;
    const c = output.stdoutColors;
    if (!this.options.showPlanEntries) {
      output.debug(
        `plan ${event.target}: upload ${event.upload.files}, download ${event.download.files}, conflict ${event.conflict.files}, unchanged ${event.unchanged.files}, ignored ${event.ignored}`,
      );
      return;
    }
    this.say('');
    this.say(`${c.bold(`cfs/${event.target}`)} ${c.dim(`→ ${event.label}`)}`);
    const entries = event.entries ?? [];
    const symbols: Record<string, string> = {
      upload: c.green('↑ upload  '),
      download: c.cyan('↓ download'),
      conflict: c.yellow('! conflict'),
      unchanged: c.dim('= same    '),
      ignored: c.dim('- ignored '),
    };
    let shown = 0;
    for (const entry of entries) {
      if (entry.action === 'unchanged' && !this.options.showUnchanged) continue;
      shown += 1;
      const size = entry.action === 'ignored' ? '' : formatBytes(entry.size).padStart(9);
      this.say(`  ${symbols[entry.action] ?? entry.action} ${size}  ${entry.path}  ${c.dim(entry.reason)}`);
    }
    if (shown === 0) this.say(c.dim('  nothing to transfer'));
    const parts = [
      `${plural(event.upload.files, 'file')} to upload (${formatBytes(event.upload.bytes)})`,
      event.download.files > 0 ? `${event.download.files} to download (${formatBytes(event.download.bytes)})` : undefined,
      event.conflict.files > 0 ? c.yellow(`${event.conflict.files} in conflict`) : undefined,
      `${event.unchanged.files} unchanged`,
      `${event.ignored} ignored`,
    ].filter((part): part is string => part !== undefined);
    this.say(`  ${c.dim('total:')} ${parts.join(', ')}`);
  }
}

/** The outcome of a run, as the last line(s) on stderr. */
export function describeOutcome(result: RunResult): { ok: boolean; text: string } {
  const id = result.processId === undefined ? '' : ` (process ${result.processId})`;
  switch (result.state) {
    case 'success':
      return { ok: true, text: `Succeeded${id}` };
    case 'failed':
      return { ok: false, text: `Failed with exit code ${result.exitCode}${id}` };
    case 'cancelled':
      return { ok: false, text: `Cancelled${id}` };
    default:
      return { ok: result.exitCode === 0, text: `Ended in state ${result.state} with exit code ${result.exitCode}${id}` };
  }
}
