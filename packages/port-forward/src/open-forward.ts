// What the CLI and the executor runtime call: a forward over a process's
// channels, checked first so the user hears "add `tunnel: {port: 8888}` to
// project.yaml" rather than a channel error, and started only once the
// process runs.
import {
  ColoniesError,
  isTerminalProcessState,
  ProcessState,
  processStateName,
  type ColoniesClient,
  type Process,
} from '@pollinator/colonies-client';
import { allowedForwardPorts, declaresForwardChannels } from '@pollinator/spec-builder';
import { ForwardError, ForwardNotAllowedError } from './forward-errors';
import type { ForwardEvent, RelayEvent } from './forward-events';
import { createForwardListener, type ForwardListener } from './forward-listener';
import { serveForwardRelay, type ForwardRelay } from './forward-relay';
import { createChannelLink } from './link';
import type { ChannelLinkOptions, LinkEnd } from './link-types';
import { delay } from './token-bucket';

/** Link settings a caller may tune (tests, benchmarks); the defaults are the protocol's. */
export type ForwardLinkSettings = Pick<ChannelLinkOptions, 'maxAppendBytes' | 'window' | 'appendsPerSecond' | 'burst'>;

export interface OpenForwardOptions {
  client: ColoniesClient;
  processId: string;
  /** The job's port (one its spec allows). */
  remotePort: number;
  /** The port on 127.0.0.1 (0 = any free one). */
  localPort: number;
  onEvent?: (event: ForwardEvent) => void;
  /** Aborting stops waiting for the process, or closes the forward once open. */
  signal?: AbortSignal;
  /** How often to look at a process that is not running yet, ms (default 1000). */
  pollIntervalMs?: number;
  link?: ForwardLinkSettings;
}

/**
 * Checks the process (exists, was submitted by this identity, offers the
 * port), waits until it runs, then listens on 127.0.0.1:`localPort`. Throws
 * ForwardError / ForwardNotAllowedError with what to do.
 */
export async function openForward(options: OpenForwardOptions): Promise<ForwardListener> {
  const { client, processId, remotePort } = options;
  checkPort(remotePort, 'remote port', false);
  checkPort(options.localPort, 'local port', true);
  const emit = options.onEvent ?? (() => undefined);
  let process = await readProcess(client, processId, options.signal);
  checkForwardable(process, remotePort);
  if (client.id !== undefined && process.initiatorid !== client.id) {
    throw new ForwardError(
      'FORWARD_NOT_SUBMITTER',
      `only the submitter of process ${processId} can forward to it, and this identity (${client.id}) did not submit it: use the identity that ran the job`,
      { details: { processId, initiatorId: process.initiatorid } },
    );
  }
  process = await waitUntilRunning(process, options, emit);
  const link = createChannelLink({
    client,
    processId,
    role: 'submitter',
    ...options.link,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onNotice: (text) => emit({ type: 'notice', text }),
  });
  const listener = await createForwardListener({
    link,
    remotePort,
    localPort: options.localPort,
    onEvent: emit,
    ...(options.link?.maxAppendBytes === undefined ? {} : { maxWriteBytes: options.link.maxAppendBytes }),
  });
  const signal = options.signal;
  if (signal !== undefined) {
    const stop = () => void listener.close('the forward was stopped');
    signal.addEventListener('abort', stop, { once: true });
    // A long-lived signal (the CLI's Ctrl-C) outlives the forward: do not keep the listener (and its link) reachable from it.
    void listener.ended.then(() => signal.removeEventListener('abort', stop));
  }
  return listener;
}

export interface RelayForwardsOptions {
  /** The executor's client (the process's assigned executor). */
  client: ColoniesClient;
  process: Process;
  /** Where the job runs (node, pod IP, 127.0.0.1), asked at each connection. */
  address: () => Promise<string | undefined>;
  onEvent?: (event: RelayEvent) => void;
  /** Aborting closes the relay (e.g. when the job ends). */
  signal?: AbortSignal;
  maxStreams?: number;
  connectTimeoutMs?: number;
  link?: ForwardLinkSettings;
}

/** Pause between two relay sessions (bounds a peer that opens and closes in a loop). */
const SESSION_PAUSE_MS = 200;

/**
 * The executor side for one running process: relays the submitter's
 * connections to the ports the spec allows. When the submitter closes its
 * forward (`pollinator forward` stopped), a new session starts for the next
 * one; the relay ends when the process ends, the link fails, or on close /
 * abort. Throws ForwardNotAllowedError when the spec declares no forward (the
 * runtime checks before it calls).
 */
