/**
 * Retries by cause through the executor on the real Slurm (issue #17), each
 * attempt its own process, linked both ways (`POLLINATOR_RETRY_OF` and
 * `POLLINATOR_ATTEMPT` in the next attempt's spec env, `POLLINATOR_RETRIED_AS`
 * on the failed one):
 *
 * - A node failure (`scontrol update nodename=… state=down` mid-job) is
 *   retried by default; the next attempt runs to success once the node is back.
 * - A time limit is not, without `retryOn: [time-limit]`.
 * - The checkpoint-and-resume pattern of docs/project-yaml.md in a container
 *   (the Singularity stand-in): the stop signal reaches the job, which saves a
 *   checkpoint into cfs/result and carries on into Slurm's time limit
 *   (TIMEOUT → the time-limit cause), `retryOn: [time-limit]` starts attempt 2
 *   with twice the walltime, which resumes from the checkpoint, gets its own
 *   stop signal, saves and ends cleanly before its limit.
 *
 * The second case is the only one of this package that waits for a Slurm time
 * limit (Slurm counts whole minutes and looks about once every 30-60 s): it
 * covers the time-limit cause, the signal before it and the retry after it in
 * one run of one to three minutes (POLLINATOR_SLOW_TESTS=1, as in CI).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, getAttemptChain, describeAttemptChain, processExitCode, RunRecordKey, type PollinatorEvent, type RunningExecutor } from '@pollinator/core';
import { createSlurmBackend } from './slurm-backend';
import { requireServices, shimCalls, shimOptions, shimSkipReason, slowTests, slurmAvailable, slurmSkipReason } from './services.test-helpers';
import { drainFor, nodeState, resumeNode, setNodeDown, slurm } from './slurm-node.test-helpers';
import { attributesOf, run, sampleProject, shellProject, startColony, startExecutor, type Colony } from './e2e.test-helpers';

requireServices(slurmSkipReason, shimSkipReason);

const colonies: { colony: Colony; executor: RunningExecutor }[] = [];
afterAll(async () => {
  for (const { colony, executor } of colonies) {
    await executor.stop('cancel');
    await colony.server.close();
    rmSync(colony.root, { recursive: true, force: true });
  }
});

async function colonyWith(backend: ReturnType<typeof createSlurmBackend>): Promise<Colony> {
  const colony = await startColony();
  const executor = startExecutor(colony, undefined, backend);
  colonies.push({ colony, executor });
  await executor.ready;
  return colony;
}

function retriedEvents(events: PollinatorEvent[]) {
  return events.filter((event) => event.type === 'process.retried');
}

/** Polls `condition` every 200 ms, at most `ms`. */
async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
}

const NODE_FAILURE_JOB = `import os, time
attempt = os.environ.get("POLLINATOR_ATTEMPT", "1")
print("attempt", attempt, "starts", flush=True)
if attempt == "1":
    time.sleep(300)   # the node fails under it
with open(os.path.join(os.environ["PROJECT_DIR"], "result", "result.txt"), "w") as result:
    result.write(f"done by attempt {attempt}\\n")
`;

