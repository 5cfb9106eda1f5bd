import { printableText, type ForwardEvent, type LinkEnd, type SshTunnelEvent } from '@pollinator/port-forward';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { describeForwardEnd, type ForwardEnding } from './forward-end';
import { localUrl } from './forward-ports';

/** What the streams layer reports while a forward is open. */
export type ForwardActivity = ForwardEvent | SshTunnelEvent;

/** A listening forward or SSH tunnel (both have this shape). */
export interface OpenedListener {
  readonly port: number;
  close(): Promise<void>;
  readonly ended: Promise<LinkEnd>;
}

export interface ForwardSessionOptions {
  processId: string;
  remotePort: number;
  /** `forward`: through the colony's channels; `ssh`: through the project's jump host. */
  mode: 'forward' | 'ssh';
  /** The host an SSH tunnel reaches (the job's first node). */
  host?: string;
  /** Opens the listener, passing on what happens to its connections. */
  open(onEvent: (event: ForwardActivity) => void): Promise<OpenedListener>;
  /** `pollinator run`: the job's log shares the terminal, so the URL goes to stderr and no Ctrl-C hint. */
  insideRun?: boolean;
  /**
   * The process's final state once it has ended (undefined while it runs).
   * Asked when the other side closed the forward: the executor closes it
   * when the job ends, a moment before the process is closed.
   */
  endedState?: () => Promise<string | undefined>;
}

/** An open forward: where it listens, and its end. */
export interface ForwardSession {
  readonly url: string;
  readonly port: number;
  /** Settles when the forward ends: the job ended, the link failed, or `close()`/Ctrl-C. */
  readonly ended: Promise<ForwardEnding>;
  close(): Promise<ForwardEnding>;
}

/** `3f2a9c01…`: enough of an id to recognise it in one line. */
export function shortId(processId: string): string {
  return `${processId.slice(0, 8)}…`;
}

/**
 * Opens a forward and reports it the way every command does: the URL once it
 * listens, connections with -v, `forward.*` events with --json. The caller
 * decides what the end means for its exit status.
 */
export async function openForwardSession(context: CommandContext, options: ForwardSessionOptions): Promise<ForwardSession> {
  const { output } = context;
  const { processId, remotePort } = options;
  const report = (event: ForwardActivity) => reportActivity(context, processId, event);
  let listener: OpenedListener;
  try {
    listener = await options.open(report);
  } catch (error) {
    throw explainListenError(error, remotePort);
  }
  const url = localUrl(listener.port);
  const target = options.mode === 'ssh' ? `port ${remotePort} of ${options.host ?? 'the job\'s node'} (job ${shortId(processId)}, over SSH)` : `port ${remotePort} of job ${shortId(processId)}`;
  if (output.isJson) {
    output.json({ type: 'forward.listening', processId, url, localPort: listener.port, remotePort, mode: options.mode, ...(options.host === undefined ? {} : { host: options.host }) });
  } else if (options.insideRun === true) {
    output.step(`Forwarding ${url} → ${target}; closes when the job ends`);
  } else {
    output.result(`Forwarding ${url} → ${target}; Ctrl-C to stop`);
  }

  let closing = false;
  const ended = (async (): Promise<ForwardEnding> => {
    const end = await listener.ended;
    if (closing) return describeForwardEnd('interrupted', processId);
    if (end.kind === 'closed' && end.by === 'peer' && options.endedState !== undefined) {
      const state = await options.endedState().catch(() => undefined);
      if (state !== undefined) return describeForwardEnd({ kind: 'process-ended', state }, processId);
    }
    return describeForwardEnd(end, processId);
  })();
  return {
    url,
    port: listener.port,
    ended,
    close: async () => {
      closing = true;
      await listener.close();
      return ended;
    },
  };
}

/** One thing that happened, as printed: the `forward.<type>` event and its line for humans. */
interface Reported {
  type: 'waiting' | 'connection' | 'connection-opened' | 'connection-closed' | 'refused' | 'notice';
  fields: Record<string, string | number>;
  text: string;
  /** Shown without -v (waiting, notices); connections only with -v. */
  always: boolean;
}

/** The events of the keyless forward and of the SSH tunnel, in the CLI's words (undefined: not shown). */
export function reportedActivity(event: ForwardEvent | SshTunnelEvent): Reported | undefined {
  const reported = describeActivity(event);
  if (reported === undefined) return undefined;
  // Reasons and messages come from the executor, the job or the jump host: no terminal escapes reach the screen.
  const fields = Object.fromEntries(Object.entries(reported.fields).map(([key, value]) => [key, typeof value === 'string' ? printableText(value) : value]));
  return { ...reported, fields, text: printableText(reported.text) };
}

