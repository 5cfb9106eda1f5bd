import { spawn, spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stripAnsi } from '../src/render/format';
import { CliExitCode } from '../src/exit-codes';
import { cliShellCommand, createSandbox, definedOnly, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// `pollinator run` under a pseudo-terminal (util-linux `script`): progress
// bars and spinners are drawn with cursor movement, the job's log streams,
// and Ctrl-C (a real ^C through the terminal's line discipline) detaches and
// prints how to re-attach, cancel or pull.

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

describe.skipIf(!hasScript)('under a terminal (script -qfec)', () => {
  it('draws progress, streams logs, and Ctrl-C detaches with re-attach hints (exit 130)', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'tty', {
      mainPy: 'import time\nfor i in range(60):\n    print("tick", i, flush=True)\n    time.sleep(0.5)\n',
    });
    const child = spawn('script', ['-qfec', `${cliShellCommand()} run`, '/dev/null'], {
      cwd: dir,
      env: definedOnly({ ...sandbox.env, TERM: 'xterm-256color', COLUMNS: '120', LINES: '40' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    const deadline = Date.now() + 90_000;
    while (!screen.includes('tick 2') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(screen, screen).toContain('tick 2');
    // Ctrl-C typed at the terminal.
    child.stdin.write('\u0003');
    const code = await exited;

    // Colours and cursor movement: this is the TTY renderer, not plain lines.
    expect(screen).toContain('\u001b[');
    expect(screen).toMatch(/Uploading src/);
    expect(screen).toMatch(/[█░]{5,}/);
    // eslint-disable-next-line no-control-regex -- the cursor-up + clear sequence of the live region
    expect(screen).toMatch(/\u001b\[\d+A\u001b\[0J/);
    expect(screen).toContain('Running');
    // The live status line while the job runs: the elapsed time, redrawn (issue #19).
    expect(stripAnsi(screen)).toMatch(/Running \d+(\.\d)?(ms|s)/);
    // Detached, not cancelled: the hints, and the cursor is visible again.
    expect(screen).toMatch(/Detached from process [0-9a-f]{64}/);
    expect(screen).toMatch(/pollinator logs [0-9a-f]{64} --follow/);
    expect(screen).toMatch(/pollinator cancel [0-9a-f]{64}/);
    expect(screen).toMatch(/pollinator pull [0-9a-f]{64}/);
    expect(screen.lastIndexOf('\u001b[?25h')).toBeGreaterThan(screen.lastIndexOf('\u001b[?25l'));
    expect(code).toBe(CliExitCode.CANCELLED);
  });

  it('under CI, even on a terminal: plain lines, no cursor movement', { timeout: 90_000 }, async () => {
    const dir = await createProject(sandbox, 'ci');
    const result = spawnSync('script', ['-qfec', `${cliShellCommand()} run --detach`, '/dev/null'], {
      cwd: dir,
      env: definedOnly({ ...sandbox.env, TERM: 'xterm-256color', CI: 'true', NO_COLOR: '1' }),
      encoding: 'utf8',
      timeout: 80_000,
    });
    expect(result.status, result.stdout).toBe(0);
    expect(result.stdout).toContain('src: uploaded 1 file');
    expect(result.stdout).toMatch(/Submitted process [0-9a-f]{64}/);
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('NO_COLOR and --no-color turn colours off on a terminal', { timeout: 60_000 }, async () => {
    for (const [extraEnv, flag] of [[{ NO_COLOR: '1' }, ''], [{}, ' --no-color']] as const) {
      const result = spawnSync('script', ['-qfec', `${cliShellCommand()} config${flag}`, '/dev/null'], {
        cwd: sandbox.dir,
        env: definedOnly({ ...sandbox.env, TERM: 'xterm-256color', ...extraEnv }),
        encoding: 'utf8',
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('embedded default');
      expect(result.stdout).not.toContain('\u001b[');
    }
    const colored = spawnSync('script', ['-qfec', `${cliShellCommand()} config`, '/dev/null'], {
      cwd: sandbox.dir,
      env: definedOnly({ ...sandbox.env, TERM: 'xterm-256color' }),
      encoding: 'utf8',
    });
    expect(colored.stdout).toContain('\u001b[');
  });
});
