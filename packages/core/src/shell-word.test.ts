/**
 * Issue #13, case 5: the job's args are single shell words. Run through a
 * real `/bin/sh -c`, as every backend does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quoteShellWord } from './shell-word';
import { buildCommand, parseKwargs } from './validate-spec';

const dir = mkdtempSync(join(tmpdir(), 'pollinator-shell-word-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function command(cmd: string, args: string[]): string {
  const kwargs = parseKwargs({ kwargs: { cmd, 'docker-image': 'busybox', args } });
  if ('error' in kwargs) throw new Error(kwargs.error);
  return buildCommand(kwargs, 'PID');
}

function sh(line: string): string {
  try {
    return execFileSync('/bin/sh', ['-c', line], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
  }
}

describe('quoteShellWord', () => {
  it('leaves plain words and paths byte-identical', () => {
    for (const word of ['main.py', '/cfs/pollinator/p/0123abcd/src/main.py', '--epochs=10', 'a,b:c@d%e+f']) expect(quoteShellWord(word)).toBe(word);
  });

  it('keeps every other word one literal word', () => {
    for (const word of ['', 'my script.py', "it's", '$(id -u)', '`id`', 'a;b', 'a|b', '*', '~', 'a\nb', '"x"', '{a,b}', '\\']) {
      expect(sh(`printf '%s' ${quoteShellWord(word)}`)).toBe(word);
    }
  });
});

describe('buildCommand through /bin/sh -c', () => {
  it('does not run a command hidden in a source name', () => {
    const script = 'x;echo INJECTED $(id -u);.sh';
    writeFileSync(join(dir, script), 'echo ran-the-file\n');
    const output = sh(command('sh', [join(dir, script)]));
    expect(output).toBe('ran-the-file\n');
    expect(output).not.toContain('INJECTED');
  });

  it('runs a source whose name has a space', () => {
    writeFileSync(join(dir, 'my script.py'), 'echo "args: $#"\n');
    expect(sh(command('sh', [join(dir, 'my script.py')]))).toBe('args: 0\n');
  });

  it('keeps cmd a command line written by the submitter', () => {
    expect(sh(command('echo one && echo', ['two words']))).toBe('one\ntwo words\n');
  });
});
