// Reads and appends OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE
// FORMAT"): plain patterns (comma lists, `*`/`?` wildcards, `!` negation),
// hashed names (`|1|base64 salt|base64 HMAC-SHA1(salt, name)`), `[host]:port`
// for ports other than 22, and the `@revoked` marker. `@cert-authority` lines
// are skipped: host certificates are not supported, so they can never vouch.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SshTunnelError } from './ssh-errors';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  readonly path: string;
  /** 1-based line number, for messages ("line 12 of ~/.ssh/known_hosts"). */
  readonly line: number;
  readonly marker?: 'revoked' | 'cert-authority';
  /** The host field as written: patterns or one hashed name. */
  readonly hosts: string;
  readonly keyType: string;
  /** The key in SSH wire format (the base64 field, decoded). */
  readonly key: Buffer;
}

/** What known_hosts says about the key a host presented. */
export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry };

/** `~/.ssh/known_hosts` then `/etc/ssh/ssh_known_hosts`, as OpenSSH reads them; new keys go to the first. */
export function defaultKnownHostsPaths(home: string = homedir()): string[] {
  return [join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

/** The name known_hosts uses for a host: `host` on port 22, else `[host]:port`; lower case, as OpenSSH. */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** `SHA256:` + unpadded base64 of the key's SHA-256, exactly as `ssh-keygen -l` prints it. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The type name at the start of an SSH wire-format key (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`). */
export function keyTypeOf(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const length = key.readUInt32BE(0);
  if (length === 0 || length > 64 || key.length < 4 + length) return undefined;
  return key.subarray(4, 4 + length).toString('latin1');
}

/** Parses one file's text; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, path: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const fields = (lines[index] as string).trim().split(/[ \t]+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hosts, keyType, base64] = fields;
    if (hosts === undefined || keyType === undefined || base64 === undefined) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) continue;
    const key = Buffer.from(base64, 'base64');
    if (keyTypeOf(key) !== keyType) continue;
    entries.push({ path, line: index + 1, ...(marker === undefined ? {} : { marker }), hosts, keyType, key });
  }
  return entries;
}

/** Every entry of the files that exist; a file that exists but cannot be read is an error. */
export async function readKnownHosts(paths: readonly string[]): Promise<KnownHostEntry[]> {
  const entries: KnownHostEntry[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new SshTunnelError('SSH_KNOWN_HOSTS_UNREADABLE', `Cannot read the known hosts file ${path} (${code ?? 'error'}): fix its permissions or remove it.`, {
        details: { path },
        cause: error,
      });
    }
    entries.push(...parseKnownHosts(text, path));
  }
  return entries;
}

/** True when the entry's host field names `name` (as made by `knownHostsName`). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) return hashedNameMatches(hosts, name);
  let matched = false;
  for (const rawPattern of hosts.toLowerCase().split(',')) {
    const negated = rawPattern.startsWith('!');
    const pattern = negated ? rawPattern.slice(1) : rawPattern;
    if (!wildcardMatches(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedNameMatches(hosts: string, name: string): boolean {
  const [, , salt, hash] = hosts.split('|');
  if (salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function wildcardMatches(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === name;
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

/**
 * OpenSSH's decision: a revoked key is refused; a matching entry with this key
 * is trusted; any other entry for the host (same or other key type) means the
 * key changed. Key types the host already has are asked for first (see
 * `knownKeyTypes`), so a host presenting a type we do not know for it no
 * longer has the key we know: that too is a change, never a new host.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const forHost = entries.filter((entry) => entry.marker !== 'cert-authority' && hostFieldMatches(entry.hosts, name));
  const revoked = forHost.find((entry) => entry.marker === 'revoked' && entry.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = forHost.filter((entry) => entry.marker === undefined);
  const known = plain.find((entry) => entry.key.equals(key));
  if (known) return { status: 'known', entry: known };
  const type = keyTypeOf(key);
  const conflicting = plain.find((entry) => entry.keyType === type) ?? plain[0];
  return conflicting ? { status: 'changed', entry: conflicting } : { status: 'unknown' };
}

/** The key types known_hosts holds for the host (to ask the server for those first). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = entries.filter((entry) => entry.marker === undefined && hostFieldMatches(entry.hosts, name)).map((entry) => entry.keyType);
  return [...new Set(types)];
}

/** A hashed host field, as `ssh-keygen -H` and Debian's `HashKnownHosts yes` write it. */
export function hashedHostField(name: string): string {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

/**
 * Appends `host`'s key to `path` atomically: the whole new file is written
 * beside it, synced and renamed over it (a symlinked file is replaced at its
 * target), so a crash leaves the old file or the new one, never half a line.
 * Creates the directory (0700) and file (0600) when missing; keeps the mode.
 */
export async function appendKnownHost(path: string, host: string, port: number, key: Buffer): Promise<void> {
  const keyType = keyTypeOf(key);
  if (keyType === undefined) throw new TypeError('appendKnownHost: the key is not in SSH wire format');
  const line = `${hashedHostField(knownHostsName(host, port))} ${keyType} ${key.toString('base64')}\n`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const target = await realpath(path).catch(() => path);
    let existing = '';
    let mode = 0o600;
    try {
      existing = await readFile(target, 'utf8');
      mode = (await stat(target)).mode & 0o777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const separator = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
    await writeFileAtomically(target, existing + separator + line, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new SshTunnelError('SSH_KNOWN_HOSTS_WRITE_FAILED', `Could not add the host key to ${path} (${code}); nothing was changed in it. Fix the permissions of the file and its directory, then run again.`, {
      details: { path },
      cause: error,
    });
  }
}

async function writeFileAtomically(target: string, content: string, mode: number): Promise<void> {
  const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}
