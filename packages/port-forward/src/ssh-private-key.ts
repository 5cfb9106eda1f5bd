// Loads the private key file a project names (the original's `tunnel.sshKey`)
// and checks it before any connection: a missing, unreadable, encrypted or
// non-key file gets an error that names the file and says what to do. The
// key's bytes never reach a message, an event or an error's cause.
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { SshTunnelError } from './ssh-errors';

// ssh2 is CommonJS and Node's ESM loader cannot see `utils` among its named exports
// (the CLI binary failed to load with "does not provide an export named 'utils'").
const { utils } = ssh2;

/** A private key file is a few KiB; anything much larger is the wrong file. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** `~` and `~/x` → the home directory (the original did not expand it); other paths resolved from `cwd`. */
export function expandHomePath(path: string, home: string = homedir(), cwd: string = process.cwd()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** The file's bytes after checking they are one unencrypted private key ssh2 can use. */
export async function readPrivateKeyFile(path: string): Promise<Buffer> {
  if (path.startsWith('~') && !path.startsWith('~/') && path !== '~') {
    throw new SshTunnelError('SSH_KEY_MISSING', `The SSH key path ${path} uses "~user", which is not supported: write the full path.`, { details: { path } });
  }
  const data = await readKeyBytes(path);
  // An OpenSSH file may hold several keys; ssh2 then returns an array (its types omit that).
  const parsed = utils.parseKey(data) as ParsedKey | ParsedKey[] | Error;
  if (parsed instanceof Error) {
    // The parser's own text is not passed on (no cause): only its verdict.
    // ssh2 reads no PKCS#8 file: an encrypted one would otherwise pass for "not a key".
    if (/encrypted|passphrase/i.test(parsed.message) || data.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) throw encryptedKeyError(path);
    if (data.includes('-----BEGIN PRIVATE KEY-----')) {
      throw new SshTunnelError('SSH_KEY_INVALID', `The SSH key file ${path} is a PKCS#8 key, which the tunnel cannot read: rewrite it in OpenSSH format with ssh-keygen -p -f ${path} (same key, same passphrase).`, {
        details: { path },
      });
    }
    throw new SshTunnelError('SSH_KEY_INVALID', `The SSH key file ${path} is not a private key in OpenSSH or PEM format: name the private key file (for example ~/.ssh/id_ed25519).`, {
      details: { path },
    });
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || !key.isPrivateKey()) {
    throw new SshTunnelError('SSH_KEY_INVALID', `The SSH key file ${path} holds a public key: name the private key file (the same name without ".pub").`, { details: { path } });
  }
  return data;
}

async function readKeyBytes(path: string): Promise<Buffer> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SshTunnelError('SSH_KEY_UNREADABLE', `The SSH key path ${path} is not a file: name the private key file.`, { details: { path } });
    if (info.size > MAX_KEY_FILE_BYTES) {
      throw new SshTunnelError('SSH_KEY_INVALID', `The SSH key file ${path} is ${info.size} bytes, too large for a private key: name the private key file.`, { details: { path } });
    }
    return await readFile(path);
  } catch (error) {
    if (SshTunnelError.isInstance(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SshTunnelError('SSH_KEY_MISSING', `The SSH key file ${path} does not exist: set tunnel.sshKey in project.yaml to your private key file.`, { details: { path } });
    }
    throw new SshTunnelError('SSH_KEY_UNREADABLE', `Cannot read the SSH key file ${path} (${code ?? 'error'}): check its permissions.`, { details: { path } });
  }
}

function encryptedKeyError(path: string): SshTunnelError {
  return new SshTunnelError(
    'SSH_KEY_ENCRYPTED',
    `The SSH key file ${path} is protected by a passphrase, and the tunnel needs a key it can read without asking. ` +
      "Make a key just for the jump host (ssh-keygen -t ed25519 -N '' -f ~/.ssh/pollinator_jump), " +
      'add its .pub to ~/.ssh/authorized_keys on the jump host, and name it in tunnel.sshKey.',
    { details: { path } },
  );
}
