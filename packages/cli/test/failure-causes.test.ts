import type { FunctionSpecInput } from '@pollinator/colonies-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { createSandbox, runCli, type Sandbox } from './cli-harness';
import { startDevColony, type DevColony } from './dev-colony';
import { createProject } from './project-fixture';

// Failure causes (issue #17) through the real binary on the embedded default, the ones this machine
// produces cheaply: succeeded, failed (exit n), time limit, cancelled and could-not-start. Each `status`
// says it in the words docs/failure-causes.md shows (the Slurm and Kubernetes ones are transcripts there).
// One sandbox and one `pollinator dev` for the whole file: each case is its own project.

let sandbox: Sandbox;
let dev: DevColony;
let anyDir: string;

beforeAll(async () => {
  sandbox = createSandbox();
  anyDir = await createProject(sandbox, 'first');
  dev = await startDevColony(sandbox, anyDir);
}, 120_000);
afterAll(async () => {
  await dev?.stop();
  sandbox?.cleanup();
});

const cli = (args: string[], cwd: string) => runCli(args, { cwd, env: sandbox.env, timeoutMs: 120_000 });

function submittedId(stderr: string): string {
  const id = /Submitted process ([0-9a-f]{64})/.exec(stderr)?.[1];
  expect(id, stderr).toBeDefined();
  return id!;
}

/** `status <id>` as text (exit 0) and its `--json` line, checked against the schema. */
async function status(id: string, cwd: string): Promise<{ text: string; json: { state: string; exitCode?: number; cause?: { kind: string; detail: string } } }> {
  const text = await cli(['status', id], cwd);
  expect(text.code, text.stderr).toBe(0);
  const json = await cli(['status', id, '--json'], cwd);
  expect(json.code, json.stderr).toBe(0);
  const line = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  expect(eventProblems(line)).toBe('');
  return { text: text.stdout, json: line as Awaited<ReturnType<typeof status>>['json'] };
}

describe('status shows the failure cause of each kind this machine produces', () => {
  it('succeeded: state success (exit code 0), and no cause to explain', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'succeeds', { mainPy: 'print("hello from the job", flush=True)\n' });
    const run = await cli(['run'], dir);
    expect(run.code, run.stderr).toBe(0);
    const { text, json } = await status(submittedId(run.stderr), dir);
    expect(text).toMatch(/^State +success \(exit code 0\)$/m);
    expect(text).not.toMatch(/^Cause /m);
    expect(json).toMatchObject({ state: 'success', exitCode: 0 });
    expect(json.cause).toBeUndefined();
  });

  it('failed (exit n): "failed: exit code 3 — see the job\'s output for why"', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'exits-3', { mainPy: 'import sys\nprint("column missing", file=sys.stderr, flush=True)\nsys.exit(3)\n' });
    const run = await cli(['run'], dir);
    expect(run.code, run.stderr).toBe(3);
    const { text, json } = await status(submittedId(run.stderr), dir);
    expect(text).toMatch(/^State +failed \(exit code 3\)$/m);
    expect(text).toMatch(/^Cause +failed: exit code 3 — see the job's output for why$/m);
    expect(json).toMatchObject({ state: 'failed', exitCode: 3, cause: { kind: 'failed', detail: "failed: exit code 3 — see the job's output for why" } });
  });

  it('time limit: "killed: time limit reached … — raise conditions.walltime" in run, status, show and --json', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'over-time', {
      mainPy: 'import time\nprint("working", flush=True)\ntime.sleep(120)\n',
      projectYaml: (yaml) => yaml.replace('walltime: 600', 'walltime: 2'),
    });
    const run = await cli(['run'], dir);
    expect(run.code, run.stderr).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/killed: time limit reached \((ran \d+s of 2s allowed|limit 2s)\) — raise conditions\.walltime, or checkpoint and resume/);
    const id = submittedId(run.stderr);
    const { text, json } = await status(id, dir);
    expect(text).toMatch(/^State +failed \(exit code 124\)$/m);
    expect(text).toMatch(/^Cause +killed: time limit reached .* — raise conditions\.walltime, or checkpoint and resume$/m);
    expect(json).toMatchObject({ state: 'failed', cause: { kind: 'time-limit', detail: expect.stringMatching(/^killed: time limit reached/) } });
    const show = await cli(['show', id], dir);
    expect(show.stdout).toMatch(/^Cause +killed: time limit reached/m);
  });

  it('cancelled: state cancelled (exit code 130), the state says it all', { timeout: 120_000 }, async () => {
    const dir = await createProject(sandbox, 'cancelled', { mainPy: 'import time\nprint("long analysis", flush=True)\ntime.sleep(600)\n' });
    const run = await cli(['run', '--detach'], dir);
    expect(run.code, run.stderr).toBe(0);
    const id = submittedId(run.stderr);
    const cancel = await cli(['cancel', id, '--wait'], dir);
    expect(cancel.code, cancel.stderr).toBe(0);
    const { text, json } = await status(id, dir);
    expect(text).toMatch(/^State +cancelled \(exit code 130\)$/m);
    expect(json).toMatchObject({ state: 'cancelled', exitCode: 130 });
  });

  it('could not start: a spec the executor refuses (walltime below maxexectime, from another tool) says so', { timeout: 120_000 }, async () => {
    const funcspec = await cli(['funcspec'], anyDir);
    expect(funcspec.code, funcspec.stderr).toBe(0);
    const spec = JSON.parse(funcspec.stdout) as FunctionSpecInput & { conditions: { walltime: number }; maxexectime: number };
    spec.conditions.walltime = spec.maxexectime - 1;
    // What `colonies function submit --spec` would send: pollinator's own validation never sees it.
    const submitted = await dev.client.submit(spec);
    const id = submitted.processid;
    const said = await cli(['logs', id, '--follow'], anyDir);
    expect(said.stdout + said.stderr).toContain('Pollinator: could not start: the platform refused its configuration');
    const { text, json } = await status(id, anyDir);
    expect(text).toMatch(/^State +failed \(exit code 1\)$/m);
    expect(text).toMatch(/^Cause +could not start: the platform refused its configuration — fix what the process's error says; the command never ran$/m);
    expect(text).toMatch(/^Error +.*walltime must be >= maxexectime/m);
    expect(json).toMatchObject({ state: 'failed', cause: { kind: 'could-not-start' } });
  });
});
