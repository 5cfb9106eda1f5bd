import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateSshKey } from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandHomePath, readPrivateKeyFile } from './ssh-private-key';

const run = promisify(execFile);
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pollinator-ssh-key-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** The error, after checking that nothing of the key's text leaked into it. */
async function refusal(path: string, secretText?: string): Promise<Error & { code: string }> {
  const error = (await readPrivateKeyFile(path).catch((caught: unknown) => caught)) as Error & { code: string };
  expect(error).toBeInstanceOf(Error);
  expect(error.cause).toBeUndefined();
  if (secretText !== undefined) {
    const shown = JSON.stringify({ message: error.message, details: (error as { details?: unknown }).details });
    for (const line of secretText.split('\n').filter((text) => text.length > 16 && !text.startsWith('-----'))) expect(shown).not.toContain(line.slice(0, 16));
  }
  return error;
}

describe('the SSH key file', () => {
  it('expands ~ and ~/… to the home directory and resolves relative paths', () => {
    expect(expandHomePath('~', '/home/ada')).toBe('/home/ada');
    expect(expandHomePath('~/.ssh/id_ed25519', '/home/ada')).toBe('/home/ada/.ssh/id_ed25519');
    expect(expandHomePath('keys/jump', '/home/ada', '/work/project')).toBe('/work/project/keys/jump');
    expect(expandHomePath('/etc/key', '/home/ada')).toBe('/etc/key');
  });

  it('reads unencrypted ed25519, ecdsa and rsa keys', async () => {
    for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
      const key = await generateSshKey(join(scratch, `plain-${type}`), { type });
      expect((await readPrivateKeyFile(key.privateKeyPath)).equals(await readFile(key.privateKeyPath))).toBe(true);
    }
  });

  it('a missing file: SSH_KEY_MISSING naming it', async () => {
    const path = join(scratch, 'nope');
    expect(await refusal(path)).toMatchObject({ code: 'SSH_KEY_MISSING', message: expect.stringContaining(path) });
    expect(await refusal('~someone/key')).toMatchObject({ code: 'SSH_KEY_MISSING', message: expect.stringContaining('~user') });
  });

  it('an encrypted key: SSH_KEY_ENCRYPTED naming it and saying how to make a usable one, no key text', async () => {
    const key = await generateSshKey(join(scratch, 'locked'), { passphrase: 'open sesame' });
    const error = await refusal(key.privateKeyPath, await readFile(key.privateKeyPath, 'utf8'));
    expect(error).toMatchObject({ code: 'SSH_KEY_ENCRYPTED', message: expect.stringContaining(key.privateKeyPath) });
    expect(error.message).toContain('ssh-keygen');
  });

  it('encrypted PEM and PKCS#8 keys are SSH_KEY_ENCRYPTED; an unencrypted PKCS#8 key says how to convert it', async () => {
    const cases = [
      { name: 'pem-locked', format: 'PEM', type: 'rsa', passphrase: 'secret', code: 'SSH_KEY_ENCRYPTED' },
      { name: 'pkcs8-locked', format: 'PKCS8', type: 'ecdsa', passphrase: 'secret', code: 'SSH_KEY_ENCRYPTED' },
      { name: 'pkcs8-open', format: 'PKCS8', type: 'ecdsa', passphrase: '', code: 'SSH_KEY_INVALID' },
    ] as const;
    for (const { name, format, type, passphrase, code } of cases) {
      const path = join(scratch, name);
      await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-m', format, '-N', passphrase, '-f', path]);
      const error = await refusal(path, await readFile(path, 'utf8'));
      expect(error).toMatchObject({ code, message: expect.stringContaining(path) });
      if (code === 'SSH_KEY_INVALID') expect(error.message).toContain(`ssh-keygen -p -f ${path}`);
    }
  });

  it('a public key, a text file, a directory or a huge file: a clear error naming it', async () => {
    const key = await generateSshKey(join(scratch, 'public'));
    expect(await refusal(key.publicKeyPath)).toMatchObject({ code: 'SSH_KEY_INVALID', message: expect.stringContaining('public key') });
    const text = join(scratch, 'notes.txt');
    await writeFile(text, 'not a key at all\n');
    expect(await refusal(text, 'not a key at all')).toMatchObject({ code: 'SSH_KEY_INVALID', message: expect.stringContaining(text) });
    const directory = join(scratch, 'a-directory');
    await mkdir(directory);
    expect(await refusal(directory)).toMatchObject({ code: 'SSH_KEY_UNREADABLE', message: expect.stringContaining('not a file') });
    const huge = join(scratch, 'huge');
    await writeFile(huge, Buffer.alloc(100 * 1024, 65));
    expect(await refusal(huge)).toMatchObject({ code: 'SSH_KEY_INVALID', message: expect.stringContaining('too large') });
  });
});
