import { ColoniesClientError, ColoniesError, UnreadableProcessError, type ColoniesClient } from '@pollinator/colonies-client';
import type { FunctionSpec } from '@pollinator/spec-builder';
import type { PollinatorEvent, RunResult } from './events';
import { ExitCode } from './exit-codes';
import { stopped } from './run-stop';

/**
 * Submits a spec and emits `process.submitted`; a failure is an `error` event
 * and a `not-submitted` result (or, when the server created the process but its
 * reply cannot be read, the process named so it can be cancelled).
 */
export async function submitSpec(
  client: Pick<ColoniesClient, 'submit'>,
  spec: FunctionSpec,
  colonyName: string,
  emit: (event: PollinatorEvent) => void,
): Promise<{ processId: string } | { stop: RunResult }> {
  try {
    const process = await client.submit(spec);
    emit({ type: 'process.submitted', processId: process.processid, colonyName });
    return { processId: process.processid };
  } catch (error) {
    if (UnreadableProcessError.isInstance(error) && error.processId) {
      // The server created the process; only its reply is beyond what this
      // client reads. Name it, so the user can look at it or cancel it.
      emit({ type: 'process.submitted', processId: error.processId, colonyName });
      return {
        stop: stopped(
          emit,
          'PROCESS_UNREADABLE',
          `process ${error.processId} was created, but the server's reply cannot be read (${error.reason}); cancel it with \`pollinator cancel ${error.processId}\` if it should not run`,
          ExitCode.SUBMISSION_REJECTED,
          { processId: error.processId, state: 'waiting' },
        ),
      };
    }
    if (ColoniesError.isInstance(error) || !ColoniesClientError.isInstance(error) || !error.retryable) {
      return { stop: stopped(emit, 'SUBMISSION_REJECTED', `the server refused the submission: ${(error as Error).message}`, ExitCode.SUBMISSION_REJECTED) };
    }
    return {
      stop: stopped(
        emit,
        'CONNECTION_LOST',
        `submitting failed, the server could not be reached (the process may or may not exist; list processes to check): ${(error as Error).message}`,
        ExitCode.CONNECTION_LOST,
      ),
    };
  }
}
