import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createColoniesClient } from '@pollinator/colonies-client';
import { generatePrivateKey, idOf } from '@pollinator/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { createSandbox, runCli, type Sandbox } from './cli-harness';
import { freePort, get, getOnceServing, httpServerJob, sha256, startCli, type BackgroundCli } from './forward-harness';
import { createProject } from './project-fixture';

// `pollinator forward` and `run` with a tunnel block, end to end on the
// embedded default: the real binary, the background service's dev-server and
// local executor, a job running Python's http.server on the tunnel's port.
// One project for every case; each job ends through GET /stop.

let sandbox: Sandbox;
let dir: string;
let jobPort: number;
const big = randomBytes(10 * 1024 * 1024);
const medium = randomBytes(256 * 1024);
const started: string[] = [];
const running: BackgroundCli[] = [];

beforeAll(async () => {
  sandbox = createSandbox();
  jobPort = await freePort();
  dir = await createProject(sandbox, 'notebook', {
    mainPy: httpServerJob(jobPort),
    projectYaml: (yaml) => `${yaml}\ntunnel:\n  port: ${jobPort}\n`,
  });
  writeFileSync(join(dir, 'cfs', 'data', 'big.bin'), big);
  writeFileSync(join(dir, 'cfs', 'data', 'medium.bin'), medium);
}, 120_000);

afterAll(async () => {
  for (const command of running) command.signal('SIGKILL');
  // A job a failed case left serving: cancel it before the service stops (it would keep running).
  for (const processId of started) await runCli(['cancel', processId], { cwd: dir, env: sandbox.env, timeoutMs: 60_000 }).catch(() => undefined);
  sandbox.cleanup();
}, 120_000);

function background(args: string[], env: Record<string, string | undefined> = sandbox.env): BackgroundCli {
  const command = startCli(args, { cwd: dir, env });
  running.push(command);
  return command;
}

/** A detached run of the project: its process id (stdout), and the hint how to forward to it later. */
async function submitDetached(): Promise<string> {
  const submitted = await runCli(['run', '--detach'], { cwd: dir, env: sandbox.env, timeoutMs: 120_000 });
  expect(submitted.code, submitted.stderr).toBe(0);
  const processId = submitted.stdout.trim();
  expect(processId).toMatch(/^[0-9a-f]{64}$/);
  started.push(processId);
  expect(submitted.stderr).toMatch(new RegExp(`forward +pollinator forward ${processId} ${jobPort}\\n`));
  return processId;
}

