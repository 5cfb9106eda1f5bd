import type { CommandContext } from '../context';
import { connectColony } from '../runtime/colony';
import { checkProcessId, withProcess } from '../runtime/lookups';
import { renderOutcome, renderRunErrors } from '../render/outcome';
import { RunRenderer } from '../render/run-events';

export interface LogsOptions {
  follow?: boolean;
}

const PAGE = 500;

/**
 * `pollinator logs <id>`: the process's log so far; with `--follow`, keeps
 * streaming until the process ends and exits with its exit code (as `run`).
 */
export async function run(context: CommandContext, idArgument: string, options: LogsOptions): Promise<number> {
  const processId = checkProcessId(idArgument);
  const connection = await connectColony(context, { executor: options.follow === true });
  const { output } = context;
  const core = await import('@pollinator/core');

  if (options.follow !== true) {
    // Make sure the process exists (getLogs of an unknown id is just empty).
    await withProcess(context, connection, processId, () => connection.client.getProcess(processId, { signal: context.signal }));
    let since: bigint | undefined;
    for (;;) {
      const page = await connection.client.getLogs({ processId, count: PAGE, ...(since === undefined ? {} : { since }) }, { signal: context.signal });
      for (const log of page) {
        if (output.isJson) {
          output.json({ type: 'log', processId, message: log.message, timestamp: log.timestamp.toString(), executorName: log.executorname });
        } else {
          output.jobOutput(log.message);
        }
      }
      if (page.length < PAGE) break;
      since = page[page.length - 1]?.timestamp;
    }
    return 0;
  }

  const started = Date.now();
  await withProcess(context, connection, processId, () => connection.client.getProcess(processId, { signal: context.signal }));
  const renderer = new RunRenderer(output, { dashboardUrl: connection.dashboardUrl });
  const following = core.followProcess({ client: connection.client, processId, signal: context.signal });
  for await (const event of following) renderer.handle(event);
  const result = await following.result;
  renderer.finish();
  if (renderer.errors.length > 0 && !result.detached) renderRunErrors(output, renderer.errors, processId);
  if (output.isJson) return result.exitCode;
  if (result.detached) {
    output.line(`Stopped following; process ${processId} keeps running.`);
    return result.exitCode;
  }
  renderOutcome(output, result, Date.now() - started, renderer.lastProcessErrors);
  return result.exitCode;
}
