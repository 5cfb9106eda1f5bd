import { homedir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { ProcessState, type ColoniesClient } from '@pollinator/colonies-client';
import type { PollinatorEvent } from '@pollinator/core';
import type { ProjectTunnel } from '@pollinator/spec-builder';
import type { CommandContext } from '../context';
import type { ColonyConnection } from './colony';
import { CliError } from '../errors';
import { explainForwardError, finalStateOf, processEndedState } from './forward-finish';
import { localPortBesideJob } from './forward-ports';
import { listenErrno, openForwardSession, type ForwardActivity, type ForwardSession, type OpenedListener } from './forward-session';

/** How long a job may run before its NODES attribute is there (the executor records it right after the start). */
const NODES_WAIT_MS = 60_000;
const NODES_POLL_MS = 1000;

export interface RunTunnelOptions {
  connection: ColonyConnection;
  tunnel: ProjectTunnel;
  /** `run --accept-host-key SHA256:…`: the jump host's key the user has checked. */
  acceptHostKey?: string;
}

/** The tunnel of a `pollinator run`: fed the run's events, it opens once the job runs and closes when it ends. */
export interface RunTunnel {
  readonly onEvent: (event: PollinatorEvent) => void;
  /** Closes the forward (if open) and waits until it has. */
  close(): Promise<void>;
}

/**
 * `run` with a `tunnel:` block: once the job is RUNNING, opens the forward
 * (through the colony) or the SSH tunnel (through the project's jump host to
 * the job's first node) next to the log, prints the URL, and closes it when
 * the job ends. A tunnel that fails is a warning: the job and its log go on.
 */
export function startRunTunnel(context: CommandContext, options: RunTunnelOptions): RunTunnel {
  let processId: string | undefined;
  let opening: Promise<ForwardSession | undefined> | undefined;
  let closed = false;
  let announced = false;

  const open = async (id: string): Promise<ForwardSession | undefined> => {
    try {
      const session = await openSession(context, options, id);
      void session.ended.then((ending) => {
        if (closed) return;
        announced = true;
        if (ending.failure) context.output.warn(`${ending.message}${ending.fix === undefined ? '' : `. ${ending.fix}`}`);
        else context.output.info(ending.message);
      });
      return session;
    } catch (error) {
      // A job that ended before the forward opened: its outcome says it all.
      if (processEndedState(error) !== undefined) context.output.debug(`no tunnel: ${(error as Error).message}`);
      else if (!closed) context.output.warn(tunnelFailureText(error, id, options.tunnel));
      return undefined;
    }
  };

  return {
    onEvent: (event) => {
      if (event.type === 'process.submitted') processId = event.processId;
      if (event.type === 'process.state' && event.state === 'running' && opening === undefined && !closed) {
        processId = event.processId;
        opening = open(event.processId);
      }
    },
    close: async () => {
      closed = true;
      const session = await opening;
      if (session === undefined) return;
      await session.close();
      if (!announced) context.output.info(`Forward ${session.url} closed.`);
      context.output.debug(`tunnel of ${processId ?? 'the run'} closed`);
    },
  };
}

async function openSession(context: CommandContext, options: RunTunnelOptions, processId: string): Promise<ForwardSession> {
  const { tunnel, connection } = options;
  const { client } = connection;
  const remotePort = tunnel.port;
  const forward = await import('@pollinator/port-forward');
  if (tunnel.mode === 'forward') {
    const { localPort, note } = localPortBesideJob(connection, { localPort: tunnel.localPort, remotePort });
    if (note !== undefined) context.output.info(note);
    const openAt = (localPort: number, onEvent: (event: ForwardActivity) => void) =>
      forward.openForward({ client, processId, remotePort, localPort, onEvent, signal: context.signal });
    return openForwardSession(context, {
      processId,
      remotePort,
      mode: 'forward',
      insideRun: true,
      open: (onEvent) => withFreePortFallback(context, localPort, (port) => openAt(port, onEvent)),
      endedState: () => finalStateOf(client, processId, context.signal),
    });
  }
  const host = await firstNodeOf(context, client, processId, forward.firstNode);
  return openForwardSession(context, {
    processId,
    remotePort,
    mode: 'ssh',
    host,
    insideRun: true,
    open: (onEvent) =>
      withFreePortFallback(context, tunnel.localPort, (localPort) =>
        forward.openSshTunnel({
          jumpHost: tunnel.jumpHost,
          jumpHostPort: tunnel.jumpHostPort,
          user: tunnel.user,
          // `~/.ssh/id_rsa` is in the user's home; a relative path is relative to the project.
          sshKeyPath: forward.expandHomePath(tunnel.sshKey, context.env.HOME ?? homedir(), context.cwd),
          // This user's known_hosts (the HOME pollinator runs with), and the system's.
          knownHostsPaths: forward.defaultKnownHostsPaths(context.env.HOME ?? homedir()),
          targetHost: host,
          targetPort: remotePort,
          localPort,
          ...(options.acceptHostKey === undefined ? {} : { acceptFingerprint: options.acceptHostKey }),
          onEvent,
        }),
      ),
  });
}

/**
 * After `run --detach` or a Ctrl-C that detached: how to open the project's
 * forward later, next to the other re-attach hints. (An SSH tunnel opens only
 * while `run` follows the job.)
 */
export function printTunnelHint(context: CommandContext, tunnel: ProjectTunnel, processId: string): void {
  if (tunnel.mode !== 'forward' || context.output.isJson) return;
  const mapping = tunnel.localPort === tunnel.port ? String(tunnel.port) : `${tunnel.localPort}:${tunnel.port}`;
  context.output.line(`  ${context.output.colors.dim('forward  ')} pollinator forward ${processId} ${mapping}`);
}

/** The project's port is taken here (another notebook?): a free one instead, said plainly. */
async function withFreePortFallback(context: CommandContext, localPort: number, open: (port: number) => Promise<OpenedListener>): Promise<OpenedListener> {
  try {
    return await open(localPort);
  } catch (error) {
    if (listenErrno(error)?.code !== 'EADDRINUSE' || localPort === 0) throw error;
    context.output.warn(`Port ${localPort} on this machine is in use (tunnel.localPort): forwarding from a free port instead.`);
    return open(0);
  }
}

/** The node the job runs on, from the `NODES` attribute its executor records (a Slurm hostlist). */
async function firstNodeOf(context: CommandContext, client: ColoniesClient, processId: string, firstNode: (nodes: string) => string): Promise<string> {
  const deadline = Date.now() + NODES_WAIT_MS;
  for (;;) {
    const process = await client.getProcess(processId, { signal: context.signal });
    const nodes = process.attributes.find((attribute) => attribute.key === 'NODES')?.value;
    if (nodes !== undefined && nodes.trim() !== '') return firstNode(nodes);
    if (Date.now() >= deadline || process.state !== ProcessState.RUNNING) {
      throw new CliError(`The SSH tunnel has no node to reach`, {
        why: `process ${processId} has no NODES attribute: its executor did not say where the job runs`,
        fix: 'An SSH tunnel reaches a job on a Slurm cluster; on other executors use the keyless forward (remove jumpHost, user and sshKey from the tunnel block).',
        code: 'TUNNEL_NO_NODE',
      });
    }
    // Ctrl-C (the run's signal) cuts the wait short.
    await delay(NODES_POLL_MS, undefined, { signal: context.signal });
  }
}

/** One warning line: what failed, why, and what to do. */
function tunnelFailureText(error: unknown, processId: string, tunnel: ProjectTunnel): string {
  const hostKey = (error as { code?: unknown; hostKey?: { fingerprint?: unknown } } | undefined) ?? {};
  if (hostKey.code === 'SSH_HOST_UNKNOWN' && typeof hostKey.hostKey?.fingerprint === 'string' && (error as Error).message.includes('run again accepting')) {
    return `The SSH tunnel did not open: ${(error as Error).message} To accept it: pollinator run --accept-host-key ${hostKey.hostKey.fingerprint}`;
  }
  const explained = explainForwardError(error, processId, tunnel.port);
  if (CliError.isInstance(explained)) return `The tunnel did not open: ${explained.message}${explained.why === undefined ? '' : `: ${explained.why}`}${explained.fix === undefined ? '' : `. ${explained.fix}`}`;
  return `The tunnel did not open: ${(explained as Error).message ?? String(explained)}. The job runs on; -v shows more.`;
}
