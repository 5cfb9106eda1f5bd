import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createProgram } from '../program';
import { completionScript, describeProgram } from './completion-scripts';

const program = createProgram({ invoke: async () => undefined });
const work = mkdtempSync(join(tmpdir(), 'pollinator-completion-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function scriptFile(shell: 'bash' | 'zsh' | 'fish'): string {
  const file = join(work, `pollinator.${shell}`);
  writeFileSync(file, completionScript(shell, program));
  return file;
}

const installed = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;
const topLevel = program.commands.map((command) => command.name()).filter((name) => name !== 'help');

/** What bash completes for the words typed (the last one is being completed). */
function bashComplete(...words: string[]): string[] {
  const script = `source ${JSON.stringify(scriptFile('bash'))}
COMP_WORDS=(${words.map((word) => JSON.stringify(word)).join(' ')}); COMP_CWORD=${words.length - 1}
_pollinator_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('pollinator completion', () => {
  it('describes every command of the tree, so new commands complete without editing the generator', () => {
    const names = describeProgram(program).commands.map((command) => command.name);
    expect(names).toEqual(topLevel);
    for (const name of ['run', 'plan', 'logs', 'ps', 'rerun', 'show', 'diff', 'gc', 'completion']) expect(names).toContain(name);
  });

  it('bash: sourced in a real bash, completes commands, options, option values and subcommands', () => {
    expect(bashComplete('pollinator', '')).toEqual(expect.arrayContaining([...topLevel, '--json', '--cwd']));
    expect(bashComplete('pollinator', 're')).toEqual(['rerun']);
    expect(bashComplete('pollinator', 'logs', '--t')).toEqual(['--tail']);
    expect(bashComplete('pollinator', 'ps', '--state', 'r')).toEqual(['running']);
    expect(bashComplete('pollinator', '-C', '/tmp', 'ps', '-n', '5', '--a')).toEqual(['--all']);
    expect(bashComplete('pollinator', 'executor', '')).toContain('start');
    expect(bashComplete('pollinator', 'executor', 'start', '--backend', '')).toEqual(['local', 'slurm', 'k8s']);
    expect(bashComplete('pollinator', 'completion', '')).toEqual(expect.arrayContaining(['bash', 'zsh', 'fish']));
    const registered = execFileSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(scriptFile('bash'))}; complete -p pollinator`], { encoding: 'utf8' });
    expect(registered.trim()).toBe('complete -o default -F _pollinator_completion pollinator');
  });

  it('zsh: parses (zsh -n) and answers through bashcompinit', () => {
    const script = completionScript('zsh', program);
    expect(script.startsWith('#compdef pollinator\n')).toBe(true);
    if (!installed('zsh')) {
      // Without zsh here, at least the part zsh runs is the bash script that was tested above.
      expect(script).toContain(completionScript('bash', program).split('\n').slice(3).join('\n'));
      return;
    }
    expect(spawnSync('zsh', ['-n', scriptFile('zsh')], { encoding: 'utf8' }).status).toBe(0);
    const answer = execFileSync(
      'zsh',
      ['-f', '-c', `autoload -U +X compinit && compinit -u -d ${JSON.stringify(join(work, 'zcompdump'))}; source ${JSON.stringify(scriptFile('zsh'))}; COMP_WORDS=(pollinator ps --state r); COMP_CWORD=3; compgen -F _pollinator_completion -- r`],
      { encoding: 'utf8', env: { ...process.env, HOME: work } },
    );
    expect(answer.split('\n').filter(Boolean)).toEqual(['waiting', 'running', 'success', 'failed', 'cancelled']);
  });

  it('fish: parses (fish -n) and completes commands with their descriptions', () => {
    const script = completionScript('fish', program);
    for (const name of topLevel) expect(script).toContain(`-n '__fish_use_subcommand' -a ${name} -d `);
    if (!installed('fish')) return;
    expect(spawnSync('fish', ['-n', scriptFile('fish')], { encoding: 'utf8' }).status).toBe(0);
    const complete = (line: string) =>
      execFileSync('fish', ['--no-config', '-c', `source ${JSON.stringify(scriptFile('fish'))}; complete -C${JSON.stringify(line)}`], { encoding: 'utf8', env: { ...process.env, HOME: work } })
        .split('\n')
        .filter(Boolean)
        .map((row) => row.split('\t')[0]);
    expect(complete('pollinator re')).toEqual(['rerun']);
    expect(complete('pollinator ps --state ')).toEqual(['cancelled', 'failed', 'running', 'success', 'waiting']);
    expect(complete('pollinator executor ')).toContain('start');
  });
});
