// known_hosts parsing and matching, checked against OpenSSH's own tools
// (ssh-keygen writes the keys, hashes the names and finds our entries).
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSshKey, type GeneratedSshKey } from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  checkHostKey,
  defaultKnownHostsPaths,
  hostFieldMatches,
  hostKeyFingerprint,
  keyTypeOf,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
} from './known-hosts';

const run = promisify(execFile);
let scratch: string;
let ed25519: GeneratedSshKey;
let ecdsa: GeneratedSshKey;
let rsa: GeneratedSshKey;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pollinator-known-hosts-'));
  [ed25519, ecdsa, rsa] = await Promise.all([
    generateSshKey(join(scratch, 'ed25519')),
    generateSshKey(join(scratch, 'ecdsa'), { type: 'ecdsa' }),
    generateSshKey(join(scratch, 'rsa'), { type: 'rsa' }),
  ]);
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function blob(key: GeneratedSshKey): Buffer {
  return Buffer.from(key.publicKeyLine.split(' ')[1] as string, 'base64');
}
function entryText(key: GeneratedSshKey): string {
  return key.publicKeyLine.split(' ').slice(0, 2).join(' ');
}

describe('known_hosts', () => {
  it('computes the fingerprint and key type exactly as ssh-keygen does, for ed25519, ecdsa and rsa', () => {
    for (const [key, type] of [[ed25519, 'ssh-ed25519'], [ecdsa, 'ecdsa-sha2-nistp256'], [rsa, 'ssh-rsa']] as const) {
      expect(hostKeyFingerprint(blob(key))).toBe(key.fingerprint);
      expect(keyTypeOf(blob(key))).toBe(type);
    }
  });

  it('names hosts as OpenSSH does: bare on port 22, [host]:port otherwise, lower case', () => {
    expect(knownHostsName('Jump.Example.ORG', 22)).toBe('jump.example.org');
    expect(knownHostsName('jump.example.org', 2222)).toBe('[jump.example.org]:2222');
    expect(defaultKnownHostsPaths('/home/ada')).toEqual(['/home/ada/.ssh/known_hosts', '/etc/ssh/ssh_known_hosts']);
  });

  it('matches plain patterns: comma lists, wildcards, negation, ports', () => {
    expect(hostFieldMatches('login1,jump.example.org', 'jump.example.org')).toBe(true);
    expect(hostFieldMatches('JUMP.example.org', 'jump.example.org')).toBe(true);
    expect(hostFieldMatches('*.example.org', 'jump.example.org')).toBe(true);
    expect(hostFieldMatches('*.example.org,!jump.example.org', 'jump.example.org')).toBe(false);
    expect(hostFieldMatches('jump?.example.org', 'jump1.example.org')).toBe(true);
    expect(hostFieldMatches('jump.example.org', '[jump.example.org]:2222')).toBe(false);
    expect(hostFieldMatches('[jump.example.org]:2222', '[jump.example.org]:2222')).toBe(true);
    expect(hostFieldMatches('[jump.example.org]:2222', '[jump.example.org]:2223')).toBe(false);
    expect(hostFieldMatches('jump.example.org.evil', 'jump.example.org')).toBe(false);
    expect(hostFieldMatches('jump-example-org', 'jump.example.org')).toBe(false);
  });

  it('matches hashed names made by ssh-keygen -H, and only those', async () => {
    const path = join(scratch, 'hashed');
    await writeFile(path, `jump.example.org ${entryText(ed25519)}\n[jump.example.org]:2222 ${entryText(ecdsa)}\n`);
    await run('ssh-keygen', ['-H', '-f', path]);
    const entries = parseKnownHosts(await readFile(path, 'utf8'), path);
    expect(entries).toHaveLength(2);
    expect(entries.every((entry) => entry.hosts.startsWith('|1|'))).toBe(true);
    expect(checkHostKey(entries, 'jump.example.org', 22, blob(ed25519)).status).toBe('known');
    expect(checkHostKey(entries, 'JUMP.example.org', 2222, blob(ecdsa)).status).toBe('known');
    expect(checkHostKey(entries, 'jump.example.org', 2223, blob(ecdsa)).status).toBe('unknown');
    expect(checkHostKey(entries, 'other.example.org', 22, blob(ed25519)).status).toBe('unknown');
  });

  it('decides known, unknown, changed (same or other key type) and revoked', () => {
    const text = [
      '# comment',
      '',
      `jump.example.org ${entryText(ed25519)}`,
      `[gpu.example.org]:2222 ${entryText(rsa)}`,
      `@cert-authority *.example.org ${entryText(ecdsa)}`,
      `@revoked * ${entryText(rsa)}`,
      'broken line',
      `bad.example.org ssh-ed25519 not-base64!`,
      `mismatch.example.org ssh-rsa ${ed25519.publicKeyLine.split(' ')[1]}`,
    ].join('\n');
    const entries = parseKnownHosts(text, '/k');
    expect(entries.map((entry) => [entry.line, entry.marker ?? null])).toEqual([[3, null], [4, null], [5, 'cert-authority'], [6, 'revoked']]);
    expect(checkHostKey(entries, 'jump.example.org', 22, blob(ed25519))).toMatchObject({ status: 'known', entry: { line: 3 } });
    expect(checkHostKey(entries, 'new.example.org', 22, blob(ed25519)).status).toBe('unknown');
    // A CA line does not vouch for (nor conflict with) a plain key.
    expect(checkHostKey(entries, 'ca.example.org', 22, blob(ecdsa)).status).toBe('unknown');
    expect(checkHostKey(entries, 'jump.example.org', 22, blob(ecdsa))).toMatchObject({ status: 'changed', entry: { line: 3 } });
    expect(checkHostKey(entries, 'gpu.example.org', 2222, blob(rsa))).toMatchObject({ status: 'revoked', entry: { line: 6 } });
    expect(knownKeyTypes(entries, 'jump.example.org', 22)).toEqual(['ssh-ed25519']);
  });

  it('reads several files, skipping missing ones; an unreadable one is an error naming it', async () => {
    const first = join(scratch, 'first');
    await writeFile(first, `jump.example.org ${entryText(ed25519)}\n`);
    const entries = await readKnownHosts([join(scratch, 'missing'), first, join(first, 'not-a-dir')]);
    expect(entries.map((entry) => entry.path)).toEqual([first]);
    const directory = join(scratch, 'a-directory');
    await mkdir(directory);
    await expect(readKnownHosts([directory])).rejects.toMatchObject({ code: 'SSH_KNOWN_HOSTS_UNREADABLE', message: expect.stringContaining(directory) });
  });

  it('appends a hashed entry atomically, creating ~/.ssh (0700) and the file (0600); OpenSSH finds it', async () => {
    const home = await mkdtemp(join(scratch, 'home-'));
    const path = join(home, '.ssh', 'known_hosts');
    await appendKnownHost(path, 'jump.example.org', 2222, blob(ed25519));
    expect((await stat(join(home, '.ssh'))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const { stdout } = await run('ssh-keygen', ['-F', '[jump.example.org]:2222', '-f', path]);
    expect(stdout).toContain(ed25519.publicKeyLine.split(' ')[1]);
    expect(checkHostKey(parseKnownHosts(await readFile(path, 'utf8'), path), 'jump.example.org', 2222, blob(ed25519)).status).toBe('known');
    expect(await readdir(join(home, '.ssh'))).toEqual(['known_hosts']);
  });

  it('keeps what the file held (even without a final newline), its mode, and a symlink', async () => {
    const directory = await mkdtemp(join(scratch, 'keep-'));
    const real = join(directory, 'real_known_hosts');
    const link = join(directory, 'known_hosts');
    await writeFile(real, `old.example.org ${entryText(rsa)}`);
    await chmod(real, 0o640);
    await symlink(real, link);
    await appendKnownHost(link, 'jump.example.org', 22, blob(ecdsa));
    const lines = (await readFile(real, 'utf8')).split('\n');
    expect(lines[0]).toBe(`old.example.org ${entryText(rsa)}`);
    expect(lines[1]).toMatch(/^\|1\|.+ ecdsa-sha2-nistp256 /);
    expect(lines[2]).toBe('');
    expect((await stat(real)).mode & 0o777).toBe(0o640);
    expect(await readdir(directory)).toEqual(['known_hosts', 'real_known_hosts']);
  });

  it('a write that cannot happen is an error naming the file, and the file is unchanged', async () => {
    const directory = await mkdtemp(join(scratch, 'blocked-'));
    const blocker = join(directory, 'not-a-directory');
    await writeFile(blocker, 'x');
    await expect(appendKnownHost(join(blocker, 'known_hosts'), 'jump.example.org', 22, blob(ed25519))).rejects.toMatchObject({
      code: 'SSH_KNOWN_HOSTS_WRITE_FAILED',
      message: expect.stringContaining(join(blocker, 'known_hosts')),
    });
    expect(await readFile(blocker, 'utf8')).toBe('x');
  });
});
