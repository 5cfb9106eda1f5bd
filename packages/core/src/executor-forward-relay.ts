/**
 * The executor's side of a keyless port-forward (`pollinator forward`, a
 * project's `tunnel: {port}`) for one running job: while the job is followed,
 * connections the submitter opens over the process's channels are relayed to
 * the job's port where the job runs. Only a spec that declares the forward
 * channels and lists its ports in POLLINATOR_FORWARD_PORTS gets a relay; any
 * other port is refused by the relay itself. What happens is told as one
 * `forward` event per line (never a byte of what is relayed).
 */
import type { ColoniesClient, Process } from '@pollinator/colonies-client';
import { printableText, relayForwards, type RelayEvent } from '@pollinator/port-forward';
import { allowedForwardPorts, declaresForwardChannels, FORWARD_PORTS_ENV } from '@pollinator/spec-builder';
import type { Backend, JobHandle } from './backend';
import type { ExecutorContext } from './executor-context';
import { errorText } from './error-text';
import type { ExecutorClient, ExecutorProcess } from './executor-types';

/** A relayed reason or message is cut to this many characters in the executor's log. */
const MAX_LOG_TEXT = 300;
/** The job's close waits at most this long for the relay to say goodbye to the client. */
const STOP_WAIT_MS = 5000;

/** A running relay; `stop` ends it (idempotent) and resolves once it has ended. */
export interface ForwardRelayRun {
  stop(reason: string): Promise<void>;
}

/**
 * Where a connection to the job goes. A backend that implements `jobAddress`
 * decides alone: its "no address" (a pending job, a container without a
 * network of its own) is not replaced by a guess that could reach more than
 * the job itself can. Without it, the first node of the running status; none
 * when the status names no node (loopback would be the executor's own host,
 * not necessarily the job's: the relay refuses with a reason instead; the
 * local backend, whose jobs do run here, implements `jobAddress`), and none
 * while the job is not running.
 */
export async function addressOfJob(backend: Backend, handle: JobHandle): Promise<string | undefined> {
  if (backend.jobAddress) return backend.jobAddress(handle);
  const status = await backend.status(handle);
  if (status.state !== 'running') return undefined;
  return status.nodes.find((node) => node !== '');
}

/** One line for the executor's log: stream ids, ports, addresses and reasons, never payload. */
export function describeRelayEvent(event: RelayEvent): string {
  switch (event.type) {
    case 'stream-opened':
      return `connection ${event.streamId} relayed to ${event.address}:${event.port}`;
    case 'stream-refused':
      return `connection ${event.streamId} to port ${event.port} refused: ${oneLine(event.reason)}`;
    case 'stream-closed':
      return `connection ${event.streamId} closed${event.reason ? `: ${oneLine(event.reason)}` : ''}`;
    case 'ended':
      return `forward ended: ${oneLine(event.message)}`;
    case 'notice':
      return oneLine(event.text);
    default:
      return `forward: ${oneLine(String((event as { type?: unknown }).type))}`;
  }
}

/** The client's or the job's words on one line, without terminal escapes (the log may be read in a terminal), cut short. */
function oneLine(text: string): string {
  const flat = printableText(text).replace(/\s+/g, ' ').trim();
  return flat.length > MAX_LOG_TEXT ? `${flat.slice(0, MAX_LOG_TEXT - 1)}…` : flat;
}

/**
 * The ports a spec lets a forward reach, or none: it must declare every
 * forward channel and list its ports. A server may send any JSON in either
 * field; anything but names and a string of ports is no forward.
 */
function forwardPortsOf(spec: ExecutorProcess['spec']): number[] {
  const channels = Array.isArray(spec.channels) ? spec.channels.filter((name): name is string => typeof name === 'string') : undefined;
  if (!declaresForwardChannels(channels)) return [];
  const listed: unknown = spec.env?.[FORWARD_PORTS_ENV];
  return typeof listed === 'string' ? allowedForwardPorts({ [FORWARD_PORTS_ENV]: listed }) : [];
}

/** The executor's client, when it can use channels (a real `ColoniesClient`; a test double may not). */
function channelClient(client: ExecutorClient): ColoniesClient | undefined {
  const candidate = client as Partial<Pick<ColoniesClient, 'appendChannel' | 'readChannel'>>;
  return typeof candidate.appendChannel === 'function' && typeof candidate.readChannel === 'function' ? (client as unknown as ColoniesClient) : undefined;
}

/**
 * Starts relaying forwards for a started job when its spec asks for them;
 * undefined when it does not (nothing to stop). Never throws: a relay that
 * cannot start is a warning, the job runs on.
 */
export function startForwardRelay(context: ExecutorContext, process: ExecutorProcess, handle: JobHandle): ForwardRelayRun | undefined {
  const processId = process.processid;
  const ports = forwardPortsOf(process.spec);
  if (ports.length === 0) return undefined;
  const { reporter, settings } = context;
  const log = (message: string) => reporter.emit({ type: 'forward', processId, message });
  const client = channelClient(context.connection.client);
  if (!client) {
    reporter.warn('the spec asks for a port-forward, but this executor’s client cannot use process channels: no forward is relayed', { processId });
    return undefined;
  }
  const controller = new AbortController();
  let relay: ReturnType<typeof relayForwards>;
  try {
    relay = relayForwards({
      client,
      // The executor's process is the client's Process as assigned (structurally a subset in its type).
      process: process as unknown as Process,
      address: () => addressOfJob(settings.backend, handle),
      onEvent: (event: RelayEvent) => log(describeRelayEvent(event)),
      signal: controller.signal,
    });
  } catch (error) {
    reporter.warn(`could not start relaying forwards: ${errorText(error)}`, { processId, cause: error });
    return undefined;
  }
  log(`relaying forwards to port ${ports.join(', ')} of the job`);
  let stopping: Promise<void> | undefined;
  return {
    stop(reason: string): Promise<void> {
      stopping ??= (async () => {
        // The close must not hang on a client that stopped reading: at most STOP_WAIT_MS, then the relay is dropped.
        const wait = new AbortController();
        const closed = Promise.all([Promise.resolve().then(() => relay.close(reason)).catch(() => undefined), relay.ended]);
        await Promise.race([closed, settings.clock.sleep(STOP_WAIT_MS, wait.signal)]);
        wait.abort();
        controller.abort();
      })();
      return stopping;
    },
  };
}
