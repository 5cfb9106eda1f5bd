import { usageError } from '../errors';
import type { ColonyConnection } from './colony';

/** What `pollinator forward <id> [localPort:]remotePort` was asked to connect. */
export interface PortMapping {
  /** Port on this machine's loopback; 0 = any free port. */
  localPort: number;
  /** Port the job listens on. */
  remotePort: number;
}

const MAPPING = /^(?:(\d{1,5}):)?(\d{1,5})$/;

/**
 * Reads `8888` (the same port here and there, as `ssh -L` users expect),
 * `18888:8888` (another local port) or `0:8888` (any free local port).
 */
export function parsePortMapping(text: string): PortMapping {
  const match = MAPPING.exec(text.trim());
  const fix = 'Give the job\'s port, optionally preceded by a local port and a colon: `8888`, `18888:8888`, or `0:8888` for any free local port.';
  if (match === null) throw usageError(`"${text}" is not a port mapping`, fix);
  const remotePort = Number(match[2]);
  const localPort = match[1] === undefined ? remotePort : Number(match[1]);
  if (remotePort < 1 || remotePort > 65_535) throw usageError(`The job's port ${remotePort} is not a TCP port (1–65535)`, fix);
  if (localPort > 65_535) throw usageError(`The local port ${localPort} is not a TCP port (0–65535; 0 picks a free one)`, fix);
  return { localPort, remotePort };
}

/** The address the forward listens on, as the user types it into a browser. */
export function localUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/**
 * On the embedded default without containers the job is a process of this
 * machine: it listens on the very port the forward would take here. Asked for
 * the same port on both sides, the forward takes a free one instead (else it
 * would take the job's port before the job does, and relay to itself).
 */
export function localPortBesideJob(connection: Pick<ColonyConnection, 'mode' | 'embedded'>, mapping: PortMapping): { localPort: number; note?: string } {
  const runtime = connection.embedded?.advertisement.jobRuntime;
  const plainProcess = connection.mode === 'embedded' && runtime !== 'docker' && runtime !== 'podman';
  if (!plainProcess || mapping.localPort !== mapping.remotePort) return { localPort: mapping.localPort };
  return {
    localPort: 0,
    note: `The job runs on this machine (embedded default, no containers) and listens on port ${mapping.remotePort} itself: the forward takes a free local port.`,
  };
}