describe.skipIf(!slurmAvailable)(`retries by cause on real Slurm${slurmSkipReason ? ` (skipped: ${slurmSkipReason})` : ''}`, () => {
  it('a node failure mid-job is retried by default: attempt 2 runs to success, the chain and the cause are on the processes', { timeout: 180_000 }, async () => {
    // --no-requeue: Slurm ends the job NODE_FAIL instead of requeueing it itself (that would be Slurm's own
    // retry of the same process, see slurm-cause-real.test.ts), so the executor sees the failure and retries.
    const colony = await colonyWith(createSlurmBackend({ runtime: 'none', pendingNoticeDelayMs: 0, sbatchLines: ['--no-requeue'] }));
    const dir = await sampleProject(colony, { mainPy: NODE_FAILURE_JOB, yaml: (text) => `${text}\nretries: 1\n` });
    let node = '';
    let retried = false;
    let failing: Promise<void> | undefined;
    /** Once attempt 1 runs: only it on the node, then the node fails; back once the retry is submitted. */
    const failTheNode = async (processId: string) => {
      const [jobId, nodeName] = slurm('squeue', '-h', '-n', processId, '-o', '%i %N').trim().split(' ');
      node = nodeName ?? '';
      try {
        await drainFor(node, [jobId ?? '']);
        setNodeDown(node);
        await until(() => retried, 90_000);
      } finally {
        resumeNode(node);
      }
    };
    let first = '';
    let problem: Error | undefined;
    try {
      const { result, events, logs } = await run(colony, dir, (event, abort) => {
        if (event.type === 'process.submitted') first = event.processId;
        if (event.type === 'log' && event.message.includes('attempt 1 starts') && !failing) {
          failing = failTheNode(first).catch((error: unknown) => {
            problem = error instanceof Error ? error : new Error(String(error));
            abort();
          });
        }
        if (event.type === 'process.retried') retried = true;
      });
      await failing;
      if (problem) throw problem;
      expect(result, logs).toMatchObject({ state: 'success', exitCode: 0 });
      const second = result.processId!;
      expect(second).not.toBe(first);
      expect(retriedEvents(events)).toEqual([expect.objectContaining({ processId: first, retryProcessId: second, attempt: 2, attempts: 2, cause: 'node-failure' })]);
      expect(logs).toMatch(/attempt 1 starts[\s\S]*attempt 2 starts/);
      expect(readFileSync(join(dir, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('done by attempt 2\n');

      const failed = await attributesOf(colony, first);
      expect(processExitCode(await colony.user.getProcess(first)).state).toBe('failed');
      expect(failed).toMatchObject({
        [RunRecordKey.failureCause]: 'node-failure',
        [RunRecordKey.failureDetail]: `killed: node failure (${node}) — not caused by your job: run it again`,
        [RunRecordKey.retriedAs]: second,
      });
      expect(await attributesOf(colony, second)).toMatchObject({ [RunRecordKey.retryOf]: first, [RunRecordKey.attempt]: '2' });
      const chain = await getAttemptChain({ client: colony.user, processId: second });
      expect(describeAttemptChain(chain)).toBe(`attempt 1 of 2: killed: node failure (${node}) → attempt 2 of 2 succeeded`);
    } finally {
      if (node) resumeNode(node);
    }
    expect(nodeState(node)).not.toMatch(/down|drain/);
  });

  // The executor stops the job at the process's exec deadline (maxexectime = walltime, 20 s: its largest
  // margin, 2 s, before the server's deadline), long before Slurm's own limit of a whole minute.
  it('a time limit is not retried unless retryOn asks for it: the attempt fails with its cause and nothing follows', { timeout: 120_000 }, async () => {
    const colony = await colonyWith(createSlurmBackend({ runtime: 'none', pendingNoticeDelayMs: 0 }));
    const dir = await sampleProject(colony, {
      mainPy: 'import time\nprint("sleeping", flush=True)\ntime.sleep(600)\n',
      yaml: (text) => `${text.replace(/walltime: \d+/, 'walltime: 20')}\nretries: 1\n`,
    });
    const { result, events, logs } = await run(colony, dir);
    expect(result, logs).toMatchObject({ state: 'failed', exitCode: ExitCode.TIME_LIMIT });
    expect(logs).toContain('sleeping\n');
    expect(retriedEvents(events)).toEqual([]);
    const attributes = await attributesOf(colony, result.processId!);
    expect(attributes[RunRecordKey.failureCause]).toBe('time-limit');
    expect(attributes[RunRecordKey.retriedAs]).toBeUndefined();
  });
});

/**
 * The checkpoint-and-resume job: waits for the stop signal, saves the checkpoint into
 * $PROJECT_DIR/result (uploaded into cfs/result also after a time limit, and staged for the next
 * attempt); attempt 1 then carries on into its time limit, attempt 2 ends cleanly. `sleep 1` in a loop:
 * a shell runs its trap only after the command in the foreground.
 */
const CHECKPOINT_JOB = `attempt=\${POLLINATOR_ATTEMPT:-1}
checkpoint="$PROJECT_DIR/result/checkpoint.txt"
if [ -f "$checkpoint" ]; then echo "attempt $attempt resumes from: $(cat "$checkpoint")"; fi
stopped=0
trap 'stopped=1' USR1
echo "attempt $attempt started"
while [ "$stopped" = 0 ]; do sleep 1; done
echo "saved by attempt $attempt" > "$checkpoint.tmp" && mv "$checkpoint.tmp" "$checkpoint"
if [ "$attempt" = 1 ]; then
  echo "stop signal: carrying on"
  while :; do sleep 1; done
fi
echo "stop signal: wrote the checkpoint, ending before the time limit"
`;

describe.skipIf(Boolean(shimSkipReason))(`the stop signal, a time limit and its retry in a container${shimSkipReason ? ` (skipped: ${shimSkipReason})` : ''}`, () => {
  const slow = slowTests ? '' : ' [slow: set POLLINATOR_SLOW_TESTS=1]';
  it.skipIf(!slowTests)(`checkpoint and resume: the signal comes, the time limit ends attempt 1, attempt 2 gets more time and resumes${slow}`, { timeout: 420_000 }, async () => {
    const options = shimOptions();
    // The site caps jobs at Slurm's least, 1 minute (`#SBATCH --time=1` of the executor's configuration
    // comes after the job's own --time): Slurm's TIMEOUT ends attempt 1 long before the exec deadline of
    // its walltime of 180 s, which the executor would otherwise stop it at first.
    const colony = await colonyWith(createSlurmBackend({ ...options, pendingNoticeDelayMs: 0, sbatchLines: ['--time=1'] }));
    const dir = await shellProject(colony, 'busybox', CHECKPOINT_JOB, (text) =>
      `${text.replace(/walltime: \d+/, 'walltime: 180').replace(/source: main.sh/, 'source: main.sh\n  stopSignal: { signal: SIGUSR1, before: 50 }')}
retries: 1
retryOn: [time-limit]
retryGrowth: { walltimeFactor: 2 }
`);
    const { result, events, logs } = await run(colony, dir);
    expect(result, logs).toMatchObject({ state: 'success', exitCode: 0 });
    const first = events.find((event) => event.type === 'process.submitted')!.processId;
    const second = result.processId!;
    expect(retriedEvents(events)).toEqual([expect.objectContaining({ processId: first, retryProcessId: second, attempt: 2, attempts: 2, cause: 'time-limit' })]);

    // Attempt 1: the signal reached the job in the container, which saved and carried on; Slurm's time limit ended it.
    expect(logs).toMatch(/attempt 1 started\n[\s\S]*stop signal: carrying on\n/);
    expect(processExitCode(await colony.user.getProcess(first))).toMatchObject({ state: 'failed', exitCode: ExitCode.TIME_LIMIT });
    const failed = await attributesOf(colony, first);
    expect(failed[RunRecordKey.failureCause]).toBe('time-limit');
    expect(failed[RunRecordKey.failureDetail]).toMatch(/^killed: time limit reached \(ran 1m\d*s? of 1m allowed\) — raise conditions.walltime/);
    expect(failed[RunRecordKey.retriedAs]).toBe(second);

    // Attempt 2: twice the walltime, linked to attempt 1, resumed from its checkpoint, ended on its own.
    const retry = await colony.user.getProcess(second);
    expect(retry.spec.conditions.walltime).toBe(360);
    expect(await attributesOf(colony, second)).toMatchObject({ [RunRecordKey.retryOf]: first, [RunRecordKey.attempt]: '2' });
    expect(logs).toMatch(/attempt 2 resumes from: saved by attempt 1\n[\s\S]*attempt 2 started\n[\s\S]*stop signal: wrote the checkpoint, ending before the time limit\n/);
    expect(readFileSync(join(dir, 'cfs', 'result', 'checkpoint.txt'), 'utf8')).toBe('saved by attempt 2\n');
    const chain = await getAttemptChain({ client: colony.user, processId: first });
    expect(describeAttemptChain(chain)).toMatch(/^attempt 1 of 2: killed: time limit reached .* → attempt 2 of 2 succeeded$/);

    // Both attempts ran in the container, with the stop signal asked of Slurm.
    const execs = shimCalls(options.shimLog, (path) => readFileSync(path, 'utf8')).filter((call) => call[0] === 'exec');
    expect(execs).toHaveLength(2);
  });
});
