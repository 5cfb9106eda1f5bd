// The trust decision for a jump host's key, apart from the SSH plumbing so it
// reads in one place: known → go on; unknown → refuse with the fingerprint,
// unless the user accepted exactly that fingerprint (then remember it);
// changed or revoked → refuse, whatever the user accepted.
import { appendKnownHost, checkHostKey, hostKeyFingerprint, keyTypeOf, knownHostsName, type KnownHostEntry } from './known-hosts';
import { SshHostKeyError, SshTunnelError } from './ssh-errors';

export interface HostKeyCheck {
  host: string;
  port: number;
  /** The key the server presented, SSH wire format. */
  key: Buffer;
  user: string;
  entries: readonly KnownHostEntry[];
  /** An accepted key is appended to the first. */
  knownHostsPaths: readonly string[];
  acceptFingerprint?: string;
  emit: (event: { type: 'host-key-accepted'; fingerprint: string; knownHostsPath: string }) => void;
}

/** Resolves when the key may be trusted (appending it when accepted); rejects with `SshHostKeyError`. */
export async function verifyJumpHostKey(check: HostKeyCheck): Promise<void> {
  const verdict = checkHostKey(check.entries, check.host, check.port, check.key);
  if (verdict.status === 'known') return;
  const hostName = knownHostsName(check.host, check.port);
  const fingerprint = hostKeyFingerprint(check.key);
  const keyType = keyTypeOf(check.key) ?? 'unknown';
  if (verdict.status === 'revoked' || verdict.status === 'changed') {
    const { path, line } = verdict.entry;
    const facts = { hostName, keyType, fingerprint, knownHostsPath: path, line };
    if (verdict.status === 'revoked') {
      throw new SshHostKeyError('SSH_HOST_KEY_REVOKED', `The jump host ${hostName} presented a key that line ${line} of ${path} marks as revoked (${keyType} ${fingerprint}). Not connecting; ask the host's administrators.`, facts);
    }
    throw new SshHostKeyError(
      'SSH_HOST_KEY_CHANGED',
      `The host key of the jump host ${hostName} has CHANGED: it presented ${keyType} ${fingerprint}, but line ${line} of ${path} holds a different ${verdict.entry.keyType} key. ` +
        'Someone may be intercepting the connection, or the host was reinstalled. Not connecting. ' +
        `Ask the host's administrators for the new fingerprint; only if it matches, remove the old entry (ssh-keygen -R '${hostName}' -f ${path}) and run again.`,
      facts,
    );
  }
  const knownHostsPath = check.knownHostsPaths[0];
  if (knownHostsPath === undefined) throw new SshTunnelError('SSH_OPTIONS_INVALID', 'knownHostsPaths is empty: name at least one known_hosts file.');
  const facts = { hostName, keyType, fingerprint, knownHostsPath };
  if (check.acceptFingerprint === undefined) {
    throw new SshHostKeyError(
      'SSH_HOST_UNKNOWN',
      `The jump host ${hostName} is not in your known hosts; its ${keyType} key fingerprint is ${fingerprint}. ` +
        `Check it with the host's administrators (on the host: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then run again accepting ${fingerprint}, ` +
        `or connect once with ssh -p ${check.port} ${check.user}@${check.host} and answer yes.`,
      facts,
    );
  }
  if (check.acceptFingerprint.trim() !== fingerprint) {
    throw new SshHostKeyError(
      'SSH_HOST_UNKNOWN',
      `The jump host ${hostName} presented the ${keyType} key ${fingerprint}, not the ${check.acceptFingerprint.trim()} you accepted. Not connecting: check the fingerprint with the host's administrators.`,
      facts,
    );
  }
  await appendKnownHost(knownHostsPath, check.host, check.port, check.key);
  check.emit({ type: 'host-key-accepted', fingerprint, knownHostsPath });
}
