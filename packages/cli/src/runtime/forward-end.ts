import { printableText, type LinkEnd } from '@pollinator/port-forward';
import { CliExitCode } from '../exit-codes';

/** How a forward ended, for the user and the exit status. */
export interface ForwardEnding {
  /** `interrupted` (Ctrl-C), `process-ended`, or why the link ended otherwise. */
  reason: 'interrupted' | LinkEnd['kind'];
  /** One sentence, ending in what happened to the forward. */
  message: string;
  exitCode: number;
  /** Stable code for `--json` consumers of an ending that is a failure. */
  code: string;
  /** Not the normal end of a forward (the job ending, Ctrl-C): printed as an error. */
  failure: boolean;
  /** The process's state when it ended the forward. */
  state?: string;
  /** What to do, for a failure. */
  fix?: string;
}

/** The server's state names and ours ('success') mean the same. */
function stateWord(state: string): string {
  return state === 'success' ? 'successful' : state;
}

/** Exit like `logs --follow` does for the same ending: 0 successful, 1 failed, 130 cancelled. */
function stateExitCode(state: string): number {
  if (state === 'success' || state === 'successful') return CliExitCode.SUCCESS;
  if (state === 'cancelled') return CliExitCode.CANCELLED;
  return CliExitCode.JOB_FAILED;
}

/** The sentence that tells a user why only the submitter may forward (also the refusal's fix). */
export function notSubmitterText(processId: string): string {
  return `only the user who submitted process ${processId} can forward to it (ColonyOS lets only the submitter and the executor running it use its channels)`;
}

/**
 * What a forward's end means for the user. The job ending is the normal end
 * (its state decides the exit status, as for `logs --follow`); a refusal, a
 * limit of the channels or an error is a failure with a plain reason.
 */
export function describeForwardEnd(linkEnd: LinkEnd | 'interrupted', processId: string): ForwardEnding {
  if (linkEnd === 'interrupted') return { reason: 'interrupted', message: 'Stopped: forward closed.', exitCode: CliExitCode.SUCCESS, code: 'FORWARD_CLOSED', failure: false };
  const end = printableEnd(linkEnd);
  switch (end.kind) {
    case 'process-ended':
      return {
        reason: end.kind,
        message: `The job finished (${stateWord(end.state)}): forward closed.`,
        exitCode: stateExitCode(end.state),
        code: 'FORWARD_PROCESS_ENDED',
        failure: false,
        state: stateWord(end.state),
      };
    case 'closed':
      if (end.by === 'us') return { reason: end.kind, message: 'Forward closed.', exitCode: CliExitCode.SUCCESS, code: 'FORWARD_CLOSED', failure: false };
      return {
        reason: end.kind,
        message: `The executor closed the forward${end.reason === undefined || end.reason === '' ? '' : `: ${end.reason}`}`,
        exitCode: CliExitCode.CONNECTION_LOST,
        code: 'FORWARD_CLOSED_BY_EXECUTOR',
        failure: true,
        fix: `\`pollinator status ${processId}\` shows whether the job still runs; if it does, open the forward again.`,
      };
    case 'refused':
      return refusal(end, processId);
    case 'limit':
      return {
        reason: end.kind,
        message: `The forward reached a limit of the colony: ${end.message}`,
        exitCode: CliExitCode.CONNECTION_LOST,
        code: 'FORWARD_LIMIT',
        failure: true,
        fix: 'A forward carries interactive traffic (a notebook, a dashboard); move large files through cfs/result instead. docs/interactive-jobs.md lists the limits.',
      };
    case 'error':
      return {
        reason: end.kind,
        message: `The forward failed: ${end.message}`,
        exitCode: CliExitCode.CONNECTION_LOST,
        code: 'FORWARD_FAILED',
        failure: true,
        fix: `\`pollinator status ${processId}\` shows whether the job still runs; if it does, open the forward again (-v shows more).`,
      };
  }
}

function refusal(end: Extract<LinkEnd, { kind: 'refused' }>, processId: string): ForwardEnding {
  const base = { reason: end.kind, failure: true } as const;
  switch (end.refusal) {
    case 'not-authorized':
      return {
        ...base,
        message: `The colony refused the forward: ${notSubmitterText(processId)}`,
        exitCode: CliExitCode.SUBMISSION_REJECTED,
        code: 'FORWARD_NOT_SUBMITTER',
        fix: 'Ask the user who submitted it to forward the port, or run the project yourself (`pollinator run`).',
      };
    case 'process-not-found':
      return {
        ...base,
        message: `The colony refused the forward: process ${processId} no longer exists`,
        exitCode: CliExitCode.USAGE,
        code: 'NOT_FOUND',
        fix: '`pollinator ps` lists the processes of the colony.',
      };
    case 'channel-not-found':
      return {
        ...base,
        message: `The colony refused the forward: process ${processId} was submitted without forward channels`,
        exitCode: CliExitCode.USAGE,
        code: 'FORWARD_NOT_ALLOWED',
        fix: 'Add `tunnel: {port: N}` to project.yaml and run the project again: only a run with a tunnel block can be forwarded to.',
      };
    default:
      return {
        ...base,
        message: `The forward reached a limit of the colony: ${end.message}`,
        exitCode: CliExitCode.CONNECTION_LOST,
        code: 'FORWARD_LIMIT',
        fix: 'A forward carries interactive traffic (a notebook, a dashboard); move large files through cfs/result instead. docs/interactive-jobs.md lists the limits.',
      };
  }
}

/** The end with what the other side (or the colony) chose to say made safe for a terminal. */
function printableEnd(end: LinkEnd): LinkEnd {
  if (end.kind === 'closed') return end.reason === undefined ? end : { ...end, reason: printableText(end.reason) };
  if (end.kind === 'process-ended') return { ...end, state: printableText(end.state) };
  return { ...end, message: printableText(end.message) };
}