describe('forward --help', () => {
  it('teaches: the argument forms, what the job must allow, who may forward, an example', async () => {
    const help = await runCli(['forward', '--help'], { env: sandbox.env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('[localPort:]remotePort');
    expect(help.stdout).toContain('tunnel: {port: 8888}');
    expect(help.stdout).toContain('Only the user who submitted a job can forward to it');
    expect(help.stdout).toContain('$ pollinator forward @last 8888');
  });
});

describe('run with a tunnel block', () => {
  it('prints the URL once the job runs; the forward works while it runs and closes when it ends', { timeout: 180_000 }, async () => {
    const run = background(['run']);
    const [, url] = await run.waitFor(/Forwarding (http:\/\/127\.0\.0\.1:\d+) → port (\d+) of job [0-9a-f]{8}…; closes when the job ends/, 'stderr');
    expect(run.stderr()).toContain(`port ${jobPort} itself: the forward takes a free local port`);
    const hello = await getOnceServing(`${url}/hello.txt`);
    expect(hello.body.toString('utf8')).toBe(readFileSync(join(dir, 'cfs', 'data', 'hello.txt'), 'utf8'));
    expect((await get(`${url}/stop`)).status).toBe(200);
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain(`serving on port ${jobPort}`);
    expect(run.stderr()).toMatch(/forward closed|Forward http:\/\/127\.0\.0\.1:\d+ closed/);
  });
});

describe('pollinator forward', () => {
  let processId: string;
  let forward: BackgroundCli;
  let url: string;

  beforeAll(async () => {
    processId = await submitDetached();
  }, 180_000);

  it('a local port in use is refused with what to do; Ctrl-C closes the forward cleanly (exit 0); its --json lines follow the schema', { timeout: 120_000 }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as AddressInfo).port;
    const inUse = await runCli(['forward', processId, `${takenPort}:${jobPort}`], { cwd: dir, env: sandbox.env, timeoutMs: 60_000 });
    await new Promise((resolve) => taken.close(resolve));
    expect(inUse.code, inUse.stderr).toBe(CliExitCode.USAGE);
    expect(inUse.stderr).toContain(`Cannot listen on 127.0.0.1:${takenPort}: another program uses that port on this machine`);
    expect(inUse.stderr).toContain(`\`0:${jobPort}\` for any free one`);

    const json = background(['forward', processId, `0:${jobPort}`, '--json']);
    const [line = ''] = await json.waitFor(/^\{"type":"forward\.listening".*$/m, 'stdout');
    const listening = JSON.parse(line) as { url: string; remotePort: number; mode: string };
    expect(listening).toMatchObject({ remotePort: jobPort, mode: 'forward', processId });
    expect((await getOnceServing(`${listening.url}/hello.txt`)).status).toBe(200);
    json.signal('SIGINT');
    const { code } = await json.exited;
    expect(code, json.stderr()).toBe(0);
    const events = json.stdout().trim().split('\n').map((text) => JSON.parse(text) as Record<string, unknown>);
    for (const event of events) expect(eventProblems(event)).toBe('');
    expect(events).toContainEqual(expect.objectContaining({ type: 'forward.connection', processId }));
    expect(events.at(-1)).toMatchObject({ type: 'forward.closed', reason: 'interrupted', exitCode: 0 });
  });

  it('a new forward to the same job (by id prefix) serves a 10 MB file byte-exact, and 20 connections at once; -v shows them', { timeout: 180_000 }, async () => {
    forward = background(['forward', processId.slice(0, 12), `0:${jobPort}`, '-v']);
    [, url = ''] = await forward.waitFor(/^Forwarding (http:\/\/127\.0\.0\.1:\d+) → port \d+ of job [0-9a-f]{8}…; Ctrl-C to stop$/m, 'stdout');
    const download = await getOnceServing(`${url}/big.bin`);
    expect(download.body.length).toBe(big.length);
    expect(sha256(download.body)).toBe(sha256(big));

    const downloads = await Promise.all(Array.from({ length: 20 }, () => get(`${url}/medium.bin`)));
    for (const each of downloads) {
      expect(each.status).toBe(200);
      expect(sha256(each.body)).toBe(sha256(medium));
    }
    const opened = forward.stderr().match(/connection \d+ opened/g) ?? [];
    expect(opened.length).toBeGreaterThanOrEqual(21);
  });

  it('a port the job does not allow, and a user who did not submit the job, are refused with what to do', { timeout: 120_000 }, async () => {
    const notAllowed = await runCli(['forward', processId, `0:${jobPort === 9 ? 10 : 9}`], { cwd: dir, env: sandbox.env, timeoutMs: 60_000 });
    expect(notAllowed.code, notAllowed.stderr).toBe(CliExitCode.USAGE);
    expect(notAllowed.stderr).toContain('tunnel: {port: 9}');

    // A second user of the same colony (added by the colony's owner, as an administrator would).
    const advertised = JSON.parse(readFileSync(join(sandbox.env.POLLINATOR_DATA_DIR as string, 'embedded', 'server.json'), 'utf8')) as { url: string; env: Record<string, string> };
    const colonyName = advertised.env.COLONIES_COLONY_NAME as string;
    const owner = createColoniesClient({ url: advertised.url, colonyName, colonyPrivateKey: advertised.env.COLONIES_COLONY_PRVKEY });
    const colleagueKey = generatePrivateKey();
    await owner.asColonyOwner().addUser({ userid: idOf(colleagueKey), name: 'colleague', colonyname: colonyName });
    const colleague = await runCli(['forward', processId, `0:${jobPort}`, '--json'], {
      cwd: sandbox.dir,
      env: {
        ...sandbox.env,
        COLONIES_SERVER_HOST: advertised.env.COLONIES_SERVER_HOST,
        COLONIES_SERVER_PORT: advertised.env.COLONIES_SERVER_PORT,
        COLONIES_TLS: 'false',
        COLONIES_COLONY_NAME: colonyName,
        COLONIES_PRVKEY: colleagueKey,
      },
      timeoutMs: 60_000,
    });
    expect(colleague.code, colleague.stderr).toBe(CliExitCode.SUBMISSION_REJECTED);
    expect(colleague.stderr).toContain(`only the user who submitted process ${processId} can forward to it`);
    expect(colleague.events()).toContainEqual(expect.objectContaining({ type: 'error', code: 'FORWARD_NOT_SUBMITTER', exitCode: CliExitCode.SUBMISSION_REJECTED }));
  });

  it('the job ending ends the forward with a clear message (exit 0 for a successful job); a new one is refused', { timeout: 120_000 }, async () => {
    expect((await get(`${url}/stop`)).status).toBe(200);
    const { code } = await forward.exited;
    expect(code, forward.stderr()).toBe(0);
    expect(forward.stderr()).toContain('The job finished (successful): forward closed.');
    const again = await runCli(['forward', processId, String(jobPort)], { cwd: dir, env: sandbox.env, timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(CliExitCode.USAGE);
    expect(again.stderr).toContain(`Process ${processId} has already ended: the job finished (successful)`);
  });
});
