/**
 * The shared conformance suite for executor backends (`Backend` from
 * `@pollinator/backend`). Every backend runs it from its own test file:
 *
 * ```ts
 * import { testBackend } from '@pollinator/backend/test';
 * testBackend('local (process)', () => createLocalBackend({ mode: 'process' }), { containers: false });
 * ```
 *
 * It uses only the `Backend` contract, builds its `JobRequest`s itself, and runs
 * commands that exist in a plain POSIX `sh` with coreutils and in a `busybox`
 * image. Each case says in its comment what it asserts. (About 500 lines: one
 * case after another, each self-contained, so a reader sees a case whole.) Options let a backend
 * declare what it does not support and scale the times it needs (Slurm's
 * minimum time limit is one minute, so there the time-limit case is slow).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, JobHandle, JobRequest, JobStatus, LogChunk, LogCursor } from '../backend';

export interface BackendConformanceOptions {
  /**
   * Why the whole suite cannot run here (a missing service), or `false`/omitted
   * to run it. A skipped suite shows the reason in its name.
   */
  skip?: string | false;
  /** Image for every job; `busybox` unless given. */
  image?: string;
  /**
   * Whether the backend runs `image` (containers). When false the image is
   * ignored by the backend and the missing-image case is not run.
   */
  containers?: boolean;
  /** Wall-time limit (seconds) for the time-limit case; 2 by default (Slurm: 60). */
  timeLimitSeconds?: number;
  /** Tag the time-limit case slow: it runs only with `POLLINATOR_SLOW_TESTS=1`. */
  timeLimitSlow?: boolean;
  /** Seconds a backend may take beyond the limit to report it (default 15; Slurm ~60). */
  timeLimitGraceSeconds?: number;
  /** Seconds for a short job to go from `start()` to a final state (default 20). */
  jobTimeoutSeconds?: number;
  /** Seconds `cancel()` may take to resolve (default 15). */
  cancelTimeoutSeconds?: number;
  /** Run the re-attach case (default: when the backend has `reattach`). */
  reattach?: boolean;
  /**
   * Directory under which the suite creates job work dirs and the mounted
   * directory; must be visible to wherever jobs run (a shared filesystem for
   * Slurm). Defaults to the OS temp dir.
   */
  baseDir?: string;
  /** Path the mounted directory is seen at inside the job (default `/cfs`). */
  mountPath?: string;
  /**
   * The backend makes mounts visible by rewriting `containerPath` to
   * `hostPath` in the command and env (no mount namespace): env values that
   * name the mount path are then checked by their tail only.
   */
  rewritesMountPaths?: boolean;
  /** Extra `JobRequest` fields every job gets (placement, resources, …). */
  jobDefaults?: Partial<JobRequest>;
  /** Timeout (ms) of each case; defaults to a value derived from the others. */
  testTimeoutMs?: number;
}

/** Environment variable set in the test process that must never reach a job. */
const LEAK_CANARY = 'COLONIES_PRVKEY';
const LEAK_CANARY_VALUE = 'conformance-secret-must-not-leak';

const FINAL_STATES = new Set(['succeeded', 'failed', 'cancelled']);

function isFinal(status: JobStatus): boolean {
  return FINAL_STATES.has(status.state);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `status()` every 250 ms until it is final or `timeoutMs` passes. */
export async function waitForFinalStatus(
  backend: Backend,
  handle: JobHandle,
  timeoutMs: number,
): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: JobStatus | undefined;
  while (Date.now() < deadline) {
    last = await backend.status(handle);
    if (isFinal(last)) return last;
    await sleep(250);
  }
  throw new Error(
    `job ${handle.id} did not reach a final state within ${timeoutMs} ms (last status: ${JSON.stringify(last)})`,
  );
}

/**
 * Reads `logs()` from `from` to the end. Fails when the iterator does not
 * complete within `timeoutMs` (the contract says it completes once the job is
 * final and its output drained).
 */
