/**
 * `pollinator plan --check`: after the plan, the spec `run` would submit is
 * sent as a preflight (`@pollinator/core` `preflightProject`): the executor
 * that would take the job asks its scheduler whether it could run it
 * (Slurm: `sbatch --test-only`) and answers, without running anything.
 */
import type { FunctionSpec } from '@pollinator/colonies-client';
import type { PreflightResult } from '@pollinator/core';
import type { CommandContext } from '../context';
import { usageError } from '../errors';
import { CliExitCode } from '../exit-codes';
import type { ColonyConnection } from '../runtime/colony';

/** Longest `--wait`: a preflight is a quick question, not a queued job. */
const MAX_WAIT_SECONDS = 600;

/** `--wait` in whole seconds (1 … 600), or the default. */
export function parseWaitSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || seconds < 1 || seconds > MAX_WAIT_SECONDS) {
    throw usageError(`Invalid --wait ${JSON.stringify(text)}: give whole seconds from 1 to ${MAX_WAIT_SECONDS}`);
  }
  return seconds;
}

/** The exit status of a preflight: 0 ok, 65 the executor says the job cannot run, 69 no executor answered. */
export function checkExitCode(result: PreflightResult): number {
  if (result.kind === 'answered') return result.answer.ok ? CliExitCode.SUCCESS : CliExitCode.INVALID_PROJECT;
  return CliExitCode.EXECUTOR_LOST;
}

function report(context: CommandContext, result: PreflightResult, where: string): void {
  const { output } = context;
  if (output.isJson) {
    const answer = result.kind === 'answered' ? { ...result.answer } : { ok: false, message: result.kind === 'failed' ? result.message : `no executor answered within ${result.waitedSeconds} s` };
    output.json({ type: 'plan.check', result: result.kind, processId: result.processId, ...answer, ...(result.kind === 'no-answer' ? { waitedSeconds: result.waitedSeconds } : {}) });
    return;
  }
  output.line('');
  if (result.kind === 'answered') {
    const { answer } = result;
    const mark = answer.ok ? output.colors.green('✔') : output.colors.red('✘');
    output.line(`${mark} Preflight (${answer.backend} executor): ${answer.message}`);
    if (answer.earliestStart) output.line(`  earliest start: ${answer.earliestStart}`);
    if (!answer.checked) output.line(output.colors.dim(`  The ${answer.backend} backend has no scheduler to ask: the spec is valid for it, nothing more was checked.`));
    return;
  }
  if (result.kind === 'failed') {
    output.line(`${output.colors.red('✘')} Preflight failed on the executor: ${result.message}`);
    return;
  }
  output.line(`${output.colors.yellow('!')} No executor answered the preflight within ${result.waitedSeconds} s on ${where}.`);
  output.line(
    '  Either no executor that matches the spec (executorType, executorNames, resources) is running, or the matching executors do not',
  );
  output.line('  answer preflights: the Go executors ignore the pollinator-preflight funcname (only `pollinator executor start` answers it).');
  output.line('  Nothing was left queued. `pollinator executors` lists the executors; `--wait SECONDS` waits longer.');
}

/** Sends the preflight for `spec`, prints the answer, returns the exit status. */
export async function checkSpec(context: CommandContext, connection: ColonyConnection, spec: FunctionSpec, waitSeconds: number): Promise<number> {
  const { preflightProject } = await import('@pollinator/core');
  if (!context.output.isJson) context.output.info(`Asking an executor whether it could run the job (waiting at most ${waitSeconds} s)…`);
  const result = await preflightProject({ client: connection.client, spec, waitSeconds, signal: context.signal });
  report(context, result, connection.description);
  return checkExitCode(result);
}
