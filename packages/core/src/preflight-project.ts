/**
 * The submitter's side of `pollinator plan --check`: the project's spec is
 * sent as a short-lived preflight process (its own funcname, the same
 * conditions and kwargs, no staging, a short maxwaittime) and the answer of
 * the executor that takes it is read from its output. Nothing is uploaded,
 * snapshotted or run.
 */
import { delay } from '@pollinator/backend';
import { isTerminalProcessState, ProcessState, type ColoniesClient, type FunctionSpec } from '@pollinator/colonies-client';
import { PREFLIGHT_FUNCNAME, readPreflightOutput, type PreflightAnswer } from './preflight-answer';

/** How long a preflight waits for an executor by default, in seconds. */
export const DEFAULT_PREFLIGHT_WAIT_SECONDS = 30;

/** How often the preflight process is read while it waits. */
const POLL_INTERVAL_MS = 250;

/** Past its maxwaittime, the server's own expiry gets this long to fail the process before we remove it. */
const EXPIRY_GRACE_MS = 5_000;

export type PreflightResult =
  | { kind: 'answered'; processId: string; answer: PreflightAnswer }
  /** An executor took the process and failed it without an answer. */
  | { kind: 'failed'; processId: string; message: string }
  /** No executor took it in time (none is up, or only executors that ignore the preflight funcname). */
  | { kind: 'no-answer'; processId: string; waitedSeconds: number };

/** The preflight process spec for a job spec: same targeting and kwargs, no staging, gone after `waitSeconds`. */
export function preflightSpec(spec: FunctionSpec, waitSeconds: number): FunctionSpec {
  return { ...spec, funcname: PREFLIGHT_FUNCNAME, maxwaittime: waitSeconds, fs: { mount: spec.fs.mount, snapshots: [], dirs: [] } };
}

export interface PreflightOptions {
  client: Pick<ColoniesClient, 'submit' | 'getProcess' | 'removeProcess'>;
  /** The spec `run` would submit. */
  spec: FunctionSpec;
  waitSeconds?: number;
  signal?: AbortSignal;
}

/** Submits the preflight and waits for its answer; a process nobody answered is removed, not left behind. */
export async function preflightProject(options: PreflightOptions): Promise<PreflightResult> {
  const { client, signal } = options;
  const waitSeconds = options.waitSeconds ?? DEFAULT_PREFLIGHT_WAIT_SECONDS;
  const submitted = await client.submit(preflightSpec(options.spec, waitSeconds), { ...(signal ? { signal } : {}) });
  const processId = submitted.processid;
  const deadline = Date.now() + waitSeconds * 1000 + EXPIRY_GRACE_MS;
  let process = submitted;
  while (!isTerminalProcessState(process.state) && Date.now() < deadline && !signal?.aborted) {
    await delay(POLL_INTERVAL_MS, signal);
    process = await client.getProcess(processId);
  }
  if (process.state === ProcessState.SUCCESS) {
    const answer = readPreflightOutput(process.out);
    if (answer) return { kind: 'answered', processId, answer };
    return { kind: 'failed', processId, message: 'the executor closed the preflight without an answer (not a Pollinator executor?)' };
  }
  // Taken and failed by an executor: its errors say why. Failed while never assigned: the wait time ran out.
  if (process.state === ProcessState.FAILED && process.assignedexecutorid !== '' && process.errors.length > 0) {
    return { kind: 'failed', processId, message: process.errors.join('; ') };
  }
  if (!isTerminalProcessState(process.state)) await client.removeProcess(processId).catch(() => undefined);
  return { kind: 'no-answer', processId, waitedSeconds: waitSeconds };
}
