import type { ColoniesClient } from '@pollinator/colonies-client';
import { PollinatorError } from '@pollinator/errors';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { notSubmitterText, type ForwardEnding } from './forward-end';

/** ColonyOS's final states, in the words the CLI prints. */
export const FINAL_STATES: ReadonlyMap<number, string> = new Map<number, string>([
  [2, 'successful'],
  [3, 'failed'],
  [4, 'cancelled'],
]);
/** How long the executor may take from stopping the relay to closing the process. */
const CLOSE_CHECKS = 40;
const CLOSE_CHECK_MS = 250;

/**
 * The final state of a process that has ended, looked at for up to 10 s
 * (the executor stops relaying when the job ends, then closes the process);
 * undefined while it runs on.
 */
export async function finalStateOf(client: ColoniesClient, processId: string, signal: AbortSignal): Promise<string | undefined> {
  for (let check = 0; check < CLOSE_CHECKS && !signal.aborted; check += 1) {
    const state = FINAL_STATES.get((await client.getProcess(processId, { signal })).state);
    if (state !== undefined) return state;
    await new Promise((resolve) => setTimeout(resolve, CLOSE_CHECK_MS));
  }
  return undefined;
}

/** Resolves when the command is stopped (Ctrl-C, SIGTERM). */
export function untilInterrupted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Prints how a forward ended and returns the exit status: the normal ends (the
 * job finished, Ctrl-C) as a line or a `forward.closed` event; a failure as
 * the explained error every command prints.
 */
export function finishForward(context: CommandContext, ending: ForwardEnding, processId: string): number {
  const { output } = context;
  if (ending.failure) {
    throw new CliError(ending.message, { fix: ending.fix, exitCode: ending.exitCode, code: ending.code });
  }
  if (output.isJson) {
    output.json({ type: 'forward.closed', processId, reason: ending.reason, message: ending.message, exitCode: ending.exitCode, ...(ending.state === undefined ? {} : { state: ending.state }) });
  } else {
    output.step(ending.message);
  }
  return ending.exitCode;
}

/** The state of a job that ended before its forward opened (`FORWARD_PROCESS_ENDED`), else undefined. */
export function processEndedState(error: unknown): string | undefined {
  if (!PollinatorError.isInstance(error) || error.code !== 'FORWARD_PROCESS_ENDED') return undefined;
  const state = (error.details as { state?: unknown } | undefined)?.state;
  return typeof state === 'string' ? state : 'ended';
}

/**
 * The typed errors of `openForward` as the CLI explains them: a port the job
 * does not allow is fixed in project.yaml; a refusal of the colony names who
 * may forward; anything else keeps its own explanation.
 */
export function explainForwardError(error: unknown, processId: string, remotePort: number): unknown {
  if (CliError.isInstance(error) || !PollinatorError.isInstance(error) || !error.code.startsWith('FORWARD_')) return error;
  if (error.code.includes('NOT_ALLOWED')) {
    const allowed = (error.details as { allowedPorts?: unknown } | undefined)?.allowedPorts;
    const ports = Array.isArray(allowed) ? allowed.filter((port): port is number => typeof port === 'number') : [];
    const runAgain = `add \`tunnel: {port: ${remotePort}}\` to project.yaml and run the project again`;
    return new CliError(`Port ${remotePort} of process ${processId} cannot be forwarded`, {
      why:
        ports.length === 0
          ? 'the job was run without a `tunnel:` block in project.yaml, so its spec allows no port (the executor forwards only the ports a spec names)'
          : `the job's spec allows only port${ports.length === 1 ? '' : 's'} ${ports.join(', ')} (the executor forwards only those)`,
      fix: ports.length === 0 ? `${runAgain[0]?.toUpperCase()}${runAgain.slice(1)}.` : `Forward ${ports.length === 1 ? 'that port' : 'one of those'} (\`pollinator forward ${processId.slice(0, 8)} ${ports[0]}\`), or ${runAgain}.`,
      exitCode: CliExitCode.USAGE,
      code: 'FORWARD_NOT_ALLOWED',
      cause: error,
    });
  }
  if (error.code.includes('SUBMITTER') || error.code.includes('AUTHORIZED')) {
    return new CliError(`Cannot forward to process ${processId}`, {
      why: `${notSubmitterText(processId)}; this identity${typeof error.details?.initiatorId === 'string' ? ` is not its submitter ${error.details.initiatorId}` : ' did not submit it'}`,
      fix: 'Ask the user who submitted it to forward the port, or run the project yourself (`pollinator run`).',
      exitCode: CliExitCode.SUBMISSION_REJECTED,
      code: 'FORWARD_NOT_SUBMITTER',
      cause: error,
    });
  }
  if (error.code.includes('NOT_FOUND')) {
    return new CliError(`No process ${processId}`, { why: error.message, fix: '`pollinator ps` lists the processes of the colony.', exitCode: CliExitCode.USAGE, code: 'NOT_FOUND', cause: error });
  }
  return new CliError('The forward failed', { why: error.message, fix: `\`pollinator status ${processId}\` shows whether the job still runs (-v shows more).`, exitCode: CliExitCode.CONNECTION_LOST, code: error.code, cause: error });
}
