import type { LogEvent, PollinatorEvent } from '@pollinator/core';
import type { CommandContext } from '../context';
import { connectColony, type ColonyConnection } from '../runtime/colony';
import { withProcess } from '../runtime/lookups';
import { resolveProcessRef } from '../runtime/process-ref';
import { renderOutcome, renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';
import { LogFilter, parseGrep, parseSince, parseTail, type LogFilterOptions } from './logs-filter';

export interface LogsOptions {
  follow?: boolean;
  tail?: string;
  since?: string;
  grep?: string;
}

const PAGE = 500;

function filterOptions(options: LogsOptions): LogFilterOptions {
  return {
    ...(options.tail === undefined ? {} : { tail: parseTail(options.tail) }),
    ...(options.since === undefined ? {} : { sinceNs: parseSince(options.since) }),
    ...(options.grep === undefined ? {} : { grep: parseGrep(options.grep) }),
  };
}

/**
 * `pollinator logs <id>`: the process's log so far (the job's output on
 * stdout, the executor's messages on stderr); `--tail`, `--since` and
 * `--grep` choose lines. With `--follow`, keeps streaming until the process
 * ends and exits with its exit code (as `run`).
 */
export async function run(context: CommandContext, idArgument: string, options: LogsOptions): Promise<number> {
  const filters = filterOptions(options);
  const connection = await connectColony(context, { executor: options.follow === true });
  const processId = await resolveProcessRef(context, connection, idArgument);
  const process = await withProcess(context, connection, processId, () => connection.client.getProcess(processId, { signal: context.signal }));
  const filter = new LogFilter(filters);
  if (options.follow === true) return follow(context, connection, processId, filter);

  const renderer = new RunRenderer(context.output);
  let since: bigint | undefined = filters.sinceNs;
  for (;;) {
    const page = await connection.client.getLogs({ processId, count: PAGE, ...(since === undefined ? {} : { since }) }, { signal: context.signal });
    for (const log of page) {
      const entry: LogEvent = { type: 'log', processId, message: log.message, timestamp: log.timestamp.toString(), executorName: log.executorname };
      for (const event of filter.push(entry)) renderer.handle(event);
    }
    if (page.length < PAGE) break;
    since = page[page.length - 1]?.timestamp;
  }
  for (const event of filter.flush()) renderer.handle(event);
  renderer.finish();
  // Only 0–4 are states; the log of a process that has not ended is not complete.
  const { processStateName } = await import('@pollinator/core/process-summary');
  const state = processStateName(process.state);
  if (state === 'waiting') {
    context.output.info(`Process ${processId} is waiting for an executor: its log starts when it runs. \`pollinator logs ${processId} --follow\` waits and streams it.`);
  } else if (state === 'running') {
    context.output.info(`Process ${processId} is still running: this is its log so far. \`pollinator logs ${processId} --follow\` keeps streaming.`);
  }
  return 0;
}

async function follow(context: CommandContext, connection: ColonyConnection, processId: string, filter: LogFilter): Promise<number> {
  const { output } = context;
  const { followProcess } = await import('@pollinator/core/process-summary');
  const started = Date.now();
  const renderer = new RunRenderer(output, { dashboardUrl: connection.dashboardUrl });
  const following = followProcess({ client: connection.client, processId, signal: context.signal });
  let backlogRead = false;
  const handle = (events: PollinatorEvent[]) => {
    for (const event of events) renderer.handle(event);
  };
  for await (const event of following) {
    if (event.type === 'log') {
      handle(filter.push(event));
      continue;
    }
    // followProcess reads the whole log so far before it first reports the state.
    if (event.type === 'process.state' && !backlogRead) {
      backlogRead = true;
      handle(filter.endBacklog());
    }
    if (event.type === 'done') handle(filter.flush());
    renderer.handle(event);
  }
  const result = await following.result;
  handle(filter.flush());
  renderer.finish();
  if (renderer.errors.length > 0 && !result.detached) renderRunErrors(output, renderer.errors, processId);
  if (output.isJson) return result.exitCode;
  if (result.detached) {
    output.line(`Stopped following; process ${processId} keeps running.`);
    return result.exitCode;
  }
  renderOutcome(output, result, Date.now() - started, renderer.lastProcessErrors, renderer.lastProcessCause);
  return result.exitCode;
}
