import type { ExecutorEvent } from '@pollinator/core';
import type { Output } from './output';

/**
 * How much of an executor's life is printed in text mode. `full` (`pollinator
 * executor start`, where the executor is the point) also shows registration,
 * the function name of each assigned process and the backend job it became;
 * `brief` (`pollinator dev`, where the executor is a helper next to the
 * embedded colony) shows only what a user waits for. JSON mode always emits
 * every event.
 */
export type ExecutorEventVerbosity = 'brief' | 'full';

export interface ExecutorEventRendererOptions {
  verbosity: ExecutorEventVerbosity;
  /** The clock of the `HH:MM:SS` prefix (tests fix it). */
  now?: () => Date;
}

/** One line of text for `event`, or undefined when this verbosity does not show it. */
function describeEvent(event: ExecutorEvent, verbosity: ExecutorEventVerbosity, colors: Output['colors']): string | undefined {
  const full = verbosity === 'full';
  switch (event.type) {
    case 'registered':
      return full ? `registered as ${event.executorName}${event.selfRegistered ? ' (self-registered)' : ''}` : undefined;
    case 'assigned':
      return full ? `assigned ${event.processId} (${event.funcname})` : `assigned ${event.processId}`;
    case 'job.started':
      return full ? `started ${event.processId} as ${event.handle.backend} job ${event.handle.id}` : undefined;
    case 'job.reattached':
      return `re-attached to ${event.processId}`;
    case 'process.closed': {
      const outcome = event.success ? colors.green('succeeded') : colors.red('failed');
      const exit = event.exitCode === undefined ? '' : ` (exit ${event.exitCode})`;
      return `${outcome} ${event.processId}${exit}${event.error ? `: ${event.error}` : ''}`;
    }
    case 'process.retried':
      return `${colors.yellow('retried')} ${event.processId} as ${event.retryProcessId} (attempt ${event.attempt} of ${event.attempts}, after ${event.cause})`;
    case 'process.abandoned':
      return `${colors.yellow('abandoned')} ${event.processId}: ${event.reason}`;
    case 'forward':
      // The user of the forward sees its own side; the executor's operator sees the relay.
      return full ? `forward ${event.processId}: ${event.message}` : undefined;
    default:
      return undefined;
  }
}

/**
 * Prints the events of a running executor: each as an `executor.<type>` JSON
 * event with `--json`, otherwise one time-stamped line (warnings as warnings).
 */
export function createExecutorEventRenderer(output: Output, options: ExecutorEventRendererOptions): (event: ExecutorEvent) => void {
  const now = options.now ?? (() => new Date());
  return (event) => {
    if (output.isJson) {
      output.json({ ...event, type: `executor.${event.type}` });
      return;
    }
    if (event.type === 'warning') {
      output.warn(event.message);
      return;
    }
    const line = describeEvent(event, options.verbosity, output.colors);
    if (line !== undefined) output.line(`${output.colors.dim(now().toTimeString().slice(0, 8))} ${line}`);
  };
}
