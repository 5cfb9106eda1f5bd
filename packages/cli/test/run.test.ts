import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { cliCommand, createSandbox, definedOnly, runCli, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// The whole flow through the real binary on the embedded default: the
// dev-server and a local executor started by the command itself, with all
// state under the sandbox's POLLINATOR_DATA_DIR.

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string, env: Record<string, string | undefined> = {}, timeoutMs = 90_000) =>
  runCli(args, { cwd, env: { ...sandbox.env, ...env }, timeoutMs });

describe('pollinator run on the embedded default', () => {
  it('runs the scaffolded project: logs stream, cfs/result fills, exit 0', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'demo');
    const result = await cli(['run'], dir);
    expect(result.code, result.stderr).toBe(0);
    // The job's log on stdout, pollinator's own lines on stderr.
    expect(result.stdout).toContain('Hello world!');
    expect(result.stdout).toContain('wrote /cfs/pollinator/');
    expect(result.stdout).not.toContain('Submitted process');
    expect(result.stderr).toMatch(/Submitted process [0-9a-f]{64} to colony dev/);
    expect(result.stderr).toContain('Succeeded');
    expect(result.stderr).toContain('No colony configured: using the embedded default');
    // Plain output (not a TTY): no cursor movement.
    expect(result.stderr).not.toContain('\u001b[');
    expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
    // State lives under the data directory, nowhere else.
    expect(existsSync(join(sandbox.dir, 'data', 'embedded', 'server'))).toBe(true);
    // The background service the run started keeps serving (sandbox.cleanup() stops it).
    expect(existsSync(join(sandbox.dir, 'data', 'embedded', 'server.json'))).toBe(true);

    // The embedded default is announced once per data directory.
    const again = await cli(['run'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('No colony configured');
    expect(again.stderr).toContain('src: up to date');
  });

  it('--json prints the event stream as NDJSON and nothing else on stdout', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'demo');
    const result = await cli(['run', '--json'], dir);
    expect(result.code, result.stderr).toBe(0);
    const events = result.events();
    const types = events.map((event) => event.type);
    for (const type of ['project.loaded', 'sync.plan', 'sync.done', 'snapshot.created', 'spec.built', 'process.submitted', 'process.state', 'log', 'result.synced', 'done']) {
      expect(types, type).toContain(type);
    }
    expect(types.indexOf('process.submitted')).toBeLessThan(types.indexOf('log'));
    expect(types.at(-1)).toBe('done');
    expect(events.at(-1)).toMatchObject({ result: { state: 'success', exitCode: 0 } });
    const logText = events.filter((event) => event.type === 'log').map((event) => event.message).join('');
    expect(logText).toContain('Hello world!');
    expect(result.stderr).not.toContain('Submitted');
  });

  it("exits with the job's own exit code and says so", { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'failing', {
      mainPy: 'import sys\nprint("about to fail", flush=True)\nsys.exit(3)\n',
    });
    const result = await cli(['run'], dir);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toContain('about to fail');
    expect(result.stderr).toContain('Failed with exit code 3');
  });

  it('--detach prints only the process id; logs --follow, status and pull pick it up', { timeout: 150_000 }, async () => {
    const dir = await createProject(sandbox, 'detached');
    const submitted = await cli(['run', '--detach'], dir);
    expect(submitted.code, submitted.stderr).toBe(0);
    const processId = submitted.stdout.trim();
    expect(processId).toMatch(/^[0-9a-f]{64}$/);
    expect(submitted.stderr).toContain(`pollinator logs ${processId} --follow`);

    // The embedded default's background service runs it without anyone following.
    const submittedState = await cli(['status', processId, '--json'], dir);
    expect(submittedState.events()[0]).toMatchObject({ type: 'process', processId });
    expect(['waiting', 'running', 'success']).toContain(submittedState.events()[0]?.state);

    const followed = await cli(['logs', processId, '--follow'], dir);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain('Hello world!');

    const status = await cli(['status', processId], dir);
    expect(status.stdout).toMatch(/State\s+success \(exit code 0\)/);
    const logs = await cli(['logs', processId], dir);
    expect(logs.stdout).toContain('Hello world!');
    const ps = await cli(['ps', '--json'], dir);
    expect(ps.events().map((event) => event.processId)).toContain(processId);

    expect(existsSync(join(dir, 'cfs', 'result', 'result.txt'))).toBe(false);
    const pulled = await cli(['pull', processId], dir);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
  });

  it('cancel --wait from another command stops a running job; run exits 130', { timeout: 150_000 }, async () => {
    const dir = await createProject(sandbox, 'long', {
      mainPy: 'import time\nfor i in range(120):\n    print("tick", i, flush=True)\n    time.sleep(0.5)\n',
    });
    const { command, args } = cliCommand();
    const child = spawn(command, [...args, 'run', '--json'], { cwd: dir, env: definedOnly(sandbox.env) });
    let stdout = '';
    let processId: string | undefined;
    const running = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        processId ??= /"processId":"([0-9a-f]{64})"/.exec(stdout)?.[1];
        if (processId !== undefined && stdout.includes('"tick 1')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await running;
    // A second command finds the embedded server the first one advertises.
    const cancelled = await cli(['cancel', processId ?? '', '--wait'], dir);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stderr).toContain('Cancelled');
    expect(await exited).toBe(CliExitCode.CANCELLED);
    const last = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).at(-1);
    expect(last).toMatchObject({ type: 'done', result: { state: 'cancelled', exitCode: 130 } });
  });
});

