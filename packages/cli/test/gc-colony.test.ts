import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ColoniesClient, createColoniesClient } from '@pollinator/colonies-client';
import { generatePrivateKey, idOf } from '@pollinator/crypto';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { cliShellCommand, createSandbox, definedOnly, runCli, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// `pollinator gc` against a configured colony (a dev-server standing in for
// one): only this user's old runs of this project and the snapshots only they
// name go, and only after a confirmation.

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

let server: DevServer;
let sandbox: Sandbox;
let me: ColoniesClient;
let colleague: ColoniesClient;
let executor: ColoniesClient;
let env: Record<string, string | undefined>;

beforeEach(async () => {
  server = await startDevServer({});
  sandbox = createSandbox();
  const userEnv = server.env('user');
  env = {
    ...sandbox.env,
    COLONIES_SERVER_HOST: userEnv.COLONIES_SERVER_HOST,
    COLONIES_SERVER_PORT: userEnv.COLONIES_SERVER_PORT,
    COLONIES_TLS: 'false',
    COLONIES_COLONY_NAME: userEnv.COLONIES_COLONY_NAME,
    COLONIES_PRVKEY: userEnv.COLONIES_PRVKEY,
  };
  const base = { url: server.url, colonyName: 'dev', colonyPrivateKey: server.identities.colony.privateKey };
  me = createColoniesClient({ ...base, privateKey: server.identities.user.privateKey });
  executor = me.as(server.identities.executor.privateKey);
  const colleagueKey = generatePrivateKey();
  await me.asColonyOwner().addUser({ userid: idOf(colleagueKey), name: 'colleague', colonyname: 'dev' });
  colleague = me.as(colleagueKey);
});
afterEach(async () => {
  await server.close();
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string) => runCli(args, { cwd, env, timeoutMs: 60_000 });

function projectNameOf(dir: string): string {
  const match = /^projectname:\s*(\S+)/m.exec(readFileSync(join(dir, 'project.yaml'), 'utf8'));
  if (match?.[1] === undefined) throw new Error('project.yaml names no project');
  return match[1];
}

/** A snapshot of a one-file label (the file record only: nothing reads its blob here). */
async function snapshot(label: string, name: string): Promise<string> {
  await me.addFile({ label, name: 'main.py', size: 1, checksum: name, ref: { s3object: { object: name } } });
  return (await me.createSnapshot({ label, name })).snapshotid;
}

/** A finished run of `project` submitted by `client`, staging `snapshotId`. */
async function finishedRun(client: ColoniesClient, project: string, snapshotId: string): Promise<string> {
  const spec = {
    funcname: 'execute',
    maxexectime: -1,
    maxwaittime: -1,
    label: project,
    conditions: { colonyname: 'dev', executortype: 'container-executor' },
    fs: { mount: '/cfs', snapshots: [{ label: `/pollinator/${project}/src`, snapshotid: snapshotId, dir: `/pollinator/${project}/${snapshotId}/src`, keepfiles: true, keepsnapshot: true }], dirs: [] },
  };
  const process = await client.submit(spec);
  const assigned = await executor.assign({ timeout: -1 });
  expect(assigned?.processid).toBe(process.processid);
  await executor.closeSuccessful(process.processid);
  return process.processid;
}

async function exists(what: () => Promise<unknown>): Promise<boolean> {
  return what().then(
    () => true,
    () => false,
  );
}

/** Runs of the project: the colleague's (oldest), two old ones of mine, my newest; one of mine in another project. */
async function fixture(dir: string) {
  const project = projectNameOf(dir);
  const shared = await snapshot(`/pollinator/${project}/src`, 'shared');
  const mine1 = await snapshot(`/pollinator/${project}/src`, 'mine-1');
  const mine2 = await snapshot(`/pollinator/${project}/src`, 'mine-2');
  const other = await snapshot('/pollinator/other-project/src', 'other');
  const colleagues = await finishedRun(colleague, project, shared);
  const old1 = await finishedRun(me, project, shared);
  const old2 = await finishedRun(me, project, mine1);
  const otherProject = await finishedRun(me, 'other-project', other);
  const newest = await finishedRun(me, project, mine2);
  return { shared, mine1, mine2, other, colleagues, old1, old2, otherProject, newest };
}

describe('pollinator gc against a configured colony', () => {
  it('removes only my old runs of this project and snapshots nothing else names, and only with --yes without a terminal', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'gc-colony');
    const runs = await fixture(dir);
    const retention = ['--keep-last', '1', '--keep-days', '0'];

    const refused = await cli(['gc', ...retention], dir);
    expect(refused.code).toBe(CliExitCode.USAGE);
    expect(refused.stderr).toContain('--yes');
    expect(refused.stdout).toContain(runs.old1);
    expect(await exists(() => me.getProcess(runs.old1))).toBe(true);

    const dry = await cli(['gc', '--dry-run', '--json', ...retention], dir);
    expect(dry.code, dry.stderr).toBe(0);
    const [plan] = dry.events();
    expect(plan).toMatchObject({ type: 'gc', mode: 'colony', dryRun: true, removed: false });
    expect((plan!.processes as Array<{ processid: string }>).map((entry) => entry.processid).sort()).toEqual([runs.old1, runs.old2].sort());
    expect((plan!.snapshots as Array<{ snapshotid: string }>).map((entry) => entry.snapshotid)).toEqual([runs.mine1]);
    expect(await exists(() => me.getProcess(runs.old2))).toBe(true);

    const done = await cli(['gc', '--yes', ...retention], dir);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('Removed 2 runs and 1 snapshot');
    expect(await exists(() => me.getProcess(runs.old1))).toBe(false);
    expect(await exists(() => me.getProcess(runs.old2))).toBe(false);
    expect(await exists(() => me.getSnapshot({ snapshotId: runs.mine1 }))).toBe(false);
    // Kept: my newest run, the colleague's run and the snapshot it shares, the other project entirely.
    for (const id of [runs.newest, runs.colleagues, runs.otherProject]) expect(await exists(() => me.getProcess(id))).toBe(true);
    for (const id of [runs.shared, runs.mine2, runs.other]) expect(await exists(() => me.getSnapshot({ snapshotId: id }))).toBe(true);
  });

  it('outside a project directory it refuses (it never guesses which project)', async () => {
    const result = await cli(['gc', '--yes'], sandbox.dir);
    expect(result.code).toBe(CliExitCode.USAGE);
    expect(result.stderr).toContain('needs a project directory');
  });

  it.skipIf(!hasScript)('asks on a terminal: "n" removes nothing, "y" removes', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'gc-colony-tty');
    const runs = await fixture(dir);
    const answer = async (reply: string): Promise<string> => {
      const child = spawn('script', ['-qfec', `${cliShellCommand()} gc --keep-last 1 --keep-days 0`, '/dev/null'], {
        cwd: dir,
        env: definedOnly({ ...env, TERM: 'dumb' }),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let screen = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      const deadline = Date.now() + 60_000;
      while (!screen.includes('[y/N]') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(screen).toContain('[y/N]');
      child.stdin.write(`${reply}\r`);
      await exited;
      return screen;
    };
    expect(await answer('n')).toContain('Nothing was removed');
    expect(await exists(() => me.getProcess(runs.old1))).toBe(true);
    expect(await answer('y')).toContain('Removed 2 runs and 1 snapshot');
    expect(await exists(() => me.getProcess(runs.old1))).toBe(false);
  });
});
