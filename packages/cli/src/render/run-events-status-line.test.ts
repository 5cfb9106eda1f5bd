import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PollinatorEvent } from '@pollinator/core';
import { Output } from './output';
import { stripAnsi } from './format';
import { RunRenderer } from './run-events';

const ID = 'a'.repeat(64);

/** A terminal (stderr, and stdout when asked) whose text is kept. */
function fakeTerminal(options: { env?: NodeJS.ProcessEnv; stdoutIsTTY?: boolean } = {}) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  if (options.stdoutIsTTY === true) Object.assign(stdout, { isTTY: true, columns: 120 });
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const output = new Output({
    color: false,
    env: options.env ?? { TERM: 'xterm' },
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
  });
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return { output, flush, text: () => ({ stdout: out, stderr: err }) };
}

const state = (name: 'waiting' | 'running' | 'failed' | 'success', errors: string[] = []): PollinatorEvent => ({
  type: 'process.state',
  processId: ID,
  state: name,
  errors,
  retries: 0,
});
const log = (message: string): PollinatorEvent => ({ type: 'log', processId: ID, message, timestamp: '1', executorName: 'e' });

describe('RunRenderer: the live status line while a job runs (issue #19)', () => {
  it('shows the elapsed time and the executor\'s last message on a terminal, on stderr only', async () => {
    let now = 1_000_000;
    const terminal = fakeTerminal();
    const renderer = new RunRenderer(terminal.output, { now: () => now });
    renderer.handle(state('running'));
    now += 12_300;
    renderer.handle(log('Pollinator: staging cfs/data (1.0 GB)\n'));
    await terminal.flush();
    const drawn = stripAnsi(terminal.text().stderr);
    expect(drawn).toContain('✔ Running');
    // The last drawn frame: what, for how long, and what the executor said last.
    expect(drawn).toMatch(/Running 12\.3s · Pollinator: staging cfs\/data \(1\.0 GB\)\n$/);
    // Progress shows in the status line only, not as a line of its own (that is for -v and non-terminals).
    expect(drawn).not.toContain('executor: Pollinator: staging');
    now += 60_000;
    renderer.handle(log('epoch 1\n'));
    terminal.output.redraw(); // what the 80 ms timer does
    await terminal.flush();
    expect(terminal.text().stdout).toBe('epoch 1\n');
    expect(stripAnsi(terminal.text().stderr)).toMatch(/Running 1m12s · Pollinator: staging/);
    renderer.handle(state('success'));
    renderer.finish();
    terminal.output.close();
    await terminal.flush();
    // The line is gone at the end, and the cursor is back.
    expect(terminal.text().stderr.endsWith('\u001b[?25h')).toBe(true);
  });

  it('is not drawn under CI or when stderr is not a terminal: one line per step instead', async () => {
    const terminal = fakeTerminal({ env: { TERM: 'xterm', CI: 'true' } });
    const renderer = new RunRenderer(terminal.output);
    renderer.handle(state('running'));
    renderer.handle(log('Pollinator: staging cfs/data\n'));
    renderer.handle(log('hello\n'));
    renderer.finish();
    await terminal.flush();
    expect(terminal.text().stderr).not.toContain('\u001b[');
    expect(terminal.text().stderr).not.toMatch(/Running \d/);
    expect(terminal.text().stderr).toContain('executor: Pollinator: staging cfs/data');
    expect(terminal.text().stdout).toBe('hello\n');
  });

  it('keeps the live region away from a half-written line of the job on a shared terminal', async () => {
    const terminal = fakeTerminal({ stdoutIsTTY: true });
    const renderer = new RunRenderer(terminal.output, { now: () => 0 });
    renderer.handle(state('running'));
    await terminal.flush();
    const before = terminal.text().stderr.length;
    renderer.handle(log('progress: 10%'));
    terminal.output.redraw();
    await terminal.flush();
    // Cleared once before the text, not drawn again after the partial line.
    expect(terminal.text().stderr.slice(before)).not.toContain('Running');
    renderer.handle(log(' 20%\n'));
    await terminal.flush();
    expect(terminal.text().stderr.slice(before)).toContain('Running');
    renderer.finish();
    terminal.output.close();
  });
});

describe('RunRenderer: the job\'s output and the executor\'s messages (issue #19)', () => {
  it('writes only the job\'s output to stdout; an executor failure goes to the summary, not stdout', async () => {
    const { captureOutput } = await import('./output.test-helpers');
    const { output, text } = captureOutput();
    const renderer = new RunRenderer(output);
    const failure = 'ContainerExecutor: Exit with an error, exit code = 3: Failed to execute process';
    renderer.handle(state('running'));
    renderer.handle(log('about to fail\n'));
    renderer.handle(log(failure));
    renderer.handle(state('failed', [failure]));
    renderer.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(text().stdout).toBe('about to fail\n');
    // The process's errors carry it: the outcome line says it once, nothing here repeats it.
    expect(text().stderr).not.toContain('ContainerExecutor');
    expect(renderer.lastProcessErrors).toEqual([failure]);
  });

  it('says an executor failure the process errors do not carry on stderr', async () => {
    const { captureOutput } = await import('./output.test-helpers');
    const { output, text } = captureOutput();
    const renderer = new RunRenderer(output);
    renderer.handle(log('ContainerExecutor: upload refused\n'));
    renderer.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(text().stdout).toBe('');
    expect(text().stderr).toContain('! executor: ContainerExecutor: upload refused');
  });

  it('marks each log event of --json with its origin', async () => {
    const { captureOutput } = await import('./output.test-helpers');
    const { output, text } = captureOutput({ json: true });
    const renderer = new RunRenderer(output);
    renderer.handle(log('hello\n'));
    renderer.handle(log('Pollinator: staging\n'));
    await new Promise((resolve) => setImmediate(resolve));
    const events = text().stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((event) => event.origin)).toEqual(['job', 'executor']);
  });
});
