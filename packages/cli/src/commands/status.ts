import type { CommandContext } from '../context';
import { formatCause } from '../render/cause';
import { formatQueue } from '../render/queue';
import { formatDuration } from '../render/format';
import { connectColony } from '../runtime/colony';
import { between, formatTime, withProcess } from '../runtime/lookups';
import { resolveProcessRef } from '../runtime/process-ref';

/** `pollinator status <id>`: one process, summarised. */
export async function run(context: CommandContext, idArgument: string): Promise<number> {
  const connection = await connectColony(context);
  const processId = await resolveProcessRef(context, connection, idArgument);
  const { describeAttemptChain, getAttemptChain, summarizeProcess } = await import('@pollinator/core/process-summary');
  const colonyProcess = await withProcess(context, connection, processId, () => connection.client.getProcess(processId, { signal: context.signal }));
  const summary = summarizeProcess(colonyProcess);
  // A retried run (issue #17): every attempt, found along the links its executors recorded.
  // The process itself is the one just read: one request less (and one signature) for every status.
  const client = {
    getProcess: (id: string, options?: { signal?: AbortSignal }) => (id === processId ? Promise.resolve(colonyProcess) : connection.client.getProcess(id, options)),
  };
  const chain = await getAttemptChain({ client, processId, signal: context.signal });
  const attempts = chain.attempts.length > 1 ? { attempts: chain.attempts, attemptsAllowed: chain.attemptsAllowed } : {};
  const { output } = context;
  if (output.isJson) {
    output.json({ type: 'process', ...summary, ...attempts });
    return 0;
  }
  const c = output.stdoutColors;
  const stateColor = summary.state === 'success' ? c.green : summary.state === 'failed' ? c.red : summary.state === 'cancelled' ? c.yellow : c.cyan;
  const took = between(summary.startTime, summary.endTime);
  const lines = [
    `${c.dim('Process  ')} ${summary.processId}`,
    `${c.dim('State    ')} ${stateColor(summary.state)}${summary.exitCode === undefined ? '' : ` (exit code ${summary.exitCode})`}`,
    `${c.dim('Project  ')} ${summary.label || c.dim('(none)')}`,
    `${c.dim('Function ')} ${summary.funcName} ${c.dim(`for ${summary.executorType}`)}`,
    `${c.dim('Submitted')} ${formatTime(summary.submissionTime)}`,
  ];
  const thisAttempt = chain.attempts.findIndex((attempt) => attempt.processId === summary.processId);
  const retriedAs = thisAttempt < 0 ? undefined : chain.attempts[thisAttempt + 1]?.attempt;
  if (summary.cause !== undefined) {
    lines.push(`${c.dim('Cause    ')} ${formatCause(summary.cause, c, retriedAs === undefined ? {} : { retriedAsAttempt: retriedAs })}`);
  }
  if (summary.queue !== undefined) lines.push(`${c.dim('Waiting  ')} ${formatQueue(summary.queue, c)}`);
  if (formatTime(summary.startTime) !== '') lines.push(`${c.dim('Started  ')} ${formatTime(summary.startTime)}`);
  if (formatTime(summary.endTime) !== '') lines.push(`${c.dim('Ended    ')} ${formatTime(summary.endTime)}${took === undefined ? '' : c.dim(` (ran ${formatDuration(took)})`)}`);
  if (summary.retries > 0) lines.push(`${c.dim('Retries  ')} ${summary.retries}`);
  if (chain.attempts.length > 1) {
    lines.push(`${c.dim('Attempts ')} ${describeAttemptChain(chain)}`);
    for (const [index, attempt] of chain.attempts.entries()) {
      lines.push(`${c.dim(`  ${attempt.attempt}`.padEnd(9))} ${attempt.processId}${index === thisAttempt ? c.dim(' (this process)') : ''}`);
    }
  }
  for (const error of summary.errors) lines.push(`${c.dim('Error    ')} ${c.red(error)}`);
  output.result(lines.join('\n'));
  return 0;
}
