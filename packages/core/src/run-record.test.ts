import type { Process } from '@pollinator/colonies-client';
import { describe, expect, it } from 'vitest';
import { diffValues } from './run-diff';
import { compareTimes, runRecordOf } from './run-record';
import { diffFiles } from './snapshot-files';

function process(overrides: Partial<Process>): Process {
  return {
    processid: 'p1',
    state: 2,
    submissiontime: '2026-01-01T00:00:00.5Z',
    starttime: '2026-01-01T00:00:01Z',
    endtime: '0001-01-01T00:00:00Z',
    retries: 0,
    errors: [],
    attributes: [],
    assignedexecutorid: '',
    spec: {
      label: 'proj',
      conditions: { executortype: 'container-executor' },
      fs: { mount: '/cfs', snapshots: [{ label: '/pollinator/proj/src', snapshotid: 'src-from-fs' }], dirs: [] },
      env: { POLLINATOR_DATA_SNAPSHOT: 'data-env', POLLINATOR_GIT_DIRTY: 'false' },
    },
    ...overrides,
  } as unknown as Process;
}

describe('runRecordOf', () => {
  it('prefers the executor OUT attribute (the last), falls back to env and the spec, and leaves unset times out', () => {
    const record = runRecordOf(
      process({
        attributes: [
          { key: 'POLLINATOR_IMAGE_DIGEST', value: 'sha256:in', attributetype: 0 },
          { key: 'POLLINATOR_IMAGE_DIGEST', value: 'sha256:old', attributetype: 1 },
          { key: 'POLLINATOR_IMAGE_DIGEST', value: 'sha256:new', attributetype: 1 },
          { key: 'POLLINATOR_RESULT_SNAPSHOT', value: 'result-1', attributetype: 1 },
          { key: 'EXITCODE', value: '0', attributetype: 1 },
        ] as Process['attributes'],
      }),
    );
    expect(record).toMatchObject({
      processId: 'p1',
      projectName: 'proj',
      state: 'success',
      exitCode: 0,
      imageDigest: 'sha256:new',
      resultSnapshotId: 'result-1',
      srcSnapshotId: 'src-from-fs',
      dataSnapshotId: 'data-env',
      gitDirty: false,
      started: '2026-01-01T00:00:01Z',
    });
    expect(record).not.toHaveProperty('ended');
    expect(record).not.toHaveProperty('gitCommit');
  });

  it('never takes a result snapshot from env (that is the executor’s to record)', () => {
    const record = runRecordOf(process({ spec: { ...process({}).spec, env: { POLLINATOR_RESULT_SNAPSHOT: 'forged' } } }));
    expect(record.resultSnapshotId).toBeUndefined();
  });
});

describe('compareTimes', () => {
  it('orders to the nanosecond, whatever the fraction length', () => {
    expect(compareTimes('2026-01-01T00:00:00.000000002Z', '2026-01-01T00:00:00.000000001Z')).toBeGreaterThan(0);
    expect(compareTimes('2026-01-01T00:00:00.1Z', '2026-01-01T00:00:00.09Z')).toBeGreaterThan(0);
    expect(compareTimes('2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z')).toBeLessThan(0);
    expect(compareTimes('2026-01-01T00:00:00.5Z', '2026-01-01T00:00:00.500Z')).toBe(0);
  });
});

describe('diffValues and diffFiles', () => {
  it('lists leaf changes with paths, arrays by index, missing sides left out', () => {
    expect(diffValues({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 1, b: { c: [1, 3, 4] }, e: null }, '')).toEqual([
      { path: 'b.c[1]', a: 2, b: 3 },
      { path: 'b.c[2]', b: 4 },
      { path: 'd', a: 'x' },
      { path: 'e', b: null },
    ]);
  });

  it('compares files by path and checksum', () => {
    const diff = diffFiles(
      [
        { path: 'a', checksum: '1', size: 1 },
        { path: 'b', checksum: '2', size: 2 },
        { path: 'gone', checksum: '3', size: 3 },
      ],
      [
        { path: 'a', checksum: '1', size: 1 },
        { path: 'b', checksum: '9', size: 5 },
        { path: 'new', checksum: '4', size: 4 },
      ],
    );
    expect(diff).toEqual({
      added: [{ path: 'new', checksum: '4', size: 4 }],
      removed: [{ path: 'gone', checksum: '3', size: 3 }],
      changed: [{ path: 'b', a: { checksum: '2', size: 2 }, b: { checksum: '9', size: 5 } }],
      unchanged: 1,
    });
  });
});