describe('pollinator dev', () => {
  it('serves the embedded default in the foreground: prints its environment, other commands use it, Ctrl-C stops it', { timeout: 150_000 }, async () => {
    const dir = await createProject(sandbox, 'devproject');
    const { command, args } = cliCommand();
    const child = spawn(command, [...args, 'dev', '--json', '--write-env', 'colonies.env'], { cwd: dir, env: definedOnly(sandbox.env) });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const ready = new Promise<Record<string, unknown>>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        // Complete lines only: a chunk may end in the middle of one.
        const line = stdout.split('\n').slice(0, -1).find((text) => text.includes('"dev.ready"'));
        if (line !== undefined) resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const event = (await ready) as { url: string; env: Record<string, string>; executor: boolean };
    expect(event).toMatchObject({ type: 'dev.ready', executor: true });
    expect(event.env.COLONIES_SERVER_PORT).toBe(new URL(event.url).port);
    expect(readFileSync(join(dir, 'colonies.env'), 'utf8')).toContain(`COLONIES_SERVER_PORT=${event.env.COLONIES_SERVER_PORT}`);

    // A second dev refuses; other commands connect to this one, and its executor runs their jobs.
    const second = await cli(['dev'], dir);
    expect(second.code).toBe(CliExitCode.USAGE);
    expect(second.stderr).toContain('already running');
    const submitted = await cli(['run', '--detach'], dir);
    expect(submitted.code, submitted.stderr).toBe(0);
    const processId = submitted.stdout.trim();
    let state = 'waiting';
    for (let attempt = 0; attempt < 120 && state !== 'success' && state !== 'failed'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      state = String((await cli(['status', processId, '--json'], dir)).events()[0]?.state);
    }
    expect(state).toBe('success');
    expect(stdout).toContain(`"executor.process.closed"`);

    child.kill('SIGINT');
    expect(await exited, stderr).toBe(0);
    expect(stdout).toContain('"dev.stopped"');
    expect(existsSync(join(sandbox.dir, 'data', 'embedded', 'server.json'))).toBe(false);
  });
});

describe('plan and funcspec change nothing', () => {
  it('plan lists files with reasons and ignore rules, totals and the spec; no state is created', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'planned');
    writeFileSync(join(dir, 'cfs', 'data', '.pollinatorignore'), '*.tmp\n');
    writeFileSync(join(dir, 'cfs', 'data', 'scratch.tmp'), 'x');
    const result = await cli(['plan'], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/upload .*main\.py\s+new local file/);
    expect(result.stdout).toMatch(/ignored .*scratch\.tmp\s+ignored by .*\.pollinatorignore:1 \(\*\.tmp\)/);
    expect(result.stdout).toMatch(/total: 1 file to upload/);
    expect(result.stdout).toContain('"funcname": "execute"');
    expect(result.stdout).toContain('{snapshotid}');
    // No embedded state was created, nothing else either.
    expect(existsSync(join(sandbox.dir, 'data'))).toBe(false);
    expect(readdirSync(join(dir, 'cfs', 'result'))).toEqual([]);
    // `run --dry-run` is the same command.
    const dry = await cli(['run', '--dry-run', '--json'], dir);
    expect(dry.code).toBe(0);
    const events = dry.events();
    expect(events.map((event) => event.type)).not.toContain('process.submitted');
    expect(events.map((event) => event.type)).not.toContain('snapshot.created');
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { state: 'dry-run' } });
  });

  it('plan after a run shows only what changed, and uploads nothing', { timeout: 150_000 }, async () => {
    const dir = await createProject(sandbox, 'replan');
    expect((await cli(['run'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'cfs', 'data', 'more.txt'), 'more data\n');
    const processesBefore = (await cli(['ps', '--json'], dir)).events().length;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const plan = await cli(['plan', '--json'], dir);
      expect(plan.code, plan.stderr).toBe(0);
      const data = plan.events().find((event) => event.type === 'sync.plan' && event.target === 'data') as { upload: { files: number }; unchanged: { files: number } };
      // Still one file to upload the second time: the first plan uploaded nothing.
      expect(data.upload.files).toBe(1);
      expect(data.unchanged.files).toBe(1);
    }
    expect((await cli(['ps', '--json'], dir)).events().length).toBe(processesBefore);
  });

  it('funcspec prints the spec without any server', async () => {
    const dir = await createProject(sandbox, 'spec');
    const result = await cli(['funcspec'], dir);
    expect(result.code, result.stderr).toBe(0);
    const spec = JSON.parse(result.stdout) as { funcname: string; conditions: { colonyname: string }; label: string };
    expect(spec).toMatchObject({ funcname: 'execute', conditions: { colonyname: 'dev' } });
    expect(spec.label).toMatch(/^spec-/);
    expect(existsSync(join(sandbox.dir, 'data'))).toBe(false);
    const colony = await cli(['funcspec', '--json'], dir, { COLONIES_SERVER_HOST: 'colonies.example.org', COLONIES_COLONY_NAME: 'hpc' });
    expect(colony.events()[0]).toMatchObject({ type: 'spec.built', spec: { conditions: { colonyname: 'hpc' } } });
  });
});

