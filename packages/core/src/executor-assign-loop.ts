/**
 * The assign loop, which is also the executor's heartbeat: it long-polls for
 * a process while there is capacity, and while at capacity still sends an
 * assign that cannot match (the server's liveness check) every heartbeat
 * interval. Failed assigns back off exponentially.
 */
import { backoffDelay } from '@pollinator/backend';
import { UnreadableProcessError } from '@pollinator/colonies-client';
import { admission } from './executor-capacity';
import type { ExecutorContext } from './executor-context';
import { answerPreflight } from './executor-job-preflight';
import { JobSession } from './executor-job-session';
import { PREFLIGHT_FUNCNAME } from './preflight-answer';
import { errorText } from './error-text';

interface AssignRequest {
  timeout: number;
  availableCpu: string;
  availableMem: string;
  colonyName?: string;
}

/** Past this many failures in a row the delay stays at its maximum (the count stops growing). */
const MAX_COUNTED_FAILURES = 32;

/** An assign that matches nothing asking for any cpu or memory, sent only to keep the heartbeat. */
const HEARTBEAT_ASSIGN = { timeout: -1, availableCpu: '0m', availableMem: '0Mi' } as const;

/** The next assign to send, or undefined after waiting for a slot (look again). */
async function nextAssignRequest(context: ExecutorContext, lastAssign: number, stopSignal: AbortSignal): Promise<AssignRequest | undefined> {
  const { settings, jobs } = context;
  const colony = settings.colonyName ? { colonyName: settings.colonyName } : {};
  const free = admission(jobs.demands(), settings.maxConcurrency, settings.resources);
  if (free.admit) {
    return { timeout: settings.assignTimeoutSeconds, availableCpu: free.availableCpu, availableMem: free.availableMem, ...colony };
  }
  const wait = settings.heartbeatIntervalMs - (settings.clock.now() - lastAssign);
  if (wait > 0) {
    await jobs.waitForSlot(wait, stopSignal);
    return undefined;
  }
  return { ...HEARTBEAT_ASSIGN, ...colony };
}

/**
 * Runs until a shutdown is requested; an in-flight poll is awaited, not
 * aborted: a process the server assigns meanwhile is ours and must be run,
 * never orphaned.
 */
export async function runAssignLoop(context: ExecutorContext, stopSignal: AbortSignal): Promise<void> {
  const { settings, reporter, jobs } = context;
  const backoff = { initialDelayMs: settings.assignBackoff.initialMs, maxDelayMs: settings.assignBackoff.maxMs };
  let failures = 0;
  let lastAssign = settings.clock.now();
  while (!context.shutdownMode()) {
    const request = await nextAssignRequest(context, lastAssign, stopSignal);
    if (!request) continue;
    let assigned;
    try {
      lastAssign = settings.clock.now();
      assigned = await context.connection.client.assign(request);
      failures = 0;
    } catch (error) {
      if (UnreadableProcessError.isInstance(error)) {
        // Assigned to us but undecodable: close it failed rather than leave it RUNNING for ever.
        await reporter.closeUnreadable(error);
        continue;
      }
      if (context.shutdownMode()) break;
      const delay = backoffDelay(failures, backoff);
      failures = Math.min(failures + 1, MAX_COUNTED_FAILURES);
      reporter.warn(`assign failed, retrying in ${delay / 1000} s: ${errorText(error)}`, { cause: error });
      await settings.clock.sleep(delay, stopSignal);
      continue;
    }
    if (assigned) {
      const process = assigned;
      // A preflight (`plan --check`) is answered by the backend, never run as a job.
      const session =
        process.spec.funcname === PREFLIGHT_FUNCNAME
          ? () => answerPreflight(context, process)
          : (signal: AbortSignal) => new JobSession(context, process, signal).execute();
      jobs.track(process, session, context.shutdownMode());
    }
  }
}
