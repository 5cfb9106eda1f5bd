import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { cliCommand, colonyUserEnv, createSandbox, definedOnly, runCli, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// The same binary pointed at a configured colony through the original
// Pollinator's COLONIES_* variables (a dev-server started by the test stands
// in for a real ColonyOS deployment).

let server: DevServer;
let sandbox: Sandbox;
let colonyEnv: Record<string, string | undefined>;

beforeAll(async () => {
  server = await startDevServer({});
  sandbox = createSandbox();
  colonyEnv = colonyUserEnv(server, sandbox, { COLONYOS_DASHBOARD_URL: 'https://dashboard.example.org' });
});
afterAll(async () => {
  await server.close();
  sandbox.cleanup();
});

const cli = (args: string[], cwd = sandbox.dir, env: Record<string, string | undefined> = {}) =>
  runCli(args, { cwd, env: { ...colonyEnv, ...env }, timeoutMs: 60_000 });

describe('against a configured colony', () => {
  it('config shows the colony, with the key masked', async () => {
    const result = await cli(['config']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`http://127.0.0.1:${server.port}, colony dev`);
    expect(result.stdout).not.toContain(colonyEnv.COLONIES_PRVKEY);
  });

  it('executors lists the colony\'s executors and which can run the project', async () => {
    const dir = await createProject(sandbox, 'colony-project');
    const result = await cli(['executors', '--json'], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(result.events()).toContainEqual(
      expect.objectContaining({ type: 'executor', name: server.identities.executor.name, state: 'approved', canRun: true }),
    );
    const text = await cli(['executors'], dir);
    expect(text.stdout).toMatch(/dev-executor\s+container-executor\s+approved/);
    // No embedded default was started for any of this.
    expect(text.stderr).not.toContain('embedded');
  });

  it('run without S3 configured stops before uploading and says what to set', async () => {
    const dir = await createProject(sandbox, 'colony-no-s3');
    const result = await cli(['run', '--detach'], dir);
    expect(result.code).toBe(CliExitCode.CONFIG);
    expect(result.stderr).toContain('AWS_S3_ENDPOINT');
    const ps = await cli(['ps', '--json']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.events()).toEqual([]);
  });
});

// With real S3 (Ceph RGW from scripts/services, as CI runs it): the whole flow
// against the configured colony, the job run by `pollinator executor start`.
const s3 = process.env.POLLINATOR_TEST_S3_ENDPOINT;
const requireServices = process.env.POLLINATOR_REQUIRE_SERVICES === '1';

describe.skipIf(s3 === undefined && !requireServices)(
  `against a configured colony with S3${s3 === undefined ? ' (skipped: POLLINATOR_TEST_S3_ENDPOINT not set, scripts/services/ceph-rgw-up.sh provides it)' : ''}`,
  () => {
    it('executor start --backend local runs the job that run submits; logs, results and exit code come back', { timeout: 180_000 }, async () => {
      expect(s3, 'POLLINATOR_REQUIRE_SERVICES=1 but POLLINATOR_TEST_S3_ENDPOINT is not set').toBeDefined();
      const s3Env = {
        AWS_S3_ENDPOINT: process.env.POLLINATOR_TEST_S3_ENDPOINT,
        AWS_S3_ACCESSKEY: process.env.POLLINATOR_TEST_S3_ACCESS_KEY,
        AWS_S3_SECRETKEY: process.env.POLLINATOR_TEST_S3_SECRET_KEY,
        AWS_S3_BUCKET: process.env.POLLINATOR_TEST_S3_BUCKET,
        AWS_S3_REGION: process.env.POLLINATOR_TEST_S3_REGION ?? 'us-east-1',
        AWS_S3_TLS: 'false',
      };
      const executorName = `cli-test-${process.pid}`;
      const { command, args } = cliCommand();
      const executor = spawn(command, [...args, 'executor', 'start', '--backend', 'local', '--name', executorName], {
        cwd: sandbox.dir,
        env: definedOnly({ ...colonyEnv, ...s3Env, COLONIES_COLONY_PRVKEY: server.identities.colony.privateKey }),
      });
      let executorOutput = '';
      executor.stdout.setEncoding('utf8').on('data', (chunk: string) => (executorOutput += chunk));
      executor.stderr.setEncoding('utf8').on('data', (chunk: string) => (executorOutput += chunk));
      const executorExited = new Promise<number | null>((resolve) => executor.on('close', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 60_000;
        while (!executorOutput.includes('takes jobs from') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(executorOutput).toContain(`Executor ${executorName} (local, type container-executor) takes jobs from colony dev`);

        const dir = await createProject(sandbox, 'colony-run', {
          projectYaml: (text) => text.replace('executorNames: []', `executorNames: ["${executorName}"]`),
        });
        const result = await cli(['run'], dir, s3Env);
        expect(result.code, `${result.stderr}\n--- executor ---\n${executorOutput}`).toBe(0);
        expect(result.stdout).toContain('Hello world!');
        expect(result.stderr).toMatch(/dashboard https:\/\/dashboard\.example\.org\/process\?processid=[0-9a-f]{64}/);
        expect(result.stderr).not.toContain('embedded');
        expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
      } finally {
        executor.kill('SIGTERM');
        expect(await executorExited).toBe(0);
      }
      expect(executorOutput).toContain('Executor stopped');
    });
  },
);
