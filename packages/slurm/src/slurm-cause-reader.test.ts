/**
 * Which Slurm command the cause comes from, with recorded outputs served by a scripted runner: sacct
 * first (it has the steps, MaxRSS and DerivedExitCode), scontrol when sacct has no ended record yet or
 * accounting is off, and no cause rather than a failed status read when Slurm does not answer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobHandle, JobStatus } from '@pollinator/backend';
import { jobInfoFromScontrol, toJobStatus } from './job-state';
import { createLocalRunner, type CommandResult, type CommandRunner } from './runner';
import { SACCT_CATCH_UP_MS, SlurmCauseReader } from './slurm-cause-reader';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '__fixtures__', 'causes', name), 'utf8');
const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '' });

function reader(answers: Record<string, CommandResult>, accounting: boolean, now: () => number = Date.now): { reader: SlurmCauseReader; calls: string[][] } {
  const calls: string[][] = [];
  const runner: CommandRunner = {
    ...createLocalRunner(),
    async run(command, args) {
      calls.push([command, ...args]);
      return answers[command] ?? { exitCode: 1, stdout: '', stderr: `${command}: not available` };
    },
  };
  return { reader: new SlurmCauseReader(runner, () => ({}), async () => accounting, now), calls };
}

const handle = (id: string): JobHandle => ({ backend: 'slurm', processId: 'p', id, data: {} });

describe('SlurmCauseReader', () => {
  const oomLine = fixture('scontrol-out-of-memory.txt');
  const oomInfo = jobInfoFromScontrol(oomLine)!;
  const oomStatus = toJobStatus(oomInfo, false);

  it('asks sacct first: the peak memory is there', async () => {
    const { reader: causes, calls } = reader({ sacct: ok(fixture('sacct-out-of-memory.txt')), scontrol: ok(oomLine) }, true);
    const status = await causes.explain(handle('4242'), oomInfo, oomStatus);
    expect(status).toMatchObject({ state: 'failed', cause: { kind: 'out-of-memory', peakMemoryBytes: 16571392 * 1024 } });
    expect(calls.map((call) => call[0])).toEqual(['sacct']);
  });

  it('falls back to scontrol while slurmdbd has not recorded the end yet', async () => {
    const { reader: causes, calls } = reader({ sacct: ok(fixture('sacct-still-completing.txt').replaceAll('4248', '4242')), scontrol: ok(oomLine) }, true);
    const status = await causes.explain(handle('4242'), oomInfo, oomStatus);
    expect(status).toMatchObject({ cause: { kind: 'out-of-memory', requestedMemoryBytes: 16 * 1024 ** 3 } });
    expect(status.state === 'failed' && status.cause?.peakMemoryBytes).toBeUndefined();
    expect(calls.map((call) => call[0])).toEqual(['sacct', 'scontrol']);
  });

  it('holds a COMPLETED job as running until sacct has recorded it: only sacct knows a step failed', async () => {
    const line = fixture('scontrol-completed-step-failed.txt');
    const info = jobInfoFromScontrol(line)!;
    const success = toJobStatus(info, false);
    expect(success.state).toBe('succeeded');
    let clock = 1_000_000;
    const answers: Record<string, CommandResult> = { sacct: ok(''), scontrol: ok(line) };
    const { reader: causes } = reader(answers, true, () => clock);
    expect(await causes.explain(handle('1114'), info, success)).toEqual({ state: 'running', nodes: ['vm'] });
    // sacct catches up: the step failed, so the job failed.
    answers.sacct = ok(fixture('sacct-completed-step-failed.txt'));
    expect(await causes.explain(handle('1114'), info, success)).toMatchObject({ state: 'failed', exitCode: 3, cause: { kind: 'failed', exitCode: 3 } });
    // sacct never catches up: after SACCT_CATCH_UP_MS scontrol's word stands.
    answers.sacct = ok('');
    expect((await causes.explain(handle('1115'), { ...info, jobId: '1115' }, success)).state).toBe('running');
    clock += SACCT_CATCH_UP_MS;
    expect((await causes.explain(handle('1115'), { ...info, jobId: '1115' }, success)).state).toBe('succeeded');
  });

  it('does not wait for sacct without accounting', async () => {
    const line = fixture('scontrol-completed-step-failed.txt');
    const info = jobInfoFromScontrol(line)!;
    const { reader: causes } = reader({ scontrol: ok(line) }, false);
    expect((await causes.explain(handle('1114'), info, toJobStatus(info, false))).state).toBe('succeeded');
  });

  it('uses scontrol alone without accounting', async () => {
    const { reader: causes, calls } = reader({ scontrol: ok(fixture('scontrol-node-fail.txt')) }, false);
    const info = jobInfoFromScontrol(fixture('scontrol-node-fail.txt'))!;
    expect(await causes.explain(handle('1116'), info, toJobStatus(info, false))).toMatchObject({ cause: { kind: 'node-failure', nodes: ['vm'] } });
    expect(calls.map((call) => call[0])).toEqual(['scontrol']);
  });

  it('leaves the status as it is when Slurm does not answer', async () => {
    const { reader: causes } = reader({}, true);
    expect(await causes.explain(handle('4242'), oomInfo, oomStatus)).toEqual(oomStatus);
  });

  it('says why a requeued job is pending, asking sacct -D once per restart', async () => {
    const line = fixture('scontrol-pending-requeued.txt');
    const info = jobInfoFromScontrol(line)!;
    const { reader: causes, calls } = reader({ sacct: ok(fixture('sacct-requeued-after-node-fail-runs.txt').replaceAll('1117', '1115')) }, true);
    const pending: JobStatus = toJobStatus(info, false);
    const first = await causes.explain(handle('1115'), info, pending);
    const second = await causes.explain(handle('1115'), info, pending);
    expect(first).toEqual({ state: 'pending', reason: 'requeued: its node failed; Slurm runs it again (restart 1, waiting: BeginTime)' });
    expect(second).toEqual(first);
    expect(calls).toEqual([['sacct', '-D', '-n', '-P', '-o', expect.any(String), '-j', '1115']]);
  });

  it('leaves an ordinary pending job alone', async () => {
    const { reader: causes, calls } = reader({}, true);
    const info = jobInfoFromScontrol(fixture('scontrol-pending-requeued.txt').replace('Restarts=1', 'Restarts=0'))!;
    const pending = toJobStatus(info, false);
    expect(await causes.explain(handle('1115'), info, pending)).toBe(pending);
    expect(calls).toEqual([]);
  });
});
