import type { Process } from '@pollinator/colonies-client';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { connectColony } from '../runtime/colony';
import { describeForwardEnd, type ForwardEnding } from '../runtime/forward-end';
import { explainForwardError, FINAL_STATES, finalStateOf, finishForward, processEndedState, untilInterrupted } from '../runtime/forward-finish';
import { localPortBesideJob, parsePortMapping } from '../runtime/forward-ports';
import { openForwardSession } from '../runtime/forward-session';
import { withProcess } from '../runtime/lookups';
import { resolveProcessRef } from '../runtime/process-ref';

/**
 * `pollinator forward <id> [localPort:]remotePort`: a port of a running job
 * on this machine's loopback, through the colony (the process's channels),
 * without SSH keys. Runs until Ctrl-C or the job ends; exits as the job did
 * (0 successful, 1 failed), 0 on Ctrl-C, and with a reason otherwise.
 */
export async function run(context: CommandContext, idArgument: string, mappingArgument: string): Promise<number> {
  const mapping = parsePortMapping(mappingArgument);
  const { remotePort } = mapping;
  const connection = await connectColony(context, { executor: true });
  const processId = await resolveProcessRef(context, connection, idArgument);
  const process = await withProcess(context, connection, processId, () => connection.client.getProcess(processId, { signal: context.signal }));
  await refuseEarly(process, remotePort);
  const { localPort, note } = localPortBesideJob(connection, mapping);
  if (note !== undefined) context.output.info(note);

  const { openForward } = await import('@pollinator/port-forward');
  let ending: ForwardEnding;
  try {
    const session = await openForwardSession(context, {
      processId,
      remotePort,
      mode: 'forward',
      open: (onEvent) => openForward({ client: connection.client, processId, remotePort, localPort, onEvent, signal: context.signal }),
      endedState: () => finalStateOf(connection.client, processId, context.signal),
    });
    ending = await Promise.race([session.ended, untilInterrupted(context.signal).then(() => session.close())]);
  } catch (error) {
    if (context.signal.aborted) return finishForward(context, { reason: 'interrupted', message: 'Stopped before the forward opened.', exitCode: CliExitCode.SUCCESS, code: 'FORWARD_CLOSED', failure: false }, processId);
    // The job ended while the forward waited for it to run: the same ending as once open.
    const endedState = processEndedState(error);
    if (endedState !== undefined) return finishForward(context, describeForwardEnd({ kind: 'process-ended', state: endedState }, processId), processId);
    throw explainForwardError(error, processId, remotePort);
  }
  return finishForward(context, ending, processId);
}

/**
 * A process that ended before the command started has nothing to forward to
 * (openForward would report it as one that ended while waiting). Everything
 * else openForward checks itself, first the port: a job run without the
 * port in its spec is told to add it, whatever its state.
 */
async function refuseEarly(process: Process, remotePort: number): Promise<void> {
  const { allowedForwardPorts, declaresForwardChannels } = await import('@pollinator/spec-builder');
  const allowsPort = declaresForwardChannels(process.spec.channels) && allowedForwardPorts(process.spec.env).includes(remotePort);
  const ended = FINAL_STATES.get(process.state);
  if (allowsPort && ended !== undefined) {
    throw new CliError(`Process ${process.processid} has already ended`, {
      why: `the job finished (${ended}): there is nothing to forward to`,
      fix: '`pollinator run` starts the project again; with a `tunnel:` block in project.yaml it opens the forward itself.',
      exitCode: CliExitCode.USAGE,
      code: 'ALREADY_ENDED',
    });
  }
}
