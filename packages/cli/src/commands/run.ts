import type { CommandContext } from '../context';
import { CliExitCode } from '../exit-codes';
import { connectColony } from '../runtime/colony';
import { reattachHints, renderOutcome, renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';

export interface RunOptions {
  detach?: boolean;
  dryRun?: boolean;
  cancelOnInterrupt?: boolean;
}

/**
 * `pollinator run`: sync src and data, snapshot, submit, follow state and
 * logs, download results; exits with the job's exit code. Ctrl-C detaches
 * (the job keeps running) unless --cancel-on-interrupt.
 */
export async function run(context: CommandContext, options: RunOptions): Promise<number> {
  if (options.dryRun === true) {
    const { run: plan } = await import('./plan');
    return plan(context, {});
  }
  const { output } = context;
  const started = Date.now();
  const detach = options.detach === true;
  // A broken project.yaml stops here, before any server starts or state is created.
  const { loadProject } = await import('@pollinator/spec-builder');
  await loadProject(context.cwd);
  const connection = await connectColony(context, { executor: !detach });
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
  if (output.isJson) return result.exitCode;

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
  return result.exitCode;
}
