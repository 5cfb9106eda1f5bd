import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { cliCommand, createSandbox, definedOnly, runCli, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// The embedded default as a background service (issue #19): started on demand
// by the first command, shared by every later one, stopped by `dev stop` or
// when idle. Through the real binary, each test in its own data directory;
// sandbox.cleanup() stops the test's service.

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string, env: Record<string, string | undefined> = {}, timeoutMs = 120_000) =>
  runCli(args, { cwd, env: { ...sandbox.env, ...env }, timeoutMs });

const embeddedDir = (): string => join(sandbox.dir, 'data', 'embedded');

function advertisedPid(): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(embeddedDir(), 'server.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, attempts = 600): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

const IMAGE_NOTICE = /Image python:3\.12-rc-bookworm \(environment\.docker\)/g;

describe('the embedded default as a background service', () => {
  it('serves two concurrent runs with no `pollinator dev` running: both succeed and download their results', { timeout: 240_000 }, async () => {
    const first = await createProject(sandbox, 'first');
    const second = await createProject(sandbox, 'second');
    const [a, b] = await Promise.all([cli(['run'], first), cli(['run'], second)]);
    for (const [result, dir] of [[a, first], [b, second]] as const) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('Hello world!');
      expect(result.stderr).toMatch(/result: downloaded 1 file/);
      expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
    }

    // One service served both; it is still there for the next command.
    const pid = advertisedPid();
    expect(pid).toBeDefined();
    expect(alive(pid ?? 0)).toBe(true);
    const status = await cli(['dev', 'status', '--json'], second);
    expect(status.code, status.stderr).toBe(0);
    const event = status.events()[0] ?? {};
    expect(event).toMatchObject({ type: 'dev.status', running: true, service: true, pid, jobs: { running: 0, waiting: 0 } });
    expect(event.concurrency as number).toBeGreaterThanOrEqual(2);
  });

  it('says once per run, on stderr only, which image the project asked for and that it runs without containers here', { timeout: 180_000 }, async () => {
    const dir = await createProject(sandbox, 'imaged');
    const result = await cli(['run'], dir);
    expect(result.code, result.stderr).toBe(0);
    const status = (await cli(['dev', 'status', '--json'], dir)).events()[0] ?? {};
    const notices = result.stderr.match(IMAGE_NOTICE) ?? [];
    expect(notices).toHaveLength(1);
    expect(result.stdout).not.toMatch(IMAGE_NOTICE);
    expect(result.stdout).not.toContain('environment.docker');
    // What it says depends on this machine: containers when Docker/Podman answers, none otherwise.
    if (status.jobRuntime === 'process') expect(result.stderr).toContain('runs jobs without containers on this machine');
    else expect(result.stderr).toContain('container on this machine');
    // --json: stdout stays NDJSON; the notice is still said (on stderr).
    const json = await cli(['run', '--json'], dir);
    expect(json.code, json.stderr).toBe(0);
    expect(() => json.events()).not.toThrow();
    expect(json.stderr.match(IMAGE_NOTICE) ?? []).toHaveLength(status.jobRuntime === 'process' ? 1 : 0);
  });

  it('a run ends once its result is in: it runs no server or executor of its own, and an interrupted run leaves its job running in the service; dev stop refuses, --force leaves it to the next start', { timeout: 240_000 }, async () => {
    const hello = await createProject(sandbox, 'hello');
    const verbose = await cli(['run', '-v'], hello);
    expect(verbose.code, verbose.stderr).toBe(0);
    // The service serves and runs the job; the run's cleanup is releasing its lease, not stopping an executor or a server.
    expect(verbose.stderr).not.toContain('embedded dev-server at');
    expect(verbose.stderr.match(/cleanup step took/g) ?? []).toHaveLength(1);
    const servicePid = advertisedPid() ?? 0;
    expect(readFileSync(join(embeddedDir(), 'service.log'), 'utf8')).toMatch(/succeeded [0-9a-f]{64}/);

    const slow = await createProject(sandbox, 'slow', { mainPy: 'import time\nfor i in range(30):\n    print("tick", i, flush=True)\n    time.sleep(0.5)\n' });
    const { command, args } = cliCommand();
    const child = spawn(command, [...args, 'run', '--json'], { cwd: slow, env: definedOnly(sandbox.env) });
    let stdout = '';
    let processId: string | undefined;
    const ticking = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        processId ??= /"processId":"([0-9a-f]{64})"/.exec(stdout)?.[1];
        if (processId !== undefined && stdout.includes('"tick 0')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await ticking;
    child.kill('SIGINT');
    await exited;

    // The job keeps running in the service: `dev stop` refuses while it runs.
    const refused = await cli(['dev', 'stop'], slow);
    expect(refused.code, refused.stderr).toBe(CliExitCode.USAGE);
    expect(refused.stderr).toContain('a running job');
    expect(refused.stderr).toContain('--force');
    expect(advertisedPid()).toBe(servicePid);

    // --force stops it anyway: the job keeps running, and the next start (any command) re-attaches and finishes it.
    const forced = await cli(['dev', 'stop', '--force'], slow);
    expect(forced.code, forced.stderr).toBe(0);
    expect(alive(servicePid)).toBe(false);
    await until(async () => (await cli(['status', processId ?? '', '--json'], slow)).events()[0]?.state === 'success', 'the job succeeds');
    expect(advertisedPid()).not.toBe(servicePid);
    const logs = await cli(['logs', processId ?? ''], slow);
    expect(logs.stdout).toContain('tick 29');
  });

  it('dev status shows pid, url, uptime, jobs and the idle stop; dev stop stops it; the next command starts it again', { timeout: 180_000 }, async () => {
    const dir = await createProject(sandbox, 'statused');
    const none = await cli(['dev', 'status'], dir);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain('not running');
    expect(existsSync(join(embeddedDir(), 'server.json'))).toBe(false);

    const ps = await cli(['ps'], dir);
    expect(ps.code, ps.stderr).toBe(0);
    const pid = advertisedPid() ?? 0;
    expect(alive(pid)).toBe(true);
    const text = await cli(['dev', 'status'], dir);
    expect(text.code, text.stderr).toBe(0);
    for (const row of ['running    background service', `pid        ${pid}`, 'url        http://127.0.0.1:', 'uptime', 'jobs       0 running, 0 waiting', 'idle stop', 'log']) {
      expect(text.stdout).toContain(row);
    }
    const json = (await cli(['dev', 'status', '--json'], dir)).events()[0] ?? {};
    expect(json).toMatchObject({ running: true, service: true, pid, idleTimeoutSeconds: 120 });
    expect(typeof json.uptimeSeconds).toBe('number');
    expect(String(json.logFile)).toContain('service.log');

    const stopped = await cli(['dev', 'stop'], dir);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toContain(`Stopped the embedded default (pid ${pid})`);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(embeddedDir(), 'server.json'))).toBe(false);
    expect(existsSync(join(embeddedDir(), 'server.lock'))).toBe(false);
    const again = await cli(['dev', 'stop'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('not running');

    const restarted = await cli(['ps'], dir);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(advertisedPid()).not.toBe(pid);
  });

  it('stops itself when idle (POLLINATOR_DEV_IDLE_TIMEOUT)', { timeout: 180_000 }, async () => {
    const dir = await createProject(sandbox, 'idle');
    const malformed = await cli(['ps'], dir, { POLLINATOR_DEV_IDLE_TIMEOUT: 'soon' });
    expect(malformed.code, malformed.stderr).toBe(CliExitCode.CONFIG);
    expect(malformed.stderr).toContain('POLLINATOR_DEV_IDLE_TIMEOUT must be a duration, got "soon"');
    expect(existsSync(join(embeddedDir(), 'server.json'))).toBe(false);
    const result = await cli(['run'], dir, { POLLINATOR_DEV_IDLE_TIMEOUT: '2s' });
    expect(result.code, result.stderr).toBe(0);
    const pid = advertisedPid() ?? 0;
    expect(pid).toBeGreaterThan(0);
    await until(() => !alive(pid), 'the idle service stops');
    expect(existsSync(join(embeddedDir(), 'server.json'))).toBe(false);
    expect(existsSync(join(embeddedDir(), 'server.lock'))).toBe(false);
    expect(readFileSync(join(embeddedDir(), 'service.log'), 'utf8')).toContain('Idle: stopping.');
  });

  it('the env file `dev --write-env` writes works as is: `config` sees no typo, `run` exits 0; --concurrency is advertised', { timeout: 180_000 }, async () => {
    const dir = await createProject(sandbox, 'envfile');
    const { command, args } = cliCommand();
    const child = spawn(command, [...args, 'dev', '--json', '--concurrency', '3', '--write-env', 'colonies.env'], { cwd: dir, env: definedOnly(sandbox.env) });
    let stdout = '';
    const ready = new Promise<Record<string, unknown>>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const line = stdout.split('\n').slice(0, -1).find((text) => text.includes('"dev.ready"'));
        if (line !== undefined) resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(await ready).toMatchObject({ type: 'dev.ready', concurrency: 3, service: false });

    const fileEnv: Record<string, string> = {};
    for (const line of readFileSync(join(dir, 'colonies.env'), 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line);
      if (match !== null) fileEnv[match[1] ?? ''] = match[2] ?? '';
    }
    expect(Object.keys(fileEnv)).toContain('POLLINATOR_BLOB_DIR');
    const config = await cli(['config'], dir, fileEnv);
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).not.toContain('is not read by pollinator');
    expect(config.stdout).not.toContain('Not read by pollinator');
    const run = await cli(['run'], dir, fileEnv);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Hello world!');
    expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');

    const status = (await cli(['dev', 'status', '--json'], dir)).events()[0] ?? {};
    expect(status).toMatchObject({ running: true, service: false, concurrency: 3 });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
