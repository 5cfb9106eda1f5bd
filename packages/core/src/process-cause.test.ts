import type { Process } from '@pollinator/colonies-client';
import { describe, expect, it } from 'vitest';
import { stateEvent } from './follow-process';
import { processCause } from './process-cause';
import { summarizeProcess } from './process-commands';
import { runRecordOf } from './run-record';
import { RunRecordKey } from './run-record-keys';

const DETAIL = 'killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem';

function failed(attributes: { key: string; value: string; attributetype: number }[]): Process {
  return {
    processid: 'p1',
    state: 3,
    submissiontime: '2026-01-01T00:00:00Z',
    starttime: '2026-01-01T00:00:01Z',
    endtime: '2026-01-01T00:10:01Z',
    retries: 0,
    errors: ['ContainerExecutor: Failed to execute process: OUT_OF_MEMORY'],
    attributes,
    assignedexecutorid: '',
    spec: { label: 'proj', funcname: 'execute', conditions: { executortype: 'slurm-executor' }, env: {} },
  } as unknown as Process;
}

describe('the failure cause on a process', () => {
  const recorded = failed([
    { key: RunRecordKey.failureCause, value: 'out-of-memory', attributetype: 1 },
    { key: RunRecordKey.failureDetail, value: DETAIL, attributetype: 1 },
  ]);

  it('is read from the executor\'s OUT attributes, in status, show and the followed state', () => {
    const cause = { kind: 'out-of-memory', detail: DETAIL };
    expect(processCause(recorded)).toEqual(cause);
    expect(summarizeProcess(recorded).cause).toEqual(cause);
    expect(runRecordOf(recorded).cause).toEqual(cause);
    expect(stateEvent(recorded).cause).toEqual(cause);
  });

  it('is not taken from IN/ENV attributes, nor an unknown kind; without one nothing is added', () => {
    expect(processCause(failed([{ key: RunRecordKey.failureCause, value: 'out-of-memory', attributetype: 0 }]))).toBeUndefined();
    expect(processCause(failed([{ key: RunRecordKey.failureCause, value: 'gremlins', attributetype: 1 }]))).toBeUndefined();
    expect(processCause(failed([{ key: RunRecordKey.failureCause, value: 'time-limit', attributetype: 1 }]))).toEqual({ kind: 'time-limit', detail: 'time-limit' });
    expect('cause' in summarizeProcess(failed([]))).toBe(false);
    expect('cause' in stateEvent(failed([]))).toBe(false);
    expect(runRecordOf(failed([])).cause).toBeUndefined();
  });
});