describe('errors for bad input', () => {
  it('an invalid project.yaml lists every problem with file:line:col and exits 65', { timeout: 60_000 }, async () => {
    const dir = await createProject(sandbox, 'broken', {
      projectYaml: (text) => text.replace('nodes: 1', 'nodes: 500').replace('cpu: 1000m', 'cpu: 2').replace('walltime: 600', 'waltime: 600'),
    });
    for (const command of [['run'], ['plan'], ['funcspec']]) {
      const result = await cli(command, dir);
      expect(result.code, `${command.join(' ')}: ${result.stderr}`).toBe(CliExitCode.INVALID_PROJECT);
      expect(result.stderr).toMatch(/project\.yaml is invalid \(\d+ problems\)/);
      expect(result.stderr).toMatch(/project\.yaml:\d+:\d+ conditions\.nodes/);
      expect(result.stderr).toMatch(/project\.yaml:\d+:\d+ conditions\.cpu/);
      expect(result.stderr).toMatch(/project\.yaml:\d+:\d+ conditions\.waltime/);
      expect(result.stderr).toContain('walltime');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(join(sandbox.dir, 'data', 'embedded', 'server', 'blobs'))).toBe(false);
  });

  it('run outside a project says project.yaml is missing (65)', { timeout: 60_000 }, async () => {
    mkdirSync(join(sandbox.dir, 'empty'));
    const result = await cli(['run'], join(sandbox.dir, 'empty'));
    expect(result.code).toBe(CliExitCode.INVALID_PROJECT);
    expect(result.stderr).toContain('project.yaml');
  });

  it('a configured colony that does not answer is a connection error (75)', async () => {
    // A port nobody listens on: bind one, then close it.
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const result = await cli(['ps'], sandbox.dir, {
      COLONIES_SERVER_HOST: '127.0.0.1',
      COLONIES_SERVER_PORT: String(port),
      COLONIES_TLS: 'false',
      COLONIES_COLONY_NAME: 'dev',
      COLONIES_PRVKEY: 'ddf7f7791208083b6a9ed975a72684f6406a269cfa36f1b1c32045c0a71fff05',
    });
    expect(result.code, result.stderr).toBe(CliExitCode.CONNECTION_LOST);
    expect(result.stderr).toContain('Cannot reach the Colonies server');
    expect(result.stderr).toContain('pollinator config');
  });

  it('an incomplete colony configuration names every missing variable (78)', async () => {
    const result = await cli(['ps'], sandbox.dir, { COLONIES_SERVER_HOST: 'colonies.example.org' });
    expect(result.code).toBe(CliExitCode.CONFIG);
    for (const variable of ['COLONIES_SERVER_PORT', 'COLONIES_COLONY_NAME', 'COLONIES_PRVKEY']) expect(result.stderr).toContain(variable);
    expect(result.stderr).not.toContain('ddf7');
  });

  it('unknown process ids are explained', { timeout: 60_000 }, async () => {
    const missing = await cli(['status', '0'.repeat(64)], sandbox.dir);
    expect(missing.code).toBe(CliExitCode.USAGE);
    expect(missing.stderr).toContain(`No process ${'0'.repeat(64)}`);
    const malformed = await cli(['logs', 'abc'], sandbox.dir);
    expect(malformed.code).toBe(CliExitCode.USAGE);
    expect(malformed.stderr).toContain('64 hexadecimal digits');
  });
});
