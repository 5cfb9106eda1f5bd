import type { PollinatorEvent, PollinatorRun, RunResult } from '@pollinator/core';
import type { CommandContext } from '../context';
import { CliExitCode } from '../exit-codes';
import { reattachHints, renderOutcome, renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';
import type { ColonyConnection } from './colony';

export interface FollowRunOptions {
  /** `--detach`: the run was started with `follow: false`. */
  detach: boolean;
  /** `--cancel-on-interrupt`: Ctrl-C cancelled the job instead of detaching. */
  cancelOnInterrupt: boolean;
  /** When the command started (`Date.now()`), for the outcome's duration. */
  started: number;
  /** Sees every event after the renderer (e.g. to remember where the results went). */
  onEvent?: (event: PollinatorEvent) => void;
}

export interface FollowedRun {
  result: RunResult;
  processId: string | undefined;
  /** The command's exit code: the job's own, or a reserved one. */
  exitCode: number;
}

/**
 * Draws a submitted run to its end the way `pollinator run` does, for every
 * command that starts one (`run`, `rerun`): the events, the "no executor"
 * notice on the embedded default, what to do after a detach or Ctrl-C, the
 * explained errors and the outcome line. One place, so a rerun looks and
 * exits exactly like a run.
 */
export async function followRun(
  context: CommandContext,
  connection: ColonyConnection,
  execution: PollinatorRun<PollinatorEvent, RunResult>,
  options: FollowRunOptions,
): Promise<FollowedRun> {
  const { output } = context;
  const { detach } = options;
  const renderer = new RunRenderer(output, { dashboardUrl: connection.dashboardUrl });
  let announcedNoExecutor = false;
  for await (const event of execution) {
    renderer.handle(event);
    options.onEvent?.(event);
    if (event.type === 'process.submitted' && !detach && connection.embedded?.executor === 'none' && !announcedNoExecutor) {
      announcedNoExecutor = true;
      output.warn('No executor runs for the embedded default right now: the job waits until one does (start `pollinator dev`).');
    }
  }
  const result = await execution.result;
  renderer.finish();
  const processId = result.processId ?? renderer.processId;
  const followed = (exitCode: number): FollowedRun => ({ result, processId, exitCode });

  if (renderer.errors.length > 0 && !(result.detached && context.signal.aborted)) {
    renderRunErrors(output, renderer.errors, processId);
  }
  if (output.isJson) return followed(result.exitCode);

  const embedded = connection.mode === 'embedded';
  if (detach && processId !== undefined && result.error === undefined) {
    output.result(processId);
    output.line(
      embedded && connection.embedded?.executor !== 'server'
        ? 'Submitted without waiting. On the embedded default the job runs while an executor does (`pollinator dev`, or the next attached `pollinator run`):'
        : 'The job runs without you. Later:',
    );
    reattachHints(output, processId, false);
    return followed(CliExitCode.SUCCESS);
  }
  if (result.detached && processId !== undefined) {
    output.line('');
    if (options.cancelOnInterrupt) {
      output.line(`Interrupted: process ${processId} was cancelled.`);
    } else {
      output.line(`Detached from process ${processId}; it keeps running${embedded && connection.embedded?.executor === 'this' ? ' (on the embedded default: once an executor runs again)' : ''}.`);
      reattachHints(output, processId, embedded && connection.embedded?.executor === 'this');
    }
    return followed(result.exitCode);
  }
  renderOutcome(output, result, Date.now() - options.started, renderer.lastProcessErrors, renderer.lastProcessCause);
  return followed(result.exitCode);
}
