import type { CommandContext } from '../context';
import { CliExitCode } from '../exit-codes';
import { connectColony } from '../runtime/colony';
import { announceEmbeddedImage } from '../runtime/embedded-image-notice';
import { reattachHints, renderOutcome, renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';
import { VERSION } from '../version';
import { loadProjectOrReport } from './plan';
import { notifyRunEnded, parseNotifyTarget, type NotifyTarget } from './run-notify';

export interface RunOptions {
  detach?: boolean;
  dryRun?: boolean;
  cancelOnInterrupt?: boolean;
  /** Upload local files even where the remote copy changed since the last sync. */
  force?: boolean;
  /** Tell this webhook / ntfy topic when the run ends (run-notify.ts). */
  notify?: string;
}

/**
 * `pollinator run`: sync src and data, snapshot, submit, follow state and
 * logs, download results; exits with the job's exit code. Ctrl-C detaches
 * (the job keeps running) unless --cancel-on-interrupt.
 */
export async function run(context: CommandContext, options: RunOptions): Promise<number> {
  if (options.dryRun === true) {
    const { run: plan } = await import('./plan');
    return plan(context, { force: options.force });
  }
  const { output } = context;
  const started = Date.now();
  const detach = options.detach === true;
  const notify = options.notify === undefined ? undefined : parseNotifyTarget(options.notify);
  if (notify !== undefined && detach) output.warn('--notify has no effect with --detach: this command does not see the run end.');
  // A broken project.yaml stops here, before any server starts or state is created.
  const loaded = await loadProjectOrReport(context);
  if (typeof loaded === 'number') return loaded;
  const connection = await connectColony(context, { executor: !detach });
  // On the embedded default: whether environment.docker is used here, once per run on stderr (H6).
  await announceEmbeddedImage(context, connection);
  const blobStore = await connection.blobStore();
  const { runProject } = await import('@pollinator/core');

  const renderer = new RunRenderer(output, { dashboardUrl: connection.dashboardUrl });
  const execution = runProject({
    dir: context.cwd,
    client: connection.client,
    colonyName: connection.colonyName,
    blobStore,
    signal: context.signal,
    follow: !detach,
    cancelOnAbort: options.cancelOnInterrupt === true,
    force: options.force === true,
    toolVersion: VERSION,
  });
  let announcedNoExecutor = false;
  for await (const event of execution) {
    renderer.handle(event);
    if (event.type === 'process.submitted' && !detach && connection.embedded?.executor === 'none' && !announcedNoExecutor) {
      announcedNoExecutor = true;
      output.warn('No executor runs for the embedded default right now: the job waits until one does (start `pollinator dev`).');
    }
  }
  const result = await execution.result;
  renderer.finish();
  if (result.detached && !detach && connection.embedded?.runningExecutor !== undefined && options.cancelOnInterrupt !== true) {
    // Leave the job running in its backend; the next embedded executor re-attaches to it.
    await connection.embedded.runningExecutor.stop('detach');
  }
  const processId = result.processId ?? renderer.processId;
  const embedded = connection.mode === 'embedded';
  if (renderer.errors.length > 0 && !(result.detached && context.signal.aborted)) {
    renderRunErrors(output, renderer.errors, processId);
  }
  const ended = async (): Promise<number> => {
    // After the outcome is on screen: a slow webhook must not delay it.
    if (notify !== undefined && !detach && !result.detached) {
      await sendNotification(context, notify, { projectName: loaded.project.projectName, result, durationMs: Date.now() - started });
    }
    return result.exitCode;
  };
  if (output.isJson) return ended();

  if (detach && processId !== undefined && result.error === undefined) {
    output.result(processId);
    output.line(
      connection.mode === 'embedded' && connection.embedded?.executor !== 'server'
        ? 'Submitted without waiting. On the embedded default the job runs while an executor does (`pollinator dev`, or the next attached `pollinator run`):'
        : 'The job runs without you. Later:',
    );
    reattachHints(output, processId, false);
    return CliExitCode.SUCCESS;
  }
  if (result.detached && processId !== undefined) {
    output.line('');
    if (options.cancelOnInterrupt === true) {
      output.line(`Interrupted: process ${processId} was cancelled.`);
    } else {
      output.line(`Detached from process ${processId}; it keeps running${embedded && connection.embedded?.executor === 'this' ? ' (on the embedded default: once an executor runs again)' : ''}.`);
      reattachHints(output, processId, embedded && connection.embedded?.executor === 'this');
    }
    return result.exitCode;
  }
  renderOutcome(output, result, Date.now() - started, renderer.lastProcessErrors);
  return ended();
}

async function sendNotification(context: CommandContext, target: NotifyTarget, summary: Parameters<typeof notifyRunEnded>[1]): Promise<void> {
  const warning = await notifyRunEnded(target, summary);
  if (warning !== undefined) context.output.warn(warning);
  else context.output.debug(`notified ${target.url.host} (${target.format})`);
}
