import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventProblems } from '../src/render/json-schema.test-helpers';
import { createSandbox, runCli, type Sandbox } from './cli-harness';
import { startDevColony } from './dev-colony';
import { createProject } from './project-fixture';

// Retries (issue #17) through the real binary on the embedded default: a job over its walltime, with
// `retryOn: [time-limit]` and a walltime factor, is stopped by the local executor, which submits the next
// attempt with four times the time; `run` follows it to its success, `status` of either attempt shows the
// chain, `--json` carries it, and the first attempt's log is kept. The walltime is 20 s so the executor's
// margin before the server's exec deadline is its largest (2 s): a close after the deadline would let the
// server re-queue the attempt itself.

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = createSandbox();
});
afterEach(() => {
  sandbox.cleanup();
});

const cli = (args: string[], cwd: string) => runCli(args, { cwd, env: sandbox.env, timeoutMs: 120_000 });

const MAIN_PY = `import os, time
print("attempt", os.environ.get("POLLINATOR_ATTEMPT", "1"), "starts", flush=True)
time.sleep(24)
print("attempt", os.environ.get("POLLINATOR_ATTEMPT", "1"), "done", flush=True)
`;

describe('retries in run, status and --json', () => {
  it('a time limit retried with more time: run follows attempt 2 to its success; status shows the chain', { timeout: 240_000 }, async () => {
    const dir = await createProject(sandbox, 'retried', {
      mainPy: MAIN_PY,
      projectYaml: (text) => `${text.replace('walltime: 600', 'walltime: 20').replace(/^retries: .*$/m, '')}\nretries: 1\nretryOn: [time-limit]\nretryGrowth:\n  walltimeFactor: 4\n`,
    });
    const dev = await startDevColony(sandbox, dir);
    try {
      const run = await cli(['run'], dir);
      expect(run.code, run.stderr).toBe(0);
      const first = /Submitted process ([0-9a-f]{64})/.exec(run.stderr)?.[1];
      const second = /following attempt 2 of 2: process ([0-9a-f]{64})/.exec(run.stderr)?.[1];
      expect(first, run.stderr).toBeDefined();
      expect(second, run.stderr).toBeDefined();
      // The next attempt got four times the time.
      expect((await dev.client.getProcess(second!)).spec.conditions.walltime).toBe(80);
      expect(run.stderr).toMatch(/attempt 1 of 2 failed: killed: time limit reached/);
      // Both attempts' output, in order; only the second finished.
      expect(run.stdout).toMatch(/attempt 1 starts[\s\S]*attempt 2 starts[\s\S]*attempt 2 done/);
      expect(run.stdout).not.toContain('attempt 1 done');

      for (const id of [first!, second!]) {
        const status = await cli(['status', id], dir);
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toMatch(/^Attempts +attempt 1 of 2: killed: time limit reached .* → attempt 2 of 2 succeeded$/m);
        expect(status.stdout).toContain(`${id} (this process)`);
      }
      const json = await cli(['status', first!, '--json'], dir);
      const line = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(line).toMatchObject({
        type: 'process',
        processId: first,
        state: 'failed',
        attemptsAllowed: 2,
        attempts: [
          { processId: first, attempt: 1, state: 'failed', cause: 'time-limit' },
          { processId: second, attempt: 2, state: 'success' },
        ],
      });
      expect(eventProblems(line)).toBe('');

      const runJson = await cli(['run', '--json'], dir);
      const retried = runJson.stdout.split('\n').filter((text) => text.includes('"process.retried"')).map((text) => JSON.parse(text) as Record<string, unknown>);
      expect(retried).toHaveLength(1);
      expect(retried[0]).toMatchObject({ attempt: 2, attempts: 2, cause: 'time-limit' });
      expect(eventProblems(retried[0]!)).toBe('');

      // The failed attempt's log is kept on its own process.
      const logs = await cli(['logs', first!], dir);
      expect(logs.stdout).toContain('attempt 1 starts');
    } finally {
      await dev.stop();
    }
  });

  it('an exit code is not retried by default', { timeout: 240_000 }, async () => {
    const dir = await createProject(sandbox, 'not-retried', { mainPy: 'import sys\nprint("failing", flush=True)\nsys.exit(3)\n' });
    const dev = await startDevColony(sandbox, dir);
    try {
      const run = await cli(['run'], dir);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).not.toContain('following attempt');
      const id = /Submitted process ([0-9a-f]{64})/.exec(run.stderr)?.[1];
      const status = await cli(['status', id!], dir);
      expect(status.stdout).not.toMatch(/^Attempts/m);
    } finally {
      await dev.stop();
    }
  });
});