function describeActivity(event: ForwardEvent | SshTunnelEvent): Reported | undefined {
  switch (event.type) {
    case 'waiting':
      return {
        type: 'waiting',
        fields: { state: event.state },
        text: `The job is ${event.state === 'waiting' ? 'waiting for an executor' : event.state}: the forward opens once it runs.`,
        always: true,
      };
    case 'notice':
      return { type: 'notice', fields: { message: event.text }, text: event.text, always: false };
    case 'connection': {
      const id = 'streamId' in event ? event.streamId : event.connectionId;
      return { type: 'connection', fields: { connection: id }, text: `connection ${id} opened`, always: false };
    }
    case 'connection-opened':
      return { type: 'connection-opened', fields: { connection: event.streamId }, text: `connection ${event.streamId} reached the job`, always: false };
    case 'connection-closed': {
      const id = 'streamId' in event ? event.streamId : event.connectionId;
      const reason = 'reason' in event && event.reason !== undefined ? event.reason : undefined;
      return { type: 'connection-closed', fields: { connection: id, ...(reason === undefined ? {} : { reason }) }, text: `connection ${id} closed${reason === undefined ? '' : `: ${reason}`}`, always: false };
    }
    case 'refused':
      return { type: 'refused', fields: { connection: event.streamId, reason: event.reason }, text: `connection ${event.streamId} refused: ${event.reason}`, always: true };
    case 'connection-failed':
      return { type: 'refused', fields: { connection: event.connectionId, reason: event.message }, text: `connection ${event.connectionId} failed: ${event.message}`, always: true };
    case 'host-key-accepted':
      return { type: 'notice', fields: { message: `accepted the jump host's key ${event.fingerprint} (written to ${event.knownHostsPath})` }, text: `Accepted the jump host's key ${event.fingerprint} (written to ${event.knownHostsPath}).`, always: true };
    case 'connecting':
      return { type: 'notice', fields: { message: `connecting to ${event.jumpHost}:${event.port}` }, text: `Connecting to ${event.jumpHost}:${event.port}…`, always: false };
    case 'disconnected':
      return { type: 'notice', fields: { message: event.message }, text: event.message, always: true };
    default:
      // 'listening' and 'ended': the session prints its own line for both.
      return undefined;
  }
}

/** What happens to connections: -v shows them, --json always; waiting and refusals always. */
function reportActivity(context: CommandContext, processId: string, event: ForwardEvent | SshTunnelEvent): void {
  const { output } = context;
  const reported = reportedActivity(event);
  if (reported === undefined) return;
  if (output.isJson) output.json({ type: `forward.${reported.type}`, processId, ...reported.fields });
  else if (reported.always || context.options.verbose === true) output.info(reported.text);
}

/** The local port is taken, or not ours to take: say which and what to do. */
function explainListenError(error: unknown, remotePort: number): unknown {
  const errno = listenErrno(error);
  if (errno === undefined) return error;
  const { code, port } = errno;
  if (code === 'EADDRINUSE') {
    return new CliError(`Cannot listen on 127.0.0.1:${port ?? ''}`.replace(/:$/, ''), {
      why: 'another program uses that port on this machine',
      fix: `Choose another local port (\`<local port>:${remotePort}\`), or \`0:${remotePort}\` for any free one.`,
      exitCode: CliExitCode.USAGE,
      code: 'FORWARD_PORT_IN_USE',
      cause: error,
    });
  }
  if (code === 'EACCES') {
    return new CliError(`Cannot listen on 127.0.0.1:${port ?? ''}`.replace(/:$/, ''), {
      why: 'ports below 1024 need privileges on this machine',
      fix: `Use a local port of 1024 or more (\`<local port>:${remotePort}\`), or \`0:${remotePort}\` for any free one.`,
      exitCode: CliExitCode.USAGE,
      code: 'FORWARD_PORT_DENIED',
      cause: error,
    });
  }
  return error;
}

/** The system error under a listener that could not bind (the forward's and the SSH tunnel's errors wrap it). */
export function listenErrno(error: unknown): { code: string; port?: number } | undefined {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 4; depth += 1) {
    const { code, port } = current as { code?: unknown; port?: unknown };
    if (code === 'EADDRINUSE' || code === 'EACCES') return { code, ...(typeof port === 'number' ? { port } : {}) };
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
