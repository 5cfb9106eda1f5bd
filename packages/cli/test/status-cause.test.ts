import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { createSandbox, runCli, type Sandbox } from './cli-harness';
import { startDevColony } from './dev-colony';
import { createProject } from './project-fixture';

// Failure causes (issue #17) through the real binary on the embedded default: a job over its walltime is
// stopped by the local executor, which records the cause on the process; `run`, `status`, `show` and
// `--json` say it in the same words.

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string) => runCli(args, { cwd, env: sandbox.env, timeoutMs: 120_000 });

describe('failure causes in run, status, show and --json', () => {
  it('a job over its time limit: "killed: time limit reached … — raise conditions.walltime" everywhere', { timeout: 240_000 }, async () => {
    const dir = await createProject(sandbox, 'over-time', {
      mainPy: 'import time\nprint("working", flush=True)\ntime.sleep(120)\n',
      projectYaml: (text) => text.replace('walltime: 600', 'walltime: 2'),
    });
    const dev = await startDevColony(sandbox, dir);
    try {
      const run = await cli(['run'], dir);
      expect(run.code, run.stderr).not.toBe(0);
      const id = /Submitted process ([0-9a-f]{64})/.exec(run.stderr)?.[1];
      expect(id, run.stderr).toBeDefined();
      const said = run.stdout + run.stderr;
      expect(said).toMatch(/killed: time limit reached \((ran \d+s of 2s allowed|limit 2s)\) — raise conditions\.walltime, or checkpoint and resume/);

      const status = await cli(['status', id!], dir);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^Cause +killed: time limit reached .* — raise conditions\.walltime, or checkpoint and resume$/m);

      const json = await cli(['status', id!, '--json'], dir);
      const line = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { type: string; cause?: { kind: string; detail: string } };
      expect(line).toMatchObject({ type: 'process', cause: { kind: 'time-limit', detail: expect.stringMatching(/^killed: time limit reached/) } });
      expect(eventProblems(line)).toBe('');

      const show = await cli(['show', id!], dir);
      expect(show.stdout).toMatch(/^Cause +killed: time limit reached/m);
    } finally {
      await dev.stop();
    }
  });
});
