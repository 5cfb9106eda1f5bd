/**
 * The stop-signal cases every backend runs (issue #17, "a stop signal before
 * the time limit"): a job whose program traps the signal receives it before
 * its wall-time limit, under the same wrapper shells the executor puts around
 * it (`ignoreStopSignal`, an init command), and can end on its own with a
 * checkpoint; a job that keeps running is still stopped at the limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, JobRequest } from '../backend';
import { ignoreStopSignal, type JobStopSignal } from '../stop-signal';
import { readAllLogs, waitForFinalStatus } from './backend-conformance';
import { testJobRequest } from './job-request';

export interface StopSignalSuiteOptions {
  /** The job's walltime; the platform's granularity decides (Slurm: whole minutes). */
  walltimeSeconds: number;
  /** The stop signal's lead time (less than walltimeSeconds). */
  beforeSeconds: number;
  /** How long a case may take at most (start, the walltime, the platform's own delays). */
  timeoutMs: number;
  /** The job's work directory parent (Slurm: a directory the compute nodes share). Default: the system temp directory. */
  workRoot?: string;
  /** What the backend needs besides the defaults (an image, …). */
  request?: Partial<JobRequest>;
  skip?: string | false;
  /** Why the second case (stopped at the limit after the signal) is skipped, e.g. it takes minutes on Slurm; false: it runs. */
  skipTimeLimitCase?: string | false;
}

/**
 * The job's program: traps USR1, then prints a line once a second until
 * the signal comes. `onSignal` is what it does then.
 */
function trappingProgram(onSignal: string): string {
  return `trap '${onSignal}' USR1; echo started; while :; do sleep 1; done`;
}

export function testStopSignal(name: string, createBackend: () => Backend | Promise<Backend>, options: StopSignalSuiteOptions): void {
  const stopSignal: JobStopSignal = { signal: 'SIGUSR1', beforeSeconds: options.beforeSeconds };
  const root = mkdtempSync(join(options.workRoot ?? tmpdir(), 'pollinator-stop-signal-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** The job as the executor hands it over: the command and the init command behind wrapper shells that survive the signal. */
  const request = (program: string, workDir: string): JobRequest =>
    testJobRequest(ignoreStopSignal(program, stopSignal), workDir, {
      initCommand: ignoreStopSignal('echo init', stopSignal),
      resources: { walltimeSeconds: options.walltimeSeconds },
      stopSignal,
      ...options.request,
    });

  describe.skipIf(options.skip)(`${name}: stop signal`, () => {
    it('reaches the job before its time limit, which writes a checkpoint and ends on its own', { timeout: options.timeoutMs }, async () => {
      const backend = await createBackend();
      const workDir = mkdtempSync(join(root, 'job-'));
      const handle = await backend.start(request(trappingProgram('echo "stop signal: writing the checkpoint"; exit 0'), workDir));
      const status = await waitForFinalStatus(backend, handle, options.timeoutMs);
      const { text } = await readAllLogs(backend, handle, '', 30_000);
      expect(text).toContain('started');
      expect(text).toContain('stop signal: writing the checkpoint');
      // Ended by its own `exit 0`: had the signal not come, the time limit would have failed it.
      expect(status).toMatchObject({ state: 'succeeded' });
    });

    it.skipIf(options.skipTimeLimitCase)('still stops a job at its time limit when it keeps running after the signal', { timeout: options.timeoutMs }, async () => {
      const backend = await createBackend();
      const workDir = mkdtempSync(join(root, 'job-'));
      const handle = await backend.start(request(trappingProgram('echo "stop signal: carrying on"'), workDir));
      const status = await waitForFinalStatus(backend, handle, options.timeoutMs);
      const { text } = await readAllLogs(backend, handle, '', 30_000);
      expect(text).toContain('stop signal: carrying on');
      expect(status.state).toBe('failed');
      expect(status).toMatchObject({ timeLimit: true });
    });
  });
}
