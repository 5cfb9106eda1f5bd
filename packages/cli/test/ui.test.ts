import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { createColoniesClient } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { createSandbox, runCli, type Sandbox } from './cli-harness';
import { freePort, startCli, type BackgroundCli } from './forward-harness';

// `pollinator ui` against a configured colony (a dev-server): it prints the
// link with the token, the link becomes a cookie, the cookie reads /api/runs.
// On the embedded default it prints the link of the dashboard the embedded
// default's own process serves (`pollinator dev`, or its background service).

let sandbox: Sandbox;
let server: DevServer;
let env: Record<string, string | undefined>;
const running: BackgroundCli[] = [];

beforeAll(async () => {
  sandbox = createSandbox();
  server = await startDevServer({});
  env = { ...sandbox.env, ...server.env('user') };
});
afterAll(async () => {
  for (const command of running) command.signal('SIGKILL');
  await server?.close();
  sandbox?.cleanup();
});

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    })
      .on('error', reject)
      .end();
  });
}

/** A live stream as a page holds it (kept open until `destroy()`). */
function openStream(url: string, cookie: string): ClientRequest {
  const stream = request(url, { headers: { cookie, accept: 'text/event-stream' } }, (response) => response.resume());
  stream.on('error', () => undefined);
  stream.end();
  return stream;
}

function ui(args: string[], extraEnv: Record<string, string | undefined> = {}): BackgroundCli {
  const command = startCli(['ui', ...args], { cwd: sandbox.dir, env: { ...env, ...extraEnv } });
  running.push(command);
  return command;
}