export function relayForwards(options: RelayForwardsOptions): ForwardRelay {
  const { process } = options;
  const allowedPorts = allowedForwardPorts(process.spec.env);
  if (!declaresForwardChannels(process.spec.channels) || allowedPorts.length === 0) {
    throw new ForwardNotAllowedError(process.processid, 0, allowedPorts, `process ${process.processid} declares no forward (its spec needs the forward channels and POLLINATOR_FORWARD_PORTS): nothing to relay`);
  }
  const emit = options.onEvent ?? (() => undefined);
  let current: ForwardRelay | undefined;
  let stopReason: { reason?: string } | undefined;
  const stopped = () => stopReason !== undefined || options.signal?.aborted === true;

  const session = (): ForwardRelay => {
    const link = createChannelLink({
      client: options.client,
      processId: process.processid,
      role: 'executor',
      peerId: process.initiatorid,
      ...options.link,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onNotice: (text) => emit({ type: 'notice', text }),
    });
    return serveForwardRelay({
      link,
      allowedPorts,
      address: options.address,
      onEvent: emit,
      ...(options.maxStreams === undefined ? {} : { maxStreams: options.maxStreams }),
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.link?.maxAppendBytes === undefined ? {} : { maxWriteBytes: options.link.maxAppendBytes }),
    });
  };

  const run = async (): Promise<LinkEnd> => {
    for (;;) {
      current = session();
      const end = await current.ended;
      // Only the submitter's close starts another session: anything else (process ended, refused, limit, error) is final.
      if (stopped() || end.kind !== 'closed' || end.by !== 'peer') return end;
      if (!(await delay(SESSION_PAUSE_MS, options.signal)) || stopped()) return end;
    }
  };
  const ended = run();
  const close = async (reason?: string): Promise<void> => {
    stopReason ??= reason === undefined ? {} : { reason };
    await current?.close(stopReason.reason);
    await ended;
  };
  const signal = options.signal;
  if (signal !== undefined) {
    const stop = () => void close('the job has ended');
    signal.addEventListener('abort', stop, { once: true });
    void ended.then(() => signal.removeEventListener('abort', stop));
  }
  return { ended, close };
}

function checkPort(port: number, what: string, zeroAllowed: boolean): void {
  if (Number.isInteger(port) && port <= 65_535 && (port >= 1 || (zeroAllowed && port === 0))) return;
  throw new ForwardError('FORWARD_INVALID_PORT', `the ${what} ${port} is not a TCP port (1 … 65535${zeroAllowed ? ', or 0 for any free one' : ''})`, { details: { port } });
}

async function readProcess(client: ColoniesClient, processId: string, signal: AbortSignal | undefined): Promise<Process> {
  try {
    return await client.getProcess(processId, signal === undefined ? undefined : { signal });
  } catch (error) {
    if (ColoniesError.isInstance(error) && error.isNotFound) {
      throw new ForwardError('FORWARD_PROCESS_NOT_FOUND', `process ${processId} was not found in the colony: check the id (pollinator status lists your runs)`, {
        details: { processId },
        cause: error,
      });
    }
    throw error;
  }
}

/** The spec must declare the forward channels and allow `port`; else the user must add a tunnel and run again. */
function checkForwardable(process: Process, port: number): void {
  const processId = process.processid;
  const allowed = allowedForwardPorts(process.spec.env);
  if (!declaresForwardChannels(process.spec.channels) || allowed.length === 0) {
    throw new ForwardNotAllowedError(
      processId,
      port,
      [],
      `process ${processId} was not started with a forward: add \`tunnel: {port: ${port}}\` to project.yaml and run the job again`,
    );
  }
  if (!allowed.includes(port)) {
    throw new ForwardNotAllowedError(
      processId,
      port,
      allowed,
      `port ${port} is not forwarded for process ${processId} (it allows ${allowed.join(', ')}): forward one of those, or set \`tunnel: {port: ${port}}\` in project.yaml and run the job again`,
    );
  }
}

function endedError(process: Process): ForwardError {
  const state = processStateName(process.state).toLowerCase();
  return new ForwardError('FORWARD_PROCESS_ENDED', `process ${process.processid} has ended (${state}): a forward needs a running job; run it again`, {
    details: { processId: process.processid, state },
  });
}

async function waitUntilRunning(first: Process, options: OpenForwardOptions, emit: (event: ForwardEvent) => void): Promise<Process> {
  let process = first;
  let reported: number | undefined;
  const interval = options.pollIntervalMs ?? 1000;
  for (;;) {
    if (isTerminalProcessState(process.state)) throw endedError(process);
    if (process.state === ProcessState.RUNNING) return process;
    if (reported !== process.state) {
      reported = process.state;
      emit({ type: 'waiting', processId: process.processid, state: processStateName(process.state).toLowerCase() });
    }
    if (!(await delay(interval, options.signal))) throw new ForwardError('FORWARD_ABORTED', 'the forward was stopped while waiting for the process to run');
    process = await readProcess(options.client, process.processid, options.signal);
  }
}
