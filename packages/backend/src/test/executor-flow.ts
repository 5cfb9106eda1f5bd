/**
 * The executor-flow suite: the end-to-end cases every backend shares, run
 * through the whole of Pollinator. An in-process dev-server, `runProject()`
 * submitting a project made by `scaffoldProject` (what `pollinator new`
 * writes), `runExecutor()` with the backend under test running it, and the
 * logs, exit code and result files coming back. Each backend runs it from its
 * own test file and keeps its platform-specific cases (a kill -9 of the
 * executor process, squeue, pods) next to it:
 *
 * ```ts
 * import { testExecutorFlow } from '@pollinator/backend/test';
 * testExecutorFlow('local (process)', () => createLocalBackend({ mode: 'process', stopGraceSeconds: 2 }), { timeLimit: true });
 * ```
 *
 * Jobs are the sample project (python3 on the machine that runs the job) and
 * shell scripts that use only POSIX `sh` and coreutils or busybox.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorEvent, RunningExecutor } from '@pollinator/core';
import type { Backend } from '../backend';
import { registerForwardCases } from './executor-flow-forward';
import { registerRunRecordCases } from './executor-flow-records';
import { startFlowColony, type FlowColony } from './flow-colony';

export interface ExecutorFlowOptions {
  /** Why the suite cannot run here (a missing service), or `false`/omitted to run it. */
  skip?: string | false;
  /**
   * Where the suite puts the dev-server, the projects and the executors'
   * state; must be visible where jobs run (a shared filesystem for Slurm).
   * Default: the OS temp dir.
   */
  baseDir?: string;
  /**
   * The directory under which each executor gets its staging root (`fsDir`),
   * when jobs must find it somewhere else (the Kubernetes backend's shared
   * volume). Called when a case starts. Default: the suite's own directory.
   */
  stagingRoot?: () => string;
  /** Seconds a job may take from submit to close (default 30). */
  jobTimeoutSeconds?: number;
  /** Timeout of each case in ms (default derived from `jobTimeoutSeconds`). */
  testTimeoutMs?: number;
  /** How soon after a cancel from the client the job must have stopped, ms (default 5000). */
  cancelWithinMs?: number;
  /** The backend's own checks once a cancelled job has stopped (nothing left in squeue, no pods). */
  afterCancel?: (processId: string) => void | Promise<void>;
  /** The backend's own checks of the attributes recorded for the sample project's process. */
  checkAttributes?: (attributes: Record<string, string>, processId: string) => void | Promise<void>;
  /**
   * Run the time-limit case: a job over a 3 s walltime is stopped within
   * seconds and closed with exit code 124 (off where the platform counts
   * time limits in minutes).
   */
  timeLimit?: boolean;
  /** The runtime's watch interval, ms (default 250). */
  watchIntervalMs?: number;
  /**
   * What the backend records as the image digest (`POLLINATOR_IMAGE_DIGEST`):
   * a pattern it must match, or `'none'` when it records none. Omitted: not checked.
   */
  imageDigest?: RegExp | 'none';
}

interface CaseDirs {
  fsDir: string;
  stateDir: string;
  project: string;
}

