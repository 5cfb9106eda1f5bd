import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey } from '@pollinator/crypto';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { cliCommand, colonyUserEnv, createSandbox, definedOnly, runCli, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// Issue #19, "exit codes and errors that tell the truth": each failure through
// the real binary, with the exit code docs/exit-codes.md gives it and a
// message that names the thing and the fix (docs/troubleshooting.md).

let server: DevServer;
let sandbox: Sandbox;
let colonyEnv: Record<string, string | undefined>;

beforeAll(async () => {
  server = await startDevServer({});
  sandbox = createSandbox();
  colonyEnv = colonyUserEnv(server, sandbox, { POLLINATOR_BLOB_DIR: join(sandbox.dir, 'blobs') });
});
afterAll(async () => {
  await server.close();
  sandbox.cleanup();
});

const cli = (args: string[], cwd = sandbox.dir, env: Record<string, string | undefined> = {}) =>
  runCli(args, { cwd, env: { ...colonyEnv, ...env }, timeoutMs: 90_000 });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A TCP server that accepts connections and never answers: an S3 endpoint a request waits on until it is interrupted. */
async function silentServer(): Promise<{ port: number; connected: () => Promise<void>; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const waiting: Array<() => void> = [];
  const silent: Server = createServer((socket) => {
    sockets.push(socket);
    for (const resolve of waiting.splice(0)) resolve();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  return {
    port,
    connected: () => (sockets.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    },
  };
}

describe('a run that fails while uploading says why, by cause', () => {
  it('a key that is not a member of the colony: 77, about membership, not S3', async () => {
    const dir = await createProject(sandbox, 'not-a-member');
    const result = await cli(['run', '--detach'], dir, { COLONIES_PRVKEY: generatePrivateKey() });
    expect(result.code, result.stderr).toBe(CliExitCode.SUBMISSION_REJECTED);
    expect(result.stderr).toContain('not a member of COLONIES_COLONY_NAME');
    expect(result.stderr).not.toContain('AWS_S3');
  });

  it('an unreachable Colonies server: 75, naming the server settings', async () => {
    const dir = await createProject(sandbox, 'unreachable');
    const result = await cli(['run', '--detach'], dir, { COLONIES_SERVER_PORT: String(await closedPort()) });
    expect(result.code, result.stderr).toBe(CliExitCode.CONNECTION_LOST);
    expect(result.stderr).toMatch(/reach the Colonies server/);
    expect(result.stderr).toContain('COLONIES_SERVER_HOST');
    expect(result.stderr).not.toContain('AWS_S3');
  });

  it('Ctrl-C during the upload: 130, "Interrupted", nothing submitted, no "Error: Stopped"', { timeout: 120_000 }, async () => {
    // An S3 endpoint that never answers: the upload waits until the interrupt.
    const silent = await silentServer();
    try {
      const dir = await createProject(sandbox, 'interrupted-upload');
      const env = { ...colonyEnv, POLLINATOR_BLOB_DIR: undefined, AWS_S3_ENDPOINT: `127.0.0.1:${silent.port}`, AWS_S3_ACCESSKEY: 'a', AWS_S3_SECRETKEY: 'b', AWS_S3_BUCKET: 'bucket' };
      const { command, args } = cliCommand();
      const child = spawn(command, [...args, 'run', '--detach'], { cwd: dir, env: definedOnly(env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.stdout.resume();
      await silent.connected();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)));
      expect(code, stderr).toBe(CliExitCode.CANCELLED);
      expect(stderr.match(/Interrupted/g), stderr).toHaveLength(1);
      expect(stderr).toContain('nothing was submitted');
      expect(stderr).not.toContain('Error: Stopped');
      expect(stderr).not.toMatch(/Error: Interrupted/);
      const ps = await cli(['ps', '--json']);
      expect(ps.events().filter((event) => event.type === 'process')).toEqual([]);
    } finally {
      await silent.close();
    }
  });
});

describe('Ctrl-C during a download', () => {
  it('pull --inputs interrupted while S3 does not answer: 130, "Interrupted" said once, not 74', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'interrupted-download');
    // Upload the inputs (local blob store), then remove the local copy so that pull must download it.
    const uploaded = await cli(['run', '--detach'], dir);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    rmSync(join(dir, 'cfs', 'src', 'main.py'));
    const silent = await silentServer();
    try {
      const env = { ...colonyEnv, POLLINATOR_BLOB_DIR: undefined, AWS_S3_ENDPOINT: `127.0.0.1:${silent.port}`, AWS_S3_ACCESSKEY: 'a', AWS_S3_SECRETKEY: 'b', AWS_S3_BUCKET: 'bucket' };
      const { command, args } = cliCommand();
      const child = spawn(command, [...args, 'pull', '--inputs'], { cwd: dir, env: definedOnly(env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.stdout.resume();
      await silent.connected();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)));
      expect(code, stderr).toBe(CliExitCode.CANCELLED);
      expect(stderr.match(/Interrupted/g), stderr).toHaveLength(1);
      expect(stderr).not.toContain('Error:');
    } finally {
      await silent.close();
    }
  });
});

const s3 = process.env.POLLINATOR_TEST_S3_ENDPOINT;

describe.skipIf(s3 === undefined)(`S3 that refuses the credentials${s3 === undefined ? ' (skipped: POLLINATOR_TEST_S3_ENDPOINT not set; scripts/services/ceph-rgw-up.sh provides it)' : ''}`, () => {
  it('a wrong AWS_S3_SECRETKEY: 77, "S3 at <endpoint> refused the credentials for bucket <bucket>", no bare UnknownError, no SDK warning', async () => {
    const dir = await createProject(sandbox, 'wrong-secret');
    const bucket = process.env.POLLINATOR_TEST_S3_BUCKET ?? 'pollinator-test';
    const result = await cli(['run', '--detach'], dir, {
      POLLINATOR_BLOB_DIR: undefined,
      AWS_S3_ENDPOINT: s3,
      AWS_S3_ACCESSKEY: process.env.POLLINATOR_TEST_S3_ACCESS_KEY,
      AWS_S3_SECRETKEY: 'not-the-secret',
      AWS_S3_BUCKET: bucket,
    });
    expect(result.code, result.stderr).toBe(CliExitCode.SUBMISSION_REJECTED);
    expect(result.stderr).toContain(`S3 at ${s3} refused the credentials for bucket ${bucket}`);
    expect(result.stderr).toContain('AWS_S3_SECRETKEY');
    expect(result.stderr).not.toContain('UnknownError');
    expect(result.stderr).not.toContain('not-the-secret');
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
  });
});

describe('misleading messages, corrected', () => {
  it('-C with a directory that does not exist names it (64), not "project.yaml not found"', async () => {
    const result = await runCli(['-C', '/nonexistent/pollinator-dir', 'plan'], { cwd: sandbox.dir, env: sandbox.env });
    expect(result.code).toBe(CliExitCode.USAGE);
    expect(result.stderr).toContain('Cannot run in /nonexistent/pollinator-dir (-C): no such directory');
    expect(result.stderr).not.toContain('project.yaml');
  });

  it('a wrong environment.source is a problem of project.yaml (65), not "No project here"', async () => {
    const dir = await createProject(sandbox, 'wrong-source', { projectYaml: (yaml) => yaml.replace(/source: main\.py/, 'source: mian.py') });
    const result = await runCli(['plan'], { cwd: dir, env: sandbox.env });
    expect(result.code).toBe(CliExitCode.INVALID_PROJECT);
    expect(result.stderr).toContain('project.yaml is invalid (1 problem)');
    expect(result.stderr).toMatch(/environment\.source: cfs\/src\/mian\.py does not exist/);
    expect(result.stderr).not.toContain('No project here');
  });

  it('outside a project, "No project here" still says so', async () => {
    const empty = join(sandbox.dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const result = await runCli(['plan'], { cwd: empty, env: sandbox.env });
    expect(result.code).toBe(CliExitCode.INVALID_PROJECT);
    expect(result.stderr).toContain('No project here');
  });
});

describe('configuration', () => {
  it('config names the variable a typo was meant to be, and knows what cfs-sync reads', async () => {
    const result = await runCli(['config'], { cwd: sandbox.dir, env: { ...sandbox.env, COLONIES_SERVR_HOST: 'x', POLLINATOR_CACHE_DIR: join(sandbox.dir, 'cache'), COLONIES_DB_HOST: 'db' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('COLONIES_SERVR_HOST is not read by pollinator: did you mean COLONIES_SERVER_HOST?');
    expect(result.stdout).toMatch(/Not read by pollinator.*COLONIES_DB_HOST/);
    expect(result.stdout).not.toMatch(/POLLINATOR_CACHE_DIR is not read|Not read by pollinator.*POLLINATOR_CACHE_DIR/);
    expect(result.stderr).not.toContain('did you mean');
    const json = await runCli(['config', '--json'], { cwd: sandbox.dir, env: { ...sandbox.env, COLONIES_SERVR_HOST: 'x' } });
    expect(json.events()[0]).toMatchObject({ unknownVariables: [{ name: 'COLONIES_SERVR_HOST', suggestion: 'COLONIES_SERVER_HOST' }] });
  });

  it('every other command warns about a typo too: it silently changes where things run', async () => {
    // COLONIES_SERVR_HOST is not COLONIES_SERVER_HOST: this runs on the embedded default, and says why.
    const result = await runCli(['ps'], { cwd: sandbox.dir, env: { ...sandbox.env, COLONIES_SERVR_HOST: 'x' } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/COLONIES_SERVR_HOST is not read by pollinator: did you mean COLONIES_SERVER_HOST\?/g)).toHaveLength(1);
  });

  it('COLONIES_SERVER_HTTP_PORT works in place of COLONIES_SERVER_PORT', async () => {
    const result = await cli(['ps', '--json'], sandbox.dir, { COLONIES_SERVER_PORT: undefined, COLONIES_SERVER_HTTP_PORT: String(server.port) });
    expect(result.code, result.stderr).toBe(0);
    const config = await cli(['config'], sandbox.dir, { COLONIES_SERVER_PORT: undefined, COLONIES_SERVER_HTTP_PORT: String(server.port) });
    expect(config.stdout).toContain(`http://127.0.0.1:${server.port}`);
    expect(config.stdout).not.toContain('COLONIES_SERVER_HTTP_PORT is not read');
  });
});

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

describe('an unreadable project file', () => {
  // Root reads any file whatever its mode: as root, the binary runs as `nobody`, the owner of a mode-000 file.
  it('a file the sync cannot read stops the run with 66, naming it, before anything is uploaded', async () => {
    const own = createSandbox();
    try {
      const dir = await createProject(own, 'unreadable-file');
      const locked = join(dir, 'cfs', 'src', 'locked.txt');
      writeFileSync(locked, 'secret\n');
      const blobs = join(own.dir, 'blobs');
      mkdirSync(blobs);
      if (asRoot) {
        for (const path of walk(own.dir)) chownSync(path, NOBODY, NOBODY);
        chmodSync(own.dir, 0o755);
      }
      chmodSync(locked, 0o000);
      const env = { ...colonyEnv, ...own.env, POLLINATOR_BLOB_DIR: blobs, POLLINATOR_CACHE_DIR: join(own.dir, 'cache') };
      if (asRoot) restoreAncestors = letNobodyReach(REPOSITORY);
      // `plan` says so too, instead of listing the file as an upload `run` cannot do.
      const planned = await runAs(['plan'], dir, env);
      expect(planned.code, planned.stderr).toBe(CliExitCode.NO_INPUT);
      expect(planned.stderr).toContain('cfs/src/locked.txt');
      expect(planned.stderr.match(/pollinatorignore/g)?.length, planned.stderr).toBe(1);
      const result = await runAs(['run', '--detach'], dir, env);
      expect(result.code, result.stderr).toBe(CliExitCode.NO_INPUT);
      expect(result.stderr).toContain('locked.txt');
      expect(result.stderr).not.toContain('AWS_S3');
      expect(readdirSync(blobs)).toEqual([]);
      const ps = await cli(['ps', '--json'], dir);
      expect(ps.events().filter((event) => event.type === 'process')).toEqual([]);
    } finally {
      restoreAncestors();
      own.cleanup();
    }
  });
});

const REPOSITORY = fileURLToPath(new URL('../../..', import.meta.url));
let restoreAncestors = (): void => undefined;

/**
 * Lets `nobody` enter the directories above `path` (o+x) until the returned
 * function puts their modes back: a checkout below a private directory (a
 * `mktemp -d`) would otherwise keep the binary from even starting as nobody.
 */
function letNobodyReach(path: string): () => void {
  const changed: Array<{ dir: string; mode: number }> = [];
  for (let dir = path; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push({ dir, mode });
    }
    if (dirname(dir) === dir) break;
  }
  return () => {
    for (const { dir, mode } of changed) chmodSync(dir, mode);
    restoreAncestors = () => undefined;
  };
}

/** The binary as `nobody` when the tests run as root (else as the current user). */
function runAs(args: string[], cwd: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stderr: string }> {
  const { command, args: prefix } = cliCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { cwd, env: definedOnly(env), stdio: ['ignore', 'ignore', 'pipe'], ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Every path under `dir`, itself included. */
function walk(dir: string): string[] {
  const paths = [dir];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) paths.push(...walk(path));
    else paths.push(path);
  }
  return paths;
}
