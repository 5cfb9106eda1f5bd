import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { cliCommand, createSandbox, definedOnly, runCli, type Sandbox } from './cli-harness';

// Issue #13, case 10 (and the load side of cases 5 and 6) through the real
// binary: each of these files used to hang for minutes (ignoring SIGTERM),
// exit 70 "probably a bug", or pass `plan` and fail on the cluster. Now
// `pollinator plan` stops at once with 65 and `project.yaml:LINE:COL`.

const VALID = `projectname: hostile
conditions:
  nodes: 1
  processesPerNode: 1
  cpu: 1000m
  mem: 1000Mi
  walltime: 600
environment:
  docker: python:3.12
  cmd: python3
  source: main.py
`;

/** Startup from TypeScript source on a loaded CI machine takes seconds; the old behaviour took minutes. */
const BOUND_MS = 30_000;

function unknownKeys(bytes: number): string {
  const lines: string[] = [VALID];
  let length = VALID.length;
  for (let index = 0; length < bytes; index += 1) {
    const line = `unknownkey${index}: 1\n`;
    lines.push(line);
    length += line.length;
  }
  return lines.join('');
}

function billionLaughs(): string {
  const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level < 10; level += 1) {
    const previous = String.fromCharCode(96 + level);
    levels.push(`${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(9).fill(`*${previous}`).join(', ')}]`);
  }
  return `${VALID}laughs:\n${levels.map((line) => `  ${line}`).join('\n')}\n`;
}

const HOSTILE: Array<[string, string, RegExp]> = [
  ['3 MB of unknown keys', unknownKeys(3_000_000), /project\.yaml:1:1 \(file\): project\.yaml is \d+ bytes, more than the limit of 262144 bytes/],
  ['unknown keys up to the size limit', unknownKeys(260_000), /project\.yaml:12:1 unknownkey0: unknown key "unknownkey0"/],
  ['an undefined alias', `${VALID}retries: *nope\n`, /project\.yaml:12:10 \(file\): alias \*nope has no anchor &nope before it/],
  ['billion laughs', billionLaughs(), /project\.yaml:14:10 \(file\): aliases expand to too many values/],
  ['2,000-deep nesting', `${VALID}x: ${'['.repeat(2_000)}${']'.repeat(2_000)}\n`, /project\.yaml:12:\d+ \(file\): mappings and lists are nested more than 50 levels deep/],
  ['a line break in cmd', VALID.replace('cmd: python3', 'cmd: "python3\\nid"'), /project\.yaml:10:8 environment\.cmd: contains a line feed/],
  ['a NUL in the image', VALID.replace('docker: python:3.12', 'docker: "python\\0"'), /project\.yaml:9:11 environment\.docker: contains a NUL character/],
  ['walltime 7.4e9', VALID.replace('walltime: 600', 'walltime: 7400000000'), /project\.yaml:7:13 conditions\.walltime: walltime is more than 31536000 seconds/],
  ['mem 99999999999999Gi', VALID.replace('mem: 1000Mi', 'mem: 99999999999999Gi'), /project\.yaml:6:8 conditions\.mem: memory is more than 1048576Gi/],
];

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

function writeProject(name: string, yaml: string): string {
  const dir = join(sandbox.dir, name);
  mkdirSync(join(dir, 'cfs', 'src'), { recursive: true });
  writeFileSync(join(dir, 'cfs', 'src', 'main.py'), 'print(1)\n');
  writeFileSync(join(dir, 'project.yaml'), yaml);
  return dir;
}

describe('pollinator plan on a hostile project.yaml', () => {
  it.each(HOSTILE)('%s: exits 65 with project.yaml:LINE:COL, promptly', { timeout: 60_000 }, async (_name, yaml, expected) => {
    const dir = writeProject('p', yaml);
    const started = Date.now();
    const result = await runCli(['plan'], { cwd: dir, env: sandbox.env, timeoutMs: BOUND_MS });
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    expect(result.code, result.stderr).toBe(CliExitCode.INVALID_PROJECT);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).not.toMatch(/probably a bug|\n\s+at /);
  });

  it('honours SIGTERM while loading the largest project.yaml it accepts to read', { timeout: 60_000 }, async () => {
    const dir = writeProject('term', unknownKeys(260_000));
    const { command, args } = cliCommand();
    const child = spawn(command, [...args, 'plan'], { cwd: dir, env: definedOnly(sandbox.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    // Let the CLI start and begin loading, then ask it to stop.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const signalled = Date.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    expect(Date.now() - signalled, stderr).toBeLessThan(10_000);
    // Stopped by the signal before the command started, cancelled (130), or done loading first (65): never killed.
    expect(signal === 'SIGTERM' || code === CliExitCode.CANCELLED || code === CliExitCode.INVALID_PROJECT, `${code} ${signal} ${stderr}`).toBe(true);
  });
});
