import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createColoniesClient, type ColoniesClient } from '@pollinator/colonies-client';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliExitCode } from '../src/exit-codes';
import { cliCommand, colonyUserEnv, createSandbox, definedOnly, runCli, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// Process references and runs as records against a configured colony (a
// dev-server started by the test stands in for a ColonyOS deployment), and,
// with Ceph S3 from scripts/services, per-run pull and rerun through
// `pollinator executor start`.

let server: DevServer;
let sandbox: Sandbox;
let colonyEnv: Record<string, string | undefined>;
let client: ColoniesClient;

beforeAll(async () => {
  server = await startDevServer({});
  sandbox = createSandbox();
  const env = server.env('user');
  colonyEnv = colonyUserEnv(server, sandbox);
  client = createColoniesClient({ url: `http://127.0.0.1:${server.port}`, privateKey: env.COLONIES_PRVKEY, colonyName: env.COLONIES_COLONY_NAME });
});
afterAll(async () => {
  await server.close();
  sandbox.cleanup();
});

const cli = (args: string[], cwd = sandbox.dir, env: Record<string, string | undefined> = {}, timeoutMs = 60_000) =>
  runCli(args, { cwd, env: { ...colonyEnv, ...env }, timeoutMs });

const spec = (label: string) => ({ funcname: 'execute', label, conditions: { executortype: 'nobody-runs-this' }, maxexectime: -1, maxwaittime: -1 });

describe('process references', () => {
  it('an ambiguous prefix lists the matches (64 AMBIGUOUS_ID); a longer one resolves', { timeout: 120_000 }, async () => {
    // Ids are random: submit until two share their first 4 digits (a birthday
    // collision among 65536 prefixes: a few hundred submits), then remove the rest
    // so that the listing (100 per state) holds the pair.
    const byPrefix = new Map<string, string>();
    const submitted: string[] = [];
    let pair: [string, string] | undefined;
    while (pair === undefined && submitted.length < 5000) {
      const process = await client.submit(spec('ambiguity'));
      submitted.push(process.processid);
      const prefix = process.processid.slice(0, 4);
      const earlier = byPrefix.get(prefix);
      if (earlier !== undefined) pair = [earlier, process.processid];
      byPrefix.set(prefix, process.processid);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair as [string, string];
    for (const id of submitted) if (id !== a && id !== b) await client.removeProcess(id);

    const prefix = a.slice(0, 4);
    const ambiguous = await cli(['show', prefix]);
    expect(ambiguous.code, ambiguous.stderr).toBe(CliExitCode.USAGE);
    expect(ambiguous.stderr).toContain(`2 processes start with ${prefix}`);
    for (const id of [a, b]) expect(ambiguous.stderr).toMatch(new RegExp(`${id}\\s+waiting\\s+ambiguity\\s+submitted \\d+s ago`));
    const json = await cli(['status', prefix, '--json']);
    expect(json.code).toBe(CliExitCode.USAGE);
    expect(json.events()).toContainEqual(expect.objectContaining({ type: 'error', code: 'AMBIGUOUS_ID', exitCode: CliExitCode.USAGE }));

    // The shortest prefix that tells them apart names one.
    let length = 5;
    while (a.slice(0, length) === b.slice(0, length)) length += 1;
    const resolved = await cli(['status', b.slice(0, length), '--json']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.events()[0]).toMatchObject({ processId: b, state: 'waiting', label: 'ambiguity' });
    const cancelled = await cli(['cancel', a.slice(0, length)]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect((await client.getProcess(a)).state).toBe(4);

    // A prefix of 3 is not a reference.
    const short = await cli(['status', a.slice(0, 3)]);
    expect(short.code).toBe(CliExitCode.USAGE);
    expect(short.stderr).toContain('at least 4 hex digits');
  });

  it('@last is the newest process of the project in this directory; none yet says so', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'last-project');
    const projectName = /^projectname: (\S+)$/m.exec(readFileSync(join(dir, 'project.yaml'), 'utf8'))?.[1] ?? '';
    const none = await cli(['status', '@last'], dir);
    expect(none.code).toBe(CliExitCode.USAGE);
    expect(none.stderr).toContain(`Project ${projectName} has no runs yet`);
    await client.submit(spec(projectName));
    const newest = await client.submit(spec(projectName));
    await client.submit(spec('another-project'));
    const last = await cli(['status', '@last', '--json'], dir);
    expect(last.code, last.stderr).toBe(0);
    expect(last.events()[0]).toMatchObject({ processId: newest.processid });
  });
});

// With real S3 (Ceph RGW from scripts/services): per-run pull and rerun on a configured colony.
const s3 = process.env.POLLINATOR_TEST_S3_ENDPOINT;
const requireServices = process.env.POLLINATOR_REQUIRE_SERVICES === '1';

describe.skipIf(s3 === undefined && !requireServices)(
  `runs as records with S3${s3 === undefined ? ' (skipped: POLLINATOR_TEST_S3_ENDPOINT not set, scripts/services/ceph-rgw-up.sh provides it)' : ''}`,
  () => {
    it("pull <id> returns each run's own files; rerun reproduces the inputs", { timeout: 300_000 }, async () => {
      expect(s3, 'POLLINATOR_REQUIRE_SERVICES=1 but POLLINATOR_TEST_S3_ENDPOINT is not set').toBeDefined();
      const s3Env = {
        AWS_S3_ENDPOINT: process.env.POLLINATOR_TEST_S3_ENDPOINT,
        AWS_S3_ACCESSKEY: process.env.POLLINATOR_TEST_S3_ACCESS_KEY,
        AWS_S3_SECRETKEY: process.env.POLLINATOR_TEST_S3_SECRET_KEY,
        AWS_S3_BUCKET: process.env.POLLINATOR_TEST_S3_BUCKET,
        AWS_S3_REGION: process.env.POLLINATOR_TEST_S3_REGION ?? 'us-east-1',
        AWS_S3_TLS: 'false',
      };
      const executorName = `runs-test-${process.pid}`;
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
        const dir = await createProject(sandbox, 's3-records', {
          projectYaml: (text) => text.replace('executorNames: []', `executorNames: ["${executorName}"]`),
          mainPy:
            "import os\nd = os.environ['PROJECT_DIR']\nos.makedirs(d + '/result', exist_ok=True)\n" +
            "data = open(d + '/data/input.txt').read()\nopen(d + '/result/out.txt', 'w').write('data ' + data)\nprint('read', data, flush=True)\n",
        });
        const run = async (data: string): Promise<string> => {
          writeFileSync(join(dir, 'cfs', 'data', 'input.txt'), data);
          const result = await cli(['run'], dir, s3Env, 120_000);
          expect(result.code, `${result.stderr}\n--- executor ---\n${executorOutput}`).toBe(0);
          return /Submitted process ([0-9a-f]{64})/.exec(result.stderr)?.[1] ?? '';
        };
        const first = await run('one\n');
        const second = await run('two\n');
        const out = () => readFileSync(join(dir, 'cfs', 'result', 'out.txt'), 'utf8');
        expect(out()).toBe('data two\n');

        const pulled = await cli(['pull', first.slice(0, 8)], dir, s3Env);
        expect(pulled.code, pulled.stderr).toBe(0);
        expect(out()).toBe('data one\n');
        expect(pulled.stderr).toContain('from the result snapshot');

        writeFileSync(join(dir, 'cfs', 'data', 'input.txt'), 'three, local only\n');
        const elsewhere = join(sandbox.dir, 's3-elsewhere');
        mkdirSync(elsewhere);
        const rerun = await cli(['rerun', first, '-o', 'again'], elsewhere, s3Env, 120_000);
        expect(rerun.code, `${rerun.stderr}\n--- executor ---\n${executorOutput}`).toBe(0);
        expect(readFileSync(join(elsewhere, 'again', 'out.txt'), 'utf8')).toBe('data one\n');
        const shown = await cli(['show', '@last', '--json'], dir, s3Env);
        expect(shown.events()[0]).toMatchObject({ rerunOf: first });
        const diff = await cli(['diff', first, second], dir, s3Env);
        expect(diff.code, diff.stderr).toBe(0);
        expect(diff.stdout).toMatch(/^data\s+~ input\.txt/m);
      } finally {
        executor.kill('SIGTERM');
        await executorExited;
      }
    });
  },
);
