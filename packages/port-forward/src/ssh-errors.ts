// Typed errors of the SSH tunnel mode. Messages name the file, host or port
// and say what to do; they never contain key material.
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const HOST_KEY_MARKER = defineErrorMarker<SshHostKeyError>('SshHostKeyError');
const TUNNEL_MARKER = defineErrorMarker<SshTunnelError>('SshTunnelError');

/** Why a jump host's key was not trusted. */
export type SshHostKeyErrorCode =
  /** Not in any known_hosts file: the user may accept the fingerprint after checking it. */
  | 'SSH_HOST_UNKNOWN'
  /** known_hosts holds another key for this host: possibly an attack; never offered for acceptance. */
  | 'SSH_HOST_KEY_CHANGED'
  /** The key is marked `@revoked` in a known_hosts file. */
  | 'SSH_HOST_KEY_REVOKED';

/** Facts about the refused host key, for a caller that words its own hint. */
export interface SshHostKeyDetails {
  /** The jump host as known_hosts names it: `host`, or `[host]:port` when the port is not 22. */
  readonly hostName: string;
  readonly keyType: string;
  /** `SHA256:` and the unpadded base64 of the key's SHA-256, as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  /** Where an accepted key is written (SSH_HOST_UNKNOWN) or the conflicting entry is (the others). */
  readonly knownHostsPath: string;
  /** 1-based line of the conflicting entry (SSH_HOST_KEY_CHANGED, SSH_HOST_KEY_REVOKED). */
  readonly line?: number;
}

/** The jump host's key is unknown, changed or revoked: the connection was not made. */
export class SshHostKeyError extends PollinatorError {
  declare readonly code: SshHostKeyErrorCode;
  readonly hostKey: SshHostKeyDetails;

  constructor(code: SshHostKeyErrorCode, message: string, hostKey: SshHostKeyDetails) {
    super(code, message, { details: { ...hostKey } });
    this.name = 'SshHostKeyError';
    this.hostKey = hostKey;
    HOST_KEY_MARKER.mark(this);
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static override isInstance(value: unknown): value is SshHostKeyError {
    return HOST_KEY_MARKER.isMarked(value);
  }
}

/** Every other failure of the SSH tunnel. */
export type SshTunnelErrorCode =
  | 'SSH_OPTIONS_INVALID'
  | 'SSH_KEY_MISSING'
  | 'SSH_KEY_UNREADABLE'
  | 'SSH_KEY_ENCRYPTED'
  | 'SSH_KEY_INVALID'
  | 'SSH_KNOWN_HOSTS_UNREADABLE'
  | 'SSH_KNOWN_HOSTS_WRITE_FAILED'
  | 'SSH_CONNECT_FAILED'
  | 'SSH_AUTH_FAILED'
  | 'SSH_LISTEN_FAILED';

export class SshTunnelError extends PollinatorError {
  declare readonly code: SshTunnelErrorCode;

  constructor(code: SshTunnelErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'SshTunnelError';
    TUNNEL_MARKER.mark(this);
  }

  /** `instanceof` that also works across two installed copies of the package. */
  static override isInstance(value: unknown): value is SshTunnelError {
    return TUNNEL_MARKER.isMarked(value);
  }
}
