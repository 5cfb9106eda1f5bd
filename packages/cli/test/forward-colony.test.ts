import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createColoniesClient, type ColoniesClient, type Process } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { startSshd, type SshdFixture } from '@pollinator/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colonyUserEnv, createSandbox, runCli, type Sandbox } from './cli-harness';
import { freePort, get, getOnceServing, httpServerJob, startCli, type BackgroundCli } from './forward-harness';
import { createProject } from './project-fixture';

// Forwards through a configured colony (a dev-server started by the test
// stands in for a ColonyOS deployment). The keyless forward with the real
// `pollinator executor start` relaying; then `run` with the original
// Pollinator's SSH tunnel block, against a real sshd on loopback as the jump
// host, the test playing the Slurm executor: it takes the job, records NODES
// (the node the tunnel reaches: this machine) and serves the job's port itself.

let server: DevServer;
let sshd: SshdFixture;
let sandbox: Sandbox;
let executor: ColoniesClient;
let job: Server;
let jobPort: number;
let dir: string;
let env: Record<string, string | undefined>;
let httpPort: number;
let httpDir: string;
const running: BackgroundCli[] = [];
const EXECUTOR_NAME = `forward-test-${process.pid}`;

beforeAll(async () => {
  [server, sshd] = await Promise.all([startDevServer({}), startSshd()]);
  sandbox = createSandbox();
  env = colonyUserEnv(server, sandbox, { POLLINATOR_BLOB_DIR: join(sandbox.dir, 'blobs') });
  executor = createColoniesClient({ url: server.url, colonyName: 'dev', privateKey: server.identities.executor.privateKey });
  jobPort = await freePort();
  job = createServer((_request, response) => response.end('hello from the job\n'));
  await new Promise<void>((resolve) => job.listen(jobPort, '127.0.0.1', resolve));
  httpPort = await freePort();
  httpDir = await createProject(sandbox, 'colony-notebook', {
    mainPy: httpServerJob(httpPort),
    projectYaml: (yaml) => yaml.replace('executorNames: []', `executorNames: ["${EXECUTOR_NAME}"]`) + `\ntunnel:\n  port: ${httpPort}\n`,
  });
  const localPort = await freePort();
  dir = await createProject(sandbox, 'ssh-notebook', {
    projectYaml: (yaml) =>
      `${yaml}\ntunnel:\n  user: ${sshd.user}\n  jumpHost: 127.0.0.1\n  jumpHostPort: ${sshd.port}\n  sshKey: ${sshd.clientKey.privateKeyPath}\n  localPort: ${localPort}\n  remotePort: ${jobPort}\n`,
  });
}, 120_000);

afterAll(async () => {
  for (const command of running) command.signal('SIGKILL');
  await new Promise((resolve) => job?.close(resolve));
  await Promise.all([server?.close(), sshd?.stop()]);
  sandbox?.cleanup();
}, 60_000);

/** Starts `pollinator run` and takes its job as the executor would; NODES names this machine. */
async function runAndTakeJob(args: string[]): Promise<{ run: BackgroundCli; process: Process }> {
  const run = startCli(['run', ...args], { cwd: dir, env });
  running.push(run);
  let exited = false;
  void run.exited.then(() => (exited = true));
  while (!exited) {
    const process = await executor.assign({ timeout: 5 });
    if (process === null) continue;
    await executor.addAttribute({ processId: process.processid, key: 'NODES', value: '127.0.0.1' });
    return { run, process };
  }
  throw new Error(`pollinator run exited before submitting: ${run.stderr()}`);
}

describe('the keyless forward through a configured colony', () => {
  it('waits for a job no executor runs yet; once `executor start` runs it, relays the job\'s page, and the job ending ends it', { timeout: 180_000 }, async () => {
    const submitted = await runCli(['run', '--detach', '--json'], { cwd: httpDir, env, timeoutMs: 120_000 });
    expect(submitted.code, submitted.stderr).toBe(0);
    const processId = submitted.events().find((event) => event.type === 'process.submitted')?.processId as string;
    const forward = startCli(['forward', processId.slice(0, 10), `0:${httpPort}`], { cwd: httpDir, env });
    running.push(forward);
    await forward.waitFor(/The job is waiting for an executor: the forward opens once it runs\./, 'stderr');

    const executorProcess = startCli(['executor', 'start', '--backend', 'local', '--name', EXECUTOR_NAME, '-v'], {
      cwd: sandbox.dir,
      env: { ...env, COLONIES_COLONY_PRVKEY: server.identities.colony.privateKey },
    });
    running.push(executorProcess);
    try {
      const [, url = ''] = await forward.waitFor(/^Forwarding (http:\/\/127\.0\.0\.1:\d+) → port \d+ of job [0-9a-f]{8}…; Ctrl-C to stop$/m, 'stdout');
      const hello = await getOnceServing(`${url}/hello.txt`);
      expect(hello.body.toString('utf8')).toBe(readFileSync(join(httpDir, 'cfs', 'data', 'hello.txt'), 'utf8'));
      expect((await get(`${url}/stop`)).status).toBe(200);
      expect((await forward.exited).code, forward.stderr()).toBe(0);
      expect(forward.stderr()).toContain('The job finished (successful): forward closed.');
      // The operator's side: the executor says what it relayed.
      await executorProcess.waitFor(new RegExp(`forward ${processId}: `));
    } finally {
      executorProcess.signal('SIGTERM');
      await executorProcess.exited;
    }
  });
});

describe('run with an SSH tunnel block', () => {
  it('refuses a jump host that is not in known_hosts, with its fingerprint and how to accept it; the job goes on', { timeout: 120_000 }, async () => {
    const { run, process } = await runAndTakeJob([]);
    await run.waitFor(/The SSH tunnel did not open: .*$/m, 'stderr');
    expect(run.stderr()).toContain(`is not in your known hosts; its ssh-ed25519 key fingerprint is ${sshd.hostKey.fingerprint}`);
    expect(run.stderr()).toContain(`pollinator run --accept-host-key ${sshd.hostKey.fingerprint}`);
    await executor.closeSuccessful(process.processid);
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(0);
  });

  it('with --accept-host-key: forwards 127.0.0.1 to the job\'s port on its first node, and closes with the job', { timeout: 120_000 }, async () => {
    const { run, process } = await runAndTakeJob(['--accept-host-key', sshd.hostKey.fingerprint]);
    const [, url] = await run.waitFor(/Forwarding (http:\/\/127\.0\.0\.1:\d+) → port (\d+) of 127\.0\.0\.1 \(job [0-9a-f]{8}…, over SSH\); closes when the job ends/, 'stderr');
    expect(run.stderr()).toContain(`Accepted the jump host's key ${sshd.hostKey.fingerprint}`);
    const response = await get(`${url}/`);
    expect(response.body.toString('utf8')).toBe('hello from the job\n');
    await executor.closeSuccessful(process.processid);
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/Forward http:\/\/127\.0\.0\.1:\d+ closed\./);
    // The key is trusted from now on: in this user's known_hosts.
    const again = await runAndTakeJob([]);
    await again.run.waitFor(/over SSH\); closes when the job ends/, 'stderr');
    await executor.closeSuccessful(again.process.processid);
    expect((await again.run.exited).code, again.run.stderr()).toBe(0);
  });
});
