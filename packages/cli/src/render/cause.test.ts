/**
 * The failure cause an executor recorded (issue #17) as `run`, `show` and `--json` show it.
 * (`status` is covered end to end in test/failure-causes.test.ts.)
 */
import type { ProcessCause, RunRecord } from '@pollinator/core';
import { describe, expect, it } from 'vitest';
import { formatCause } from './cause';
import { createColors } from './colors';
import { eventProblems } from './json-schema.test-helpers';
import { renderOutcome } from './outcome';
import { captureOutput } from './output.test-helpers';
import { RunRenderer } from './run-events';
import { formatRunRecord } from './run-record';

const plain = createColors(false);
const ID = 'd'.repeat(64);
const OOM: ProcessCause = { kind: 'out-of-memory', detail: 'killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem' };

describe('failure causes in the CLI', () => {
  it('prints the executor\'s line, the fix set off after the dash', () => {
    expect(formatCause(OOM, plain)).toBe('killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem');
    const colored = formatCause(OOM, createColors(true));
    expect(colored).toContain('\u001b[1mraise conditions.mem');
    expect(formatCause({ kind: 'cancelled', detail: 'cancelled' }, plain)).toBe('cancelled');
  });

  it('an attempt its executor already retried says so instead of advising to run it again', () => {
    const nodeFailure: ProcessCause = { kind: 'node-failure', detail: 'killed: node failure (vm) — not caused by your job: run it again' };
    expect(formatCause(nodeFailure, plain, { retriedAsAttempt: 2 })).toBe('killed: node failure (vm) — retried as attempt 2');
    expect(formatCause(nodeFailure, plain)).toBe('killed: node failure (vm) — not caused by your job: run it again');
  });

  it('run: the outcome line says the cause the last process.state carried', async () => {
    const { output, text } = captureOutput();
    const renderer = new RunRenderer(output);
    renderer.handle({ type: 'process.state', processId: ID, state: 'failed', errors: ['ContainerExecutor: Failed to execute process: OUT_OF_MEMORY'], retries: 0, cause: OOM });
    expect(renderer.lastProcessCause).toEqual(OOM);
    renderOutcome(output, { processId: ID, state: 'failed', exitCode: 137, detached: false }, 1000, renderer.lastProcessErrors, renderer.lastProcessCause);
    await new Promise((resolve) => setImmediate(resolve));
    expect(text().stdout + text().stderr).toContain(
      '✖ Failed with exit code 137: ContainerExecutor: Failed to execute process: OUT_OF_MEMORY\n  killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem\n',
    );
  });

  it('show: a Cause row', () => {
    const record: RunRecord = {
      processId: ID,
      projectName: 'demo',
      state: 'failed',
      exitCode: 124,
      submitted: '2026-12-03T09:00:00Z',
      executorType: 'slurm-executor',
      spec: {} as RunRecord['spec'],
      retries: 0,
      errors: [],
      cause: { kind: 'time-limit', detail: 'killed: time limit reached (ran 1m14s of 1m allowed) — raise conditions.walltime, or checkpoint and resume' },
    };
    expect(formatRunRecord(record, plain)).toMatch(/^Cause +killed: time limit reached \(ran 1m14s of 1m allowed\) — raise conditions.walltime, or checkpoint and resume$/m);
  });

  it('--json: process.state, process (status) and run.record carry the cause, per the schema', () => {
    const envelope = { schemaVersion: 1, time: '2026-12-03T09:00:00.000Z' };
    expect(eventProblems({ ...envelope, type: 'process.state', processId: ID, state: 'failed', errors: [], retries: 0, cause: OOM })).toBe('');
    const summary = { processId: ID, state: 'failed', label: 'demo', funcName: 'execute', executorType: 'slurm-executor', submissionTime: '', startTime: '', endTime: '', retries: 0, errors: [], exitCode: 137 };
    expect(eventProblems({ ...envelope, type: 'process', ...summary, cause: OOM })).toBe('');
    expect(eventProblems({ ...envelope, type: 'process', ...summary, cause: { kind: 'gremlins', detail: 'x' } })).toMatch(/allowed values/);
    const record = { processId: ID, projectName: 'demo', state: 'failed', submitted: '', executorType: 'e', spec: {}, retries: 0, errors: [], cause: OOM };
    expect(eventProblems({ ...envelope, type: 'run.record', ...record })).toBe('');
  });
});
