import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAjv, eventProblems } from '../src/render/json-schema.test-helpers';
import { createSandbox, repoRoot, runCli, type CliResult, type Sandbox } from './cli-harness';
import { createProject } from './project-fixture';

// Issue #19 ("Output") through the real binary on the embedded default: what
// stdout carries, --json as a validated contract, ps, logs, --notify,
// completion and the editor schema of a new project.

let sandbox: Sandbox;
let hookServer: Server;
let hookUrl: string;
const hooks: Array<{ url: string | undefined; body: string }> = [];

beforeAll(async () => {
  sandbox = createSandbox();
  hookServer = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      hooks.push({ url: request.url, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise((resolve) => hookServer.close(resolve));
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string = sandbox.dir) => runCli(args, { cwd, env: sandbox.env, timeoutMs: 120_000 });

/** Every stdout line validates against schema/events.schema.json. */
function expectValidJson(result: CliResult, what: string): Array<Record<string, unknown>> {
  const events = result.events();
  expect(events.length, `${what} printed no JSON (stderr: ${result.stderr})`).toBeGreaterThan(0);
  for (const event of events) expect(eventProblems(event), `${what}: ${JSON.stringify(event)}`).toBe('');
  return events;
}

const FAILING_JOB = 'import sys\nprint("line one", flush=True)\nprint("line two", flush=True)\nsys.exit(3)\n';
let alphaDir: string;
let alphaId: string;
let betaDir: string;
let betaId: string;

describe('pollinator output (issue #19)', { timeout: 200_000 }, () => {
  it('`run > job.log` captures the job\'s output only; the executor\'s failure is in the summary; --notify posts the outcome', async () => {
    alphaDir = await createProject(sandbox, 'alpha', { mainPy: FAILING_JOB });
    const result = await cli(['run', '--notify', hookUrl], alphaDir);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toBe('init\nline one\nline two\n');
    expect(result.stderr).toContain('Failed with exit code 3: ContainerExecutor: Exit with an error, exit code = 3');
    expect(result.stderr.match(/ContainerExecutor/g)).toHaveLength(1);
    alphaId = /Submitted process ([0-9a-f]{64})/.exec(result.stderr)?.[1] ?? '';
    expect(alphaId).toMatch(/^[0-9a-f]{64}$/);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.url).toBe('/hook');
    expect(JSON.parse(hooks[0]?.body ?? '')).toMatchObject({ type: 'run.finished', schemaVersion: 1, processId: alphaId, state: 'failed', exitCode: 3 });
  });

  it('--json: every line of run, plan, status, ps, logs, pull and show validates against the schema; a failed notification only warns', async () => {
    betaDir = await createProject(sandbox, 'beta');
    // Port 1 refuses: the warning goes to stderr and the exit code stays the job's.
    const ran = await cli(['run', '--json', '--notify', 'http://127.0.0.1:1/hook'], betaDir);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain('could not notify 127.0.0.1:1');
    const events = expectValidJson(ran, 'run');
    betaId = String(events.find((event) => event.type === 'process.submitted')?.processId);
    expect(events.filter((event) => event.type === 'log').every((event) => event.origin === 'job' || event.origin === 'executor')).toBe(true);
    expect(new Set(events.map((event) => event.schemaVersion))).toEqual(new Set([1]));

    expectValidJson(await cli(['plan', '--json'], betaDir), 'plan');
    expectValidJson(await cli(['status', '--json', betaId], betaDir), 'status');
    expectValidJson(await cli(['ps', '--json', '--all'], betaDir), 'ps');
    expectValidJson(await cli(['logs', '--json', betaId], betaDir), 'logs');
    expectValidJson(await cli(['logs', '--json', '--tail', '1', alphaId], betaDir), 'logs --tail');
    expectValidJson(await cli(['pull', '--json'], betaDir), 'pull');
    expectValidJson(await cli(['show', '--json', betaId], betaDir), 'show');
    // And the other commands' results.
    expectValidJson(await cli(['diff', '--json', alphaId, betaId], betaDir), 'diff');
    for (const command of ['config', 'version', 'executors', 'funcspec']) expectValidJson(await cli([command, '--json'], betaDir), command);

    // Errors too: a broken project.yaml (structured issues) and a bad argument.
    const broken = join(sandbox.dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'project.yaml'), 'projectname: x\nconditions:\n  cpu: 2\n');
    const invalid = await cli(['run', '--json'], broken);
    expect(invalid.code).toBe(65);
    const [error] = expectValidJson(invalid, 'run (invalid project)');
    expect(error).toMatchObject({ type: 'error', code: 'INVALID_PROJECT', exitCode: 65 });
    expect((error?.issues as Array<{ path: string; line: number }>).map((issue) => issue.path)).toContain('conditions.cpu');
    const usage = await cli(['logs', '--json', '--tail', 'many', betaId], betaDir);
    expect(usage.code).toBe(64);
    expectValidJson(usage, 'logs (usage error)');
  });

  it('ps: newest first, an exact --limit, this project\'s processes inside one unless --all or --project', async () => {
    const ids = (result: CliResult) => result.events().map((event) => event.processId);
    expect(ids(await cli(['ps', '--json', '--all']))).toEqual([betaId, alphaId]);
    expect(ids(await cli(['ps', '--json', '--all', '--limit', '1']))).toEqual([betaId]);
    const here = await cli(['ps', '--json'], alphaDir);
    expect(ids(here)).toEqual([alphaId]);
    const plain = await cli(['ps'], alphaDir);
    expect(plain.stderr).toContain('`pollinator ps --all` lists every project\'s');
    expect(plain.stdout).toContain(alphaId);
    expect(plain.stdout).not.toContain(betaId);
    expect(ids(await cli(['ps', '--json', '--all'], alphaDir))).toEqual([betaId, alphaId]);
    const betaName = /^projectname: (\S+)$/m.exec(readFileSync(join(betaDir, 'project.yaml'), 'utf8'))?.[1] ?? '';
    expect(ids(await cli(['ps', '--json', '--project', betaName], alphaDir))).toEqual([betaId]);
    expect((await cli(['ps', '--limit', '0'])).code).toBe(64);
  });

  it('logs: --tail, --grep, --since choose lines of the job\'s output; executor messages go to stderr', async () => {
    const tail = await cli(['logs', alphaId, '--tail', '1']);
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toBe('line two\n');
    expect(tail.stderr).toContain('executor: ContainerExecutor: Exit with an error, exit code = 3');
    expect((await cli(['logs', alphaId, '--grep', '^line o'])).stdout).toBe('line one\n');
    expect((await cli(['logs', alphaId, '--since', '1h'])).stdout).toBe('init\nline one\nline two\n');
    expect((await cli(['logs', alphaId, '--since', '2099-01-01T00:00:00Z'])).stdout).toBe('');
    const bad = await cli(['logs', alphaId, '--grep', '(']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('not a valid regular expression');
  });

  it('logs says so when the process is still waiting', async () => {
    const dir = await createProject(sandbox, 'waiting', {
      projectYaml: (text) => text.replace(/^(\s*)executorNames: \[\]$/m, '$1executorNames: ["no-such-executor-h8"]'),
    });
    const submitted = await cli(['run', '--detach'], dir);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    const logs = await cli(['logs', id], dir);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('');
    expect(logs.stderr).toContain(`Process ${id} is waiting for an executor`);
    expect((await cli(['cancel', id], dir)).code).toBe(0);
  });

  it('logs says so when the process is still running', async () => {
    const dir = await createProject(sandbox, 'sleeper', { mainPy: 'import time\nprint("started", flush=True)\ntime.sleep(300)\n' });
    const submitted = await cli(['run', '--detach'], dir);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    // Until the job has printed: then it is running, and stays so until cancelled.
    let logs = await cli(['logs', id], dir);
    for (let attempt = 0; attempt < 60 && !logs.stdout.includes('started'); attempt += 1) logs = await cli(['logs', id], dir);
    expect(logs.stdout).toBe('init\nstarted\n');
    expect(logs.stderr).toContain(`Process ${id} is still running: this is its log so far`);
    expect((await cli(['cancel', '--wait', id], dir)).code).toBe(0);
  });

  it('completion bash, sourced in a real bash, completes the commands of this version', async () => {
    const result = await cli(['completion', 'bash']);
    expect(result.code, result.stderr).toBe(0);
    const file = join(sandbox.dir, 'pollinator.bash');
    writeFileSync(file, result.stdout);
    const complete = (...words: string[]) =>
      execFileSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((word) => JSON.stringify(word)).join(' ')}); COMP_CWORD=${words.length - 1}; _pollinator_completion; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
    expect(complete('pollinator', '')).toEqual(expect.arrayContaining(['run', 'plan', 'logs', 'ps', 'rerun', 'show', 'diff', 'gc', 'completion']));
    expect(complete('pollinator', 'run', '--not')).toEqual(['--notify']);
    expect((await cli(['completion', 'tcsh'])).code).toBe(64);
  });

  it('new: project.yaml points editors at a schema file in the project that accepts it', async () => {
    const created = await cli(['new', 'edited']);
    expect(created.code, created.stderr).toBe(0);
    const dir = join(sandbox.dir, 'edited');
    const yamlText = readFileSync(join(dir, 'project.yaml'), 'utf8');
    const schemaPath = /^# yaml-language-server: \$schema=(\S+)\n/.exec(yamlText)?.[1];
    expect(schemaPath).toBe('./.pollinator/project.schema.json');
    // Relative to the YAML file, as yaml-language-server resolves it.
    const schema = JSON.parse(readFileSync(join(dir, schemaPath ?? ''), 'utf8')) as object;
    const ajv = createAjv();
    expect(ajv.validateSchema(schema)).toBe(true);
    const validate = ajv.compile(schema);
    const { parse } = createRequire(join(repoRoot, 'packages', 'spec-builder', 'package.json'))('yaml') as { parse: (text: string) => unknown };
    const document = parse(yamlText) as Record<string, unknown>;
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...document, conditions: { ...(document.conditions as object), cpu: 2 } })).toBe(false);
  });
});
