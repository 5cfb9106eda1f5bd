import { describe, expect, it } from 'vitest';
import { SECOND } from './clock';
import { type GcFile, type GcPlanInput, type GcProcess, type GcSnapshot, planGarbageCollection, type RetentionOptions } from './gc-plan';

// The decisions alone, with times chosen freely (the server's clock cannot be moved in gc.test.ts).

const NOW = 1_000_000n * SECOND;
const DAY = 86_400n * SECOND;
const options: RetentionOptions = { keepLast: 1, keepDays: 7, graceSeconds: 3600, now: NOW };

function run(processid: string, endedDaysAgo: number, snapshotIds: string[] = [], state = 2): GcProcess {
  const ended = NOW - BigInt(endedDaysAgo) * DAY;
  return { processid, label: 'p', state, submissiontime: ended - SECOND, endtime: state >= 2 ? ended : 0n, snapshotIds, stagingDirs: [`/pollinator/p/${processid}`] };
}

function snapshotOf(snapshotid: string, addedDaysAgo: number, fileIds: string[] = []): GcSnapshot {
  return { snapshotid, name: snapshotid, label: '/pollinator/p/src', fileIds, added: NOW - BigInt(addedDaysAgo) * DAY };
}

function revision(fileid: string, sequence: number, added: bigint, name = 'f'): GcFile {
  return { fileid, colonyname: 'dev', label: '/pollinator/p/data', name, sequence: BigInt(sequence), object: `blob-${fileid}`, size: 10, added };
}

function input(partial: Partial<GcPlanInput>): GcPlanInput {
  return { processes: [], snapshots: [], files: [], otherReferences: new Set(), blobs: [], ...partial };
}

describe('planGarbageCollection', () => {
  it('keeps runs that ended within keepDays, the last keepLast of each project, and every unfinished one', () => {
    const plan = planGarbageCollection(
      input({ processes: [run('old', 30), run('older', 40), run('recent', 3), run('running', 90, [], 1)] }),
      options,
    );
    // `running` was submitted longest ago but is unfinished; `recent` is the newest and recent anyway.
    expect(plan.processes.map((process) => process.processid).sort()).toEqual(['old', 'older']);
    expect(plan.activeStagingDirs).toEqual(['/pollinator/p/running']);
  });

  it('keepLast counts the newest runs whatever their age', () => {
    const plan = planGarbageCollection(input({ processes: [run('a', 30), run('b', 20), run('c', 10)] }), { ...options, keepLast: 2 });
    expect(plan.processes.map((process) => process.processid)).toEqual(['a']);
  });

  it('removes old snapshots nobody kept names and those of removed runs; never a young one (a run makes it before it submits)', () => {
    const plan = planGarbageCollection(
      input({
        processes: [run('kept', 1, ['s-kept']), run('gone', 30, ['s-gone-run'])],
        snapshots: [snapshotOf('s-kept', 30), snapshotOf('s-gone-run', 1), snapshotOf('s-old', 8), snapshotOf('s-new', 0), snapshotOf('kept', 30)],
      }),
      options,
    );
    // `kept` is the result snapshot of the kept run: it carries the run's id as its name.
    expect(plan.snapshots.map((snapshot) => snapshot.snapshotid).sort()).toEqual(['s-gone-run', 's-old']);
  });

  it('removes superseded revisions unless a kept snapshot holds them, however recently they were replaced', () => {
    const files = [
      revision('r1', 1, NOW - 3n * DAY),
      revision('r2', 2, NOW - 2n * DAY),
      revision('r3', 3, NOW - 120n * SECOND),
      revision('r4', 4, NOW - 60n * SECOND),
      revision('other', 5, NOW - 9n * DAY, 'g'),
    ];
    const plan = planGarbageCollection(input({ files, snapshots: [snapshotOf('s', 0, ['r1'])] }), options);
    // r1: held by a snapshot; r4 and `other`: the newest of their names.
    expect(plan.revisions.map((file) => file.fileid).sort()).toEqual(['r2', 'r3']);
  });

  it('frees the blob of a removed revision at once, an unnamed one only after the grace period, never one another colony names', () => {
    const files = [revision('r1', 1, NOW - 3n * DAY), revision('r2', 2, NOW - 2n * DAY)];
    const blob = (key: string, ageSeconds: bigint) => ({ key, size: 5, modified: NOW - ageSeconds * SECOND });
    const plan = planGarbageCollection(
      input({
        files,
        otherReferences: new Set(['elsewhere']),
        blobs: [blob('blob-r1', 10n), blob('blob-r2', 10n), blob('young', 10n), blob('abandoned', 7200n), blob('elsewhere', 7200n)],
      }),
      options,
    );
    expect(plan.blobs.map((entry) => entry.key).sort()).toEqual(['abandoned', 'blob-r1']);
  });
});