describe('pollinator ui', () => {
  it('prints the link with its token (--json) and serves /api/runs to the cookie the link gives', async () => {
    const { colony, user, executor } = server.identities;
    const client = createColoniesClient({ url: server.url, privateKey: user.privateKey, colonyName: colony.name });
    const submitted = await client.submit({ funcname: 'execute', label: 'shown', conditions: { executortype: executor.type }, maxexectime: 60 });

    const command = ui(['--json']);
    const line = (await command.waitFor(/^\{.*"ui\.ready".*\}$/m, 'stdout'))[0];
    const ready = JSON.parse(line) as { url: string; port: number; colonyName: string };
    expect(eventProblems(ready)).toBe('');
    expect(ready.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ready.port}/\\?token=[0-9a-f]{64}$`));
    expect(ready.colonyName).toBe(colony.name);

    const exchange = await get(ready.url);
    expect(exchange.status).toBe(303);
    const cookie = String((exchange.headers['set-cookie'] as string[])[0]).split(';')[0]!;
    const runs = await get(`http://127.0.0.1:${ready.port}/api/runs`, { cookie });
    expect(runs.status).toBe(200);
    expect((JSON.parse(runs.text) as { runs: { processId: string; label: string }[] }).runs).toContainEqual(
      expect.objectContaining({ processId: submitted.processid, label: 'shown' }),
    );
    expect(runs.text).not.toContain(user.privateKey);
    expect((await get(`http://127.0.0.1:${ready.port}/api/runs`)).status).toBe(401);

    command.signal('SIGINT');
    expect((await command.exited).code).toBe(0);
    expect(command.stdout()).toMatch(/"ui\.stopped"/);
    await client.cancelProcess(submitted.processid);
  });

  it('prints the link for humans, and --open hands it to the browser opener (or says there is none)', async () => {
    const bin = join(sandbox.dir, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    const opened = join(sandbox.dir, 'opened.txt');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const command = ui(['--open'], { PATH: `${bin}:${env.PATH ?? ''}` });
    const link = (await command.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/m, 'stdout'))[0];
    expect(command.stderr()).toMatch(/Dashboard of colony dev at http:\/\/127\.0\.0\.1:\d+/);
    await command.waitFor(/Ctrl-C stops the dashboard/, 'stderr');
    await expect.poll(() => readFileSync(opened, 'utf8')).toBe(link);
    command.signal('SIGINT');
    expect((await command.exited).code).toBe(0);

    if (process.platform === 'linux') {
      const without = ui(['--open'], { PATH: join(sandbox.dir, 'empty-bin') });
      // node is found by the harness's absolute path; xdg-open is not on this PATH.
      await without.waitFor(/Could not open a browser: xdg-open is not installed/, 'stderr');
      without.signal('SIGINT');
      expect((await without.exited).code).toBe(0);
    }
  });

  it('pollinator dev serves the dashboard too and prints its link', async () => {
    // The embedded default: nothing configured (the sandbox has no COLONIES_* variables).
    const dev = startCli(['dev', '--json', '--no-executor'], { cwd: sandbox.dir, env: sandbox.env });
    running.push(dev);
    const line = (await dev.waitFor(/^\{.*"dev\.ready".*\}$/m, 'stdout'))[0];
    const ready = JSON.parse(line) as { dashboardUrl: string; colonyName: string };
    expect(eventProblems(ready)).toBe('');
    expect(ready.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    const exchange = await get(ready.dashboardUrl);
    const cookie = String((exchange.headers['set-cookie'] as string[])[0]).split(';')[0]!;
    const origin = new URL(ready.dashboardUrl).origin;
    const runs = await get(`${origin}/api/runs`, { cookie });
    expect(runs.status).toBe(200);
    expect(JSON.parse(runs.text)).toEqual({ runs: [], unreadable: [] });
    dev.signal('SIGINT');
    expect((await dev.exited).code).toBe(0);
  });

  it('on the embedded default, prints the link of the dashboard its background service serves, which stays up while a page is open', { timeout: 120_000 }, async () => {
    // The embedded default: nothing configured. The service `ui` starts inherits the short idle timeout.
    const command = startCli(['ui', '--json'], { cwd: sandbox.dir, env: { ...sandbox.env, POLLINATOR_DEV_IDLE_TIMEOUT: '60s' } });
    running.push(command);
    const ready = JSON.parse((await command.waitFor(/^\{.*"ui\.ready".*\}$/m, 'stdout'))[0]) as { url: string; port: number; colonyName: string };
    expect(eventProblems(ready)).toBe('');
    expect(ready.colonyName).toBe('dev');
    const serverJson = join(sandbox.dir, 'data', 'embedded', 'server.json');
    const advertised = JSON.parse(readFileSync(serverJson, 'utf8')) as { pid: number; service: boolean; dashboard: { link: string } };
    // The service serves it (not this command), and only the user can read the token.
    expect(advertised.service).toBe(true);
    expect(ready.url).toBe(advertised.dashboard.link);
    expect(statSync(serverJson).mode & 0o077).toBe(0);
    const exchange = await get(ready.url);
    const cookie = String((exchange.headers['set-cookie'] as string[])[0]).split(';')[0]!;
    const executors = await get(`http://127.0.0.1:${ready.port}/api/executors`, { cookie });
    expect(executors.status).toBe(200);
    expect((JSON.parse(executors.text) as { executors: unknown[] }).executors.length).toBeGreaterThan(0);
    command.signal('SIGINT');
    expect((await command.exited).code).toBe(0);

    // `dev status` shows the same link; with nothing going on the service counts down to stopping itself…
    const status = async () => {
      const result = await runCli(['dev', 'status', '--json'], { cwd: sandbox.dir, env: sandbox.env });
      return result.events()[0] ?? {};
    };
    expect(await status()).toMatchObject({ running: true, pid: advertised.pid, dashboardUrl: advertised.dashboard.link });
    await expect.poll(async () => typeof (await status()).idleStopAt, { timeout: 30_000, interval: 500 }).toBe('string');
    // …and not while a page keeps its live stream open.
    const stream = openStream(`http://127.0.0.1:${ready.port}/api/events`, cookie);
    try {
      await expect.poll(async () => (await status()).idleStopAt, { timeout: 30_000, interval: 500 }).toBeNull();
    } finally {
      stream.destroy();
    }
  });

  it('on the embedded default, ends saying so when the service it attached to stops', { timeout: 60_000 }, async () => {
    const command = startCli(['ui'], { cwd: sandbox.dir, env: sandbox.env });
    running.push(command);
    await command.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/m, 'stdout');
    await command.waitFor(/The embedded default serves it/, 'stderr');
    const stopped = await runCli(['dev', 'stop'], { cwd: sandbox.dir, env: sandbox.env });
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await command.exited).code).toBe(75);
    expect(command.stderr()).toMatch(/The embedded default stopped, and its dashboard with it[\s\S]*Run `pollinator ui` again/);
  });

  it('--port on the embedded default serves a dashboard of its own from this command', async () => {
    const port = await freePort();
    const command = startCli(['ui', '--json', '--port', String(port)], { cwd: sandbox.dir, env: sandbox.env });
    running.push(command);
    const ready = JSON.parse((await command.waitFor(/^\{.*"ui\.ready".*\}$/m, 'stdout'))[0]) as { url: string; port: number };
    expect(ready.port).toBe(port);
    const advertised = JSON.parse(readFileSync(join(sandbox.dir, 'data', 'embedded', 'server.json'), 'utf8')) as { dashboard: { link: string } };
    expect(ready.url).not.toBe(advertised.dashboard.link);
    expect((await get(ready.url)).status).toBe(303);
    command.signal('SIGINT');
    expect((await command.exited).code).toBe(0);
  });
});