export async function readAllLogs(
  backend: Backend,
  handle: JobHandle,
  from: LogCursor,
  timeoutMs: number,
): Promise<{ text: string; chunks: LogChunk[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const chunks: LogChunk[] = [];
  try {
    for await (const chunk of backend.logs(handle, from, controller.signal)) {
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(timer);
  }
  if (controller.signal.aborted) {
    throw new Error(`logs() of job ${handle.id} did not complete within ${timeoutMs} ms`);
  }
  return { text: chunks.map((chunk) => chunk.text).join(''), chunks };
}

/** Registers the conformance cases for one backend in the current vitest file. */
export function testBackend(
  name: string,
  createBackend: () => Backend | Promise<Backend>,
  options: BackendConformanceOptions = {},
): void {
  const image = options.image ?? 'busybox';
  const containers = options.containers ?? true;
  const mountPath = options.mountPath ?? '/cfs';
  const timeLimitSeconds = options.timeLimitSeconds ?? 2;
  const timeLimitGraceMs = (options.timeLimitGraceSeconds ?? 15) * 1000;
  const jobTimeoutMs = (options.jobTimeoutSeconds ?? 20) * 1000;
  const cancelTimeoutMs = (options.cancelTimeoutSeconds ?? 15) * 1000;
  const caseTimeoutMs = options.testTimeoutMs ?? 2 * jobTimeoutMs + cancelTimeoutMs + 10_000;
  const timeLimitCaseTimeoutMs = timeLimitSeconds * 1000 + timeLimitGraceMs + jobTimeoutMs + 10_000;
  const slowEnabled = process.env.POLLINATOR_SLOW_TESTS === '1';

  const title = options.skip ? `backend conformance: ${name} (skipped: ${options.skip})` : `backend conformance: ${name}`;

  describe.skipIf(Boolean(options.skip))(title, () => {
    let backend: Backend;
    let root: string;
    let mountDir: string;
    const started: { backend: Backend; handle: JobHandle }[] = [];
    let savedCanary: string | undefined;

    beforeAll(async () => {
      const base = options.baseDir ?? tmpdir();
      mkdirSync(base, { recursive: true });
      root = mkdtempSync(join(base, 'pollinator-conformance-'));
      mountDir = join(root, 'fs');
      mkdirSync(mountDir, { recursive: true });
      savedCanary = process.env[LEAK_CANARY];
      process.env[LEAK_CANARY] = LEAK_CANARY_VALUE;
      backend = await createBackend();
    });

    afterAll(async () => {
      // Leave nothing running: cancel every job a case started, then clean up.
      for (const { backend: owner, handle } of started) {
        await owner.cancel(handle).catch(() => undefined);
        await owner.cleanup?.(handle).catch(() => undefined);
      }
      await backend?.close?.();
      if (savedCanary === undefined) delete process.env[LEAK_CANARY];
      else process.env[LEAK_CANARY] = savedCanary;
      if (root) rmSync(root, { recursive: true, force: true });
    });

    let jobCounter = 0;
    function makeJob(command: string, overrides: Partial<JobRequest> = {}): JobRequest {
      jobCounter += 1;
      const processId = randomBytes(32).toString('hex');
      const workDir = join(root, `work-${jobCounter}`);
      mkdirSync(workDir, { recursive: true });
      const defaults = options.jobDefaults ?? {};
      return {
        processId,
        image,
        rebuildImage: false,
        initCommand: '',
        command,
        env: {
          PROJECT_DIR: `${mountPath}/pollinator/conformance`,
          COLONIES_PROCESS_ID: processId,
          GREETING: 'hello "world" $HOME & <tag>',
        },
        resources: {
          nodes: 1,
          processesPerNode: 1,
          cpuMillicores: 0,
          memoryBytes: 0,
          gpu: { count: 0, name: '' },
          walltimeSeconds: 0,
        },
        mounts: [{ hostPath: mountDir, containerPath: mountPath }],
        protectedPaths: [],
        placement: {},
        workDir,
        ...defaults,
        ...overrides,
      };
    }

    async function start(job: JobRequest, owner: Backend = backend): Promise<JobHandle> {
      const handle = await owner.start(job);
      started.push({ backend: owner, handle });
      return handle;
    }

    // Success: a job that exits 0 ends `succeeded` with exitCode 0; the handle
    // names the backend and the process and survives JSON; the job sees its
    // env values byte for byte (quotes, `$`, `&`, `<` untouched), PROJECT_DIR
    // and COLONIES_PROCESS_ID; the executor's own secrets (`COLONIES_PRVKEY`)
    // are not in its environment; an init command runs first, in the same shell
    // environment; stdout and stderr both reach the logs.
    it(
      'runs a job to success with its env, init command and output',
      async () => {
        const job = makeJob(
          'echo "greeting=$GREETING"; echo "pid=$COLONIES_PROCESS_ID"; echo "project=$PROJECT_DIR"; ' +
            'echo "init=$INIT_MARK"; echo "leak=${COLONIES_PRVKEY:-none}"; echo to-stderr >&2',
          { initCommand: 'INIT_MARK=from-init; export INIT_MARK; echo init-ran' },
        );
        const handle = await start(job);
        expect(handle.backend).toBe(backend.name);
        expect(handle.processId).toBe(job.processId);
        expect(JSON.parse(JSON.stringify(handle))).toEqual(handle);

        const status = await waitForFinalStatus(backend, handle, jobTimeoutMs);
        expect(status).toMatchObject({ state: 'succeeded', exitCode: 0 });
        const { text } = await readAllLogs(backend, handle, '', jobTimeoutMs);
        expect(text).toContain('init-ran\n');
        expect(text).toContain('greeting=hello "world" $HOME & <tag>\n');
        expect(text).toContain(`pid=${job.processId}\n`);
        if (options.rewritesMountPaths) expect(text).toMatch(/project=\/\S*\/pollinator\/conformance\n/);
        else expect(text).toContain(`project=${mountPath}/pollinator/conformance\n`);
        expect(text).toContain('init=from-init\n');
        expect(text).toContain('leak=none\n');
        expect(text).not.toContain(LEAK_CANARY_VALUE);
        expect(text).toContain('to-stderr\n');
        expect(text.indexOf('init-ran')).toBeLessThan(text.indexOf('greeting='));
      },
      caseTimeoutMs,
    );

    // Mounts: the job reads a file the executor staged in `hostPath` through
    // the path it is mounted at (`containerPath`, e.g. /cfs), and a file the job
    // writes there appears in `hostPath` (this is how results come back).
    it(
      'mounts the staging directory at its container path, read and write',
      async () => {
        mkdirSync(join(mountDir, 'pollinator', 'conformance', 'data'), { recursive: true });
        writeFileSync(join(mountDir, 'pollinator', 'conformance', 'data', 'input.txt'), 'staged input\n');
        const job = makeJob(
          'cat "$PROJECT_DIR/data/input.txt" && mkdir -p "$PROJECT_DIR/result" && ' +
            `echo "written by $COLONIES_PROCESS_ID" > ${mountPath}/pollinator/conformance/result/out.txt`,
        );
        const handle = await start(job);
        const status = await waitForFinalStatus(backend, handle, jobTimeoutMs);
        const { text } = await readAllLogs(backend, handle, '', jobTimeoutMs);
        expect(status, text).toMatchObject({ state: 'succeeded' });
        expect(text).toContain('staged input\n');
        expect(readFileSync(join(mountDir, 'pollinator', 'conformance', 'result', 'out.txt'), 'utf8')).toBe(
          `written by ${job.processId}\n`,
        );
      },
      caseTimeoutMs,
    );

    // Non-zero exit: `exit 3` ends `failed` with exitCode 3 and a one-line
    // reason; the output written before the exit is still in the logs.
    it(
      'reports a non-zero exit code as failed with that code',
      async () => {
        const handle = await start(makeJob('echo before-exit; exit 3'));
        const status = await waitForFinalStatus(backend, handle, jobTimeoutMs);
        expect(status.state).toBe('failed');
        if (status.state !== 'failed') return;
        expect(status.exitCode).toBe(3);
        expect(status.reason).toMatch(/\S/);
        expect(status.reason).not.toContain('\n');
        expect(status.timeLimit ?? false).toBe(false);
        const { text } = await readAllLogs(backend, handle, '', jobTimeoutMs);
        expect(text).toContain('before-exit\n');
      },
      caseTimeoutMs,
    );

    // Streaming: output is yielded while the job still runs (the first line
    // arrives before the job is final), the iterator completes by itself once
    // the job ends, nothing is lost, and resuming from any chunk's cursor
    // yields exactly the rest (no repeat, no gap).
    it(
      'streams output while the job runs and resumes from a cursor exactly',
      async () => {
        const handle = await start(
          makeJob('echo line-1; sleep 2; i=2; while [ $i -le 50 ]; do echo line-$i; i=$((i+1)); done; sleep 1; echo last-line'),
        );
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), jobTimeoutMs + 10_000);
        const chunks: LogChunk[] = [];
        let firstSeenWhileRunning: boolean | undefined;
        try {
          for await (const chunk of backend.logs(handle, '', controller.signal)) {
            chunks.push(chunk);
            if (firstSeenWhileRunning === undefined && chunk.text.includes('line-1')) {
              firstSeenWhileRunning = !isFinal(await backend.status(handle));
            }
          }
        } finally {
          clearTimeout(timer);
        }
        expect(controller.signal.aborted, 'logs() completed on its own').toBe(false);
        expect(firstSeenWhileRunning, 'first line seen while the job was still running').toBe(true);
        const text = chunks.map((chunk) => chunk.text).join('');
        const expected = [...Array.from({ length: 50 }, (_, i) => `line-${i + 1}`), 'last-line'].join('\n') + '\n';
        expect(text).toBe(expected);
        expect(await backend.status(handle)).toMatchObject({ state: 'succeeded' });

        for (let index = 0; index < chunks.length; index += 1) {
          const before = chunks.slice(0, index + 1).map((chunk) => chunk.text).join('');
          const rest = await readAllLogs(backend, handle, chunks[index]!.cursor, jobTimeoutMs);
          expect(before + rest.text).toBe(expected);
        }
      },
      caseTimeoutMs + 10_000,
    );

    // Cancel: a running job is stopped by `cancel()`, which resolves only once
    // the job is gone, within the cancel timeout; the status is then
    // `cancelled`; a second `cancel()` is a harmless no-op; `logs()` completes.
    it(
      'cancels a running job promptly, idempotently',
      async () => {
        const handle = await start(makeJob('echo started; sleep 120; echo not-reached'));
        // Wait until the job really runs (its first line is out).
        const deadline = Date.now() + jobTimeoutMs;
        let seen = '';
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), jobTimeoutMs);
        try {
          for await (const chunk of backend.logs(handle, '', controller.signal)) {
            seen += chunk.text;
            if (seen.includes('started')) break;
          }
        } finally {
          clearTimeout(timer);
        }
        expect(seen).toContain('started');
        expect(Date.now()).toBeLessThan(deadline);

        const cancelStart = Date.now();
        await backend.cancel(handle);
        expect(Date.now() - cancelStart).toBeLessThan(cancelTimeoutMs);
        const status = await waitForFinalStatus(backend, handle, cancelTimeoutMs);
        expect(status.state).toBe('cancelled');
        await backend.cancel(handle);
        expect((await backend.status(handle)).state).toBe('cancelled');
        const { text } = await readAllLogs(backend, handle, '', jobTimeoutMs);
        expect(text).not.toContain('not-reached');
      },
      caseTimeoutMs,
    );

    // Time limit: a job that outlives `resources.walltimeSeconds` is stopped by
    // the backend (without help from the runtime) and ends `failed` with
    // `timeLimit: true`, within the limit plus the grace the backend declared.
    it.skipIf(Boolean(options.timeLimitSlow) && !slowEnabled)(
      `stops a job at its time limit (${timeLimitSeconds} s)${options.timeLimitSlow ? ' [slow]' : ''}`,
      async () => {
        const job = makeJob(`echo started; sleep ${timeLimitSeconds * 10 + 30}; echo not-reached`);
        job.resources = { ...job.resources, walltimeSeconds: timeLimitSeconds };
        const startedAt = Date.now();
        const handle = await start(job);
        const status = await waitForFinalStatus(
          backend,
          handle,
          timeLimitSeconds * 1000 + timeLimitGraceMs + jobTimeoutMs,
        );
        expect(status.state).toBe('failed');
        if (status.state === 'failed') {
          expect(status.timeLimit).toBe(true);
          expect(status.reason).toMatch(/\S/);
        }
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(timeLimitSeconds * 1000 - 500);
        const { text } = await readAllLogs(backend, handle, '', jobTimeoutMs);
        expect(text).not.toContain('not-reached');
      },
      timeLimitCaseTimeoutMs,
    );

    // Missing command: a command that does not exist ends `failed` with a
    // non-zero exit code (127 from sh), and the shell's message is in the logs.
    it(
      'fails a job whose command does not exist',
      async () => {
        const handle = await start(makeJob('pollinator-conformance-no-such-command --flag'));
        const status = await waitForFinalStatus(backend, handle, jobTimeoutMs);
        expect(status.state).toBe('failed');
        if (status.state === 'failed') expect(status.exitCode).not.toBe(0);
        const { text } = await readAllLogs(backend, handle, '', jobTimeoutMs);
        expect(text).toContain('pollinator-conformance-no-such-command');
      },
      caseTimeoutMs,
    );

    // Missing image (container backends): an image that cannot be found either
    // makes `start()` reject with an error naming the image, or the job ends
    // `failed` with a reason; it never hangs pending for ever or succeeds.
    it.skipIf(!containers)(
      'fails a job whose image does not exist',
      async () => {
        const missing = 'pollinator-conformance/no-such-image:never';
        let handle: JobHandle;
        try {
          handle = await start(makeJob('echo should-not-run', { image: missing }));
        } catch (error) {
          expect(String((error as Error).message)).toContain('pollinator-conformance/no-such-image');
          return;
        }
        const status = await waitForFinalStatus(backend, handle, jobTimeoutMs * 3);
        expect(status.state).toBe('failed');
        if (status.state === 'failed') expect(status.reason).toMatch(/\S/);
        const { text } = await readAllLogs(backend, handle, '', jobTimeoutMs);
        expect(text).not.toContain('should-not-run');
      },
      caseTimeoutMs + 2 * jobTimeoutMs,
    );

    // Re-attach: a second backend instance (as after an executor restart) finds
    // a running job again from its JSON-serialised handle, follows it to the
    // end, and resumes its logs from a saved cursor without repeat or gap; a
    // handle of a job the platform never knew gives `undefined`.
    it.skipIf(options.reattach === false)(
      're-attaches to a running job from a saved handle',
      async () => {
        if (options.reattach === undefined && !backend.reattach) return;
        expect(typeof backend.reattach, 'backend implements reattach').toBe('function');
        const handle = await start(makeJob('echo part-1; sleep 3; echo part-2'));
        // Read until part-1 and remember the cursor, as the runtime's state file does.
        let cursor: LogCursor = '';
        let seen = '';
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), jobTimeoutMs);
        try {
          for await (const chunk of backend.logs(handle, '', controller.signal)) {
            seen += chunk.text;
            cursor = chunk.cursor;
            if (seen.includes('part-1\n')) break;
          }
        } finally {
          clearTimeout(timer);
        }
        expect(seen).toBe('part-1\n');
        const saved = JSON.parse(JSON.stringify(handle)) as JobHandle;

        const second = await createBackend();
        try {
          const again = await second.reattach!(saved);
          expect(again).toBeDefined();
          expect(again!.processId).toBe(handle.processId);
          expect(isFinal(await second.status(again!))).toBe(false);
          const status = await waitForFinalStatus(second, again!, jobTimeoutMs);
          expect(status).toMatchObject({ state: 'succeeded', exitCode: 0 });
          const rest = await readAllLogs(second, again!, cursor, jobTimeoutMs);
          expect(seen + rest.text).toBe('part-1\npart-2\n');

          const bogus: JobHandle = {
            ...saved,
            processId: randomBytes(32).toString('hex'),
            id: `${saved.id}-never-existed`,
          };
          expect(await second.reattach!(bogus)).toBeUndefined();
        } finally {
          await second.close?.();
        }
      },
      caseTimeoutMs,
    );

    // Cleanup: `cleanup()` (when present) on a finished job succeeds, and is
    // safe to call twice.
    it(
      'cleans up a finished job',
      async () => {
        const handle = await start(makeJob('echo done'));
        await waitForFinalStatus(backend, handle, jobTimeoutMs);
        await readAllLogs(backend, handle, '', jobTimeoutMs);
        await backend.cleanup?.(handle);
        await backend.cleanup?.(handle);
      },
      caseTimeoutMs,
    );
  });
}