/** Registers the executor-flow cases for one backend in the current vitest file. */
export function testExecutorFlow(name: string, createBackend: () => Backend | Promise<Backend>, options: ExecutorFlowOptions = {}): void {
  const jobTimeoutMs = (options.jobTimeoutSeconds ?? 30) * 1000;
  const caseTimeoutMs = options.testTimeoutMs ?? 2 * jobTimeoutMs + 20_000;
  const cancelWithinMs = options.cancelWithinMs ?? 5000;
  const title = options.skip ? `executor flow: ${name} (skipped: ${options.skip})` : `executor flow: ${name}`;

  describe.skipIf(Boolean(options.skip))(title, () => {
    let root: string;
    let flow: FlowColony;
    let counter = 0;
    const cleanups: (() => Promise<unknown>)[] = [];

    beforeAll(async () => {
      const base = options.baseDir ?? tmpdir();
      mkdirSync(base, { recursive: true });
      root = mkdtempSync(join(base, 'pollinator-flow-'));
      flow = await startFlowColony(root);
    });

    afterEach(async () => {
      while (cleanups.length > 0) await cleanups.pop()!();
    });

    afterAll(async () => {
      await flow?.close();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    function caseDirs(): CaseDirs {
      counter += 1;
      const staging = options.stagingRoot?.() ?? root;
      return { fsDir: join(staging, `fs-${counter}`), stateDir: join(root, `state-${counter}`), project: join(root, `project-${counter}`) };
    }

    async function startExecutor(dirs: CaseDirs, events: ExecutorEvent[] = []): Promise<RunningExecutor> {
      const executor = flow.packages.core.runExecutor({
        client: flow.executorClient,
        backend: await createBackend(),
        cfs: { store: flow.store },
        fsDir: dirs.fsDir,
        stateDir: dirs.stateDir,
        executorName: flow.server.identities.executor.name,
        assignTimeoutSeconds: 1,
        watchIntervalMs: options.watchIntervalMs ?? 250,
        onEvent: (event) => events.push(event),
      });
      cleanups.push(() => executor.stop('cancel'));
      await executor.ready;
      return executor;
    }

    /** The sample project of `pollinator new`, runnable offline: no `pip install`. */
    async function sampleProject(dir: string, projectName = `flow-${counter}-${Date.now()}`): Promise<void> {
      await flow.packages.specBuilder.scaffoldProject(dir, { projectName });
      const yaml = readFileSync(join(dir, 'project.yaml'), 'utf8').replace(/init-cmd: .*/, 'init-cmd: ""');
      writeFileSync(join(dir, 'project.yaml'), yaml);
    }

    /** A project whose job runs `script` (a shell script in cfs/src) with sh. */
    async function shellProject(dir: string, script: string, walltime?: number): Promise<void> {
      await sampleProject(dir);
      let yaml = readFileSync(join(dir, 'project.yaml'), 'utf8').replace('cmd: python3', 'cmd: sh').replace('source: main.py', 'source: job.sh');
      if (walltime !== undefined) yaml = yaml.replace(/walltime: \d+/, `walltime: ${walltime}`);
      writeFileSync(join(dir, 'project.yaml'), yaml);
      writeFileSync(join(dir, 'cfs', 'src', 'job.sh'), script);
    }

    function runProject(dir: string, follow = true) {
      return flow.packages.core.runProject({ dir, client: flow.user, blobStore: flow.store, stateDir: false, pollIntervalMs: 100, follow });
    }

    /** Waits until the job of `processId` has printed `text`. */
    async function waitForOutput(processId: string, text: string): Promise<void> {
      for await (const log of flow.user.followLogs(processId, { signal: AbortSignal.timeout(jobTimeoutMs) })) {
        if (log.message.includes(text)) return;
      }
    }

    /** The executor runs nothing once it has cleaned up after the job (a backend's cleanup may take a moment). */
    async function expectIdle(executor: RunningExecutor): Promise<void> {
      const deadline = Date.now() + 5000;
      while (executor.running().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(executor.running()).toEqual([]);
    }

    it(
      'runs the sample project: its logs, exit code and results come back',
      async () => {
        const dirs = caseDirs();
        const projectName = `flow-sample-${counter}-${Date.now()}`;
        await sampleProject(dirs.project, projectName);
        const events: ExecutorEvent[] = [];
        const executor = await startExecutor(dirs, events);
        const run = runProject(dirs.project);
        const logs: string[] = [];
        for await (const event of run) if (event.type === 'log') logs.push(event.message);
        const result = await run.result;
        const output = logs.join('');
        expect(result, output).toMatchObject({ state: 'success', exitCode: 0 });
        expect(output).toContain('Hello world!');
        expect(output).toContain(`process id: ${result.processId}`);
        expect(readFileSync(join(dirs.project, 'cfs', 'result', 'result.txt'), 'utf8')).toBe('HELLO WORLD!\n');
        expect(events.some((event) => event.type === 'process.closed' && event.success)).toBe(true);
        await expectIdle(executor);
        // Cleanup per keepfiles: result (keepfiles: false) is gone, data and the src snapshot stay.
        const staged = join(dirs.fsDir, 'pollinator', projectName);
        expect(existsSync(join(staged, 'result'))).toBe(false);
        expect(readFileSync(join(staged, 'data', 'hello.txt'), 'utf8')).toBe('Hello world!\n');
        const closed = await flow.user.getProcess(result.processId!);
        expect(existsSync(join(dirs.fsDir, closed.spec.fs.snapshots[0]!.dir, 'main.py'))).toBe(true);
        const attributes = Object.fromEntries(closed.attributes.map((attribute) => [attribute.key, attribute.value]));
        expect(attributes.EXITCODE).toBe('0');
        await options.checkAttributes?.(attributes, result.processId!);
      },
      caseTimeoutMs,
    );

    it(
      'reports a failing job with its exit code, and uploads its results anyway',
      async () => {
        const dirs = caseDirs();
        await shellProject(dirs.project, 'echo partial > "$PROJECT_DIR/result/partial.txt"\necho failing\nexit 3\n');
        await startExecutor(dirs);
        const result = await runProject(dirs.project).result;
        expect(result).toMatchObject({ state: 'failed', exitCode: 3 });
        const closed = await flow.user.getProcess(result.processId!);
        expect(closed.errors[0]).toBe('ContainerExecutor: Exit with an error, exit code = 3: Failed to execute process');
        expect(readFileSync(join(dirs.project, 'cfs', 'result', 'partial.txt'), 'utf8')).toBe('partial\n');
      },
      caseTimeoutMs,
    );

    it(
      'stops the job within seconds when the client cancels it',
      async () => {
        const dirs = caseDirs();
        const marker = join(root, `cancel-marker-${counter}`);
        await shellProject(dirs.project, `echo started\nsleep 60\necho finished > ${marker}\n`);
        const events: ExecutorEvent[] = [];
        const executor = await startExecutor(dirs, events);
        const { processId } = await runProject(dirs.project, false).result;
        await waitForOutput(processId!, 'started');
        const cancelledAt = Date.now();
        await flow.user.cancelProcess(processId!);
        const finished = () => events.find((event) => event.type === 'job.finished' && event.processId === processId);
        while (!finished()) {
          expect(Date.now() - cancelledAt, 'the job is still running after the cancel').toBeLessThan(2 * cancelWithinMs);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(Date.now() - cancelledAt).toBeLessThan(cancelWithinMs);
        expect(finished()).toMatchObject({ status: { state: 'cancelled' } });
        expect((await flow.user.getProcess(processId!)).state).toBe(4);
        await options.afterCancel?.(processId!);
        await expectIdle(executor);
        expect(existsSync(marker)).toBe(false);
      },
      caseTimeoutMs,
    );

    it(
      're-attaches to a running job after the executor detaches and restarts, and finishes it',
      async () => {
        const dirs = caseDirs();
        await shellProject(dirs.project, 'echo step-1\nsleep 2\necho step-2\necho done > "$PROJECT_DIR/result/out.txt"\n');
        const first = await startExecutor(dirs);
        const { processId } = await runProject(dirs.project, false).result;
        await waitForOutput(processId!, 'step-1');
        await first.stop('detach');
        const events: ExecutorEvent[] = [];
        await startExecutor(dirs, events);
        expect(events.some((event) => event.type === 'job.reattached' && event.processId === processId)).toBe(true);
        expect(events.some((event) => event.type === 'job.started')).toBe(false);
        const closed = await flow.user.waitForProcess(processId!, [2, 3, 4], { timeoutMs: jobTimeoutMs });
        expect(closed.state, closed.errors.join('; ')).toBe(2);
        const logs = (await flow.user.getLogs({ processId: processId!, count: 100 })).map((log) => log.message).join('');
        expect(logs.match(/step-1/g)).toHaveLength(1);
        expect(logs.match(/step-2/g)).toHaveLength(1);
      },
      caseTimeoutMs,
    );

    registerForwardCases({
      flow: () => flow,
      caseDirs,
      startExecutor: (dirs, events) => startExecutor(dirs, events),
      shellProject: (dir, script) => shellProject(dir, script),
      submit: async (dir) => (await runProject(dir, false).result).processId!,
      caseTimeoutMs,
      jobTimeoutMs,
    });

    registerRunRecordCases({
      flow: () => flow,
      root: () => root,
      caseDirs,
      startExecutor: (dirs) => startExecutor(dirs),
      shellProject: (dir, script) => shellProject(dir, script),
      caseTimeoutMs,
      jobTimeoutMs,
      ...(options.imageDigest ? { imageDigest: options.imageDigest } : {}),
    });

    it.skipIf(!options.timeLimit)(
      'stops a job that outlives its walltime: exit code 124',
      async () => {
        const dirs = caseDirs();
        await shellProject(dirs.project, 'echo started\nsleep 30\necho not-reached\n', 3);
        await startExecutor(dirs);
        const startedAt = Date.now();
        const result = await runProject(dirs.project).result;
        expect(Date.now() - startedAt).toBeLessThan(15_000);
        expect(result).toMatchObject({ state: 'failed', exitCode: 124 });
        const closed = await flow.user.getProcess(result.processId!);
        expect(closed.errors[0]).toMatch(/^ContainerExecutor: (maxexectime of 3 s exceeded|TIMEOUT: time limit of 3 s reached)/);
        expect(closed.retries).toBe(0);
      },
      caseTimeoutMs,
    );
  });
}
