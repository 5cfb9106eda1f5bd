import type { RunDiff, RunRecord } from '@pollinator/core';
import { describe, expect, it } from 'vitest';
import { ambiguityRows } from '../runtime/process-ref';
import { createColors } from './colors';
import { formatRunRecord, shortDigest } from './run-record';
import { formatRunDiff } from './run-record-diff';

const plain = createColors(false);
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

function record(fields: Partial<RunRecord> = {}): RunRecord {
  return {
    processId: A,
    projectName: 'demo',
    state: 'success',
    exitCode: 0,
    submitted: '2026-12-03T09:00:00Z',
    started: '2026-12-03T09:00:02Z',
    ended: '2026-12-03T09:00:05Z',
    executorType: 'container-executor',
    spec: {} as RunRecord['spec'],
    retries: 0,
    errors: [],
    ...fields,
  };
}

describe('formatRunRecord', () => {
  it('shows every recorded field, one per line', () => {
    const text = formatRunRecord(
      record({
        executorName: 'dev-executor',
        srcSnapshotId: 's'.repeat(64),
        dataSnapshotId: 'd'.repeat(64),
        resultSnapshotId: 'r'.repeat(64),
        image: 'python:3.12-slim',
        imageDigest: 'sha256:0123',
        gitCommit: 'c'.repeat(40),
        gitDirty: true,
        cliVersion: '1.2.3',
        rerunOf: B,
      }),
      plain,
    );
    expect(text).toMatch(/^Run\s+a{64}$/m);
    expect(text).toMatch(/^State\s+success \(exit code 0\)$/m);
    expect(text).toMatch(/^Started\s+.*\(after 2\.0s in the queue\)$/m);
    expect(text).toMatch(/^Ended\s+.*\(ran 3\.0s\)$/m);
    expect(text).toMatch(/^Executor\s+dev-executor type container-executor$/m);
    expect(text).toMatch(/^Image\s+python:3\.12-slim sha256:0123$/m);
    expect(text).toMatch(/^Src\s+s{64}$/m);
    expect(text).toMatch(/^Data\s+d{64}$/m);
    expect(text).toMatch(/^Result\s+r{64}$/m);
    expect(text).toMatch(/^Commit\s+c{40} \(with uncommitted changes\)$/m);
    expect(text).toMatch(/^Tool\s+pollinator 1\.2\.3$/m);
    expect(text).toMatch(/^Rerun of\s+b{64}$/m);
  });

  it('says what a run did not record, and what that means for pull', () => {
    const text = formatRunRecord(record(), plain);
    expect(text).toMatch(/^Result\s+not recorded: `pollinator pull` of this run falls back to the shared result label$/m);
    expect(text).toMatch(/^Data\s+not recorded/m);
    expect(text).not.toContain('Rerun of');
    const running = formatRunRecord(record({ state: 'running', exitCode: undefined, ended: undefined }), plain);
    expect(running).toMatch(/^Result\s+not yet/m);
  });
});

describe('formatRunDiff', () => {
  it('lists what differs per section, and says same where nothing does', () => {
    const diff: RunDiff = {
      a: record(),
      b: record({ processId: B, state: 'failed', exitCode: 3 }),
      spec: [{ path: 'env.MODE', a: 'fast', b: 'slow' }],
      src: { available: true, added: [{ path: 'helper.py', checksum: 'x', size: 300 }], removed: [], changed: [{ path: 'main.py', a: { checksum: '1', size: 312 }, b: { checksum: '2', size: 318 } }], unchanged: 0 },
      data: { available: false, reason: 'the first run recorded no data snapshot' },
      image: { a: 'python:3.12', b: 'python:3.12', changed: false },
      imageDigest: { a: 'sha256:aaaaaaaaaaaaaaaa', b: 'sha256:bbbbbbbbbbbbbbbb', changed: true },
      exitCode: { a: 0, b: 3, changed: true },
      durationMs: { a: 3000, b: 4500 },
    };
    const lines = formatRunDiff(diff, plain).split('\n');
    expect(lines[0]).toMatch(/^- a {2}a{64} {2}success \(exit 0\) {2}ran 3\.0s/);
    expect(lines[1]).toMatch(/^\+ b {2}b{64} {2}failed \(exit 3\) {2}ran 4\.5s/);
    expect(lines).toContain('spec       ~ env.MODE: fast → slow');
    expect(lines).toContain('src        + helper.py (300 B)');
    expect(lines).toContain('           ~ main.py (312 B → 318 B)');
    expect(lines).toContain('data       not compared: the first run recorded no data snapshot');
    expect(lines).toContain('image      same: python:3.12');
    expect(lines).toContain('digest     sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb');
    expect(lines).toContain('exit code  0 → 3');
    expect(lines).toContain('run time   3.0s → 4.5s');
  });
});

describe('shortDigest and ambiguityRows', () => {
  it('shortens digests and lists ambiguous matches newest first', () => {
    expect(shortDigest('sha256:0123456789abcdef0123')).toBe('sha256:0123456789ab');
    const now = Date.parse('2026-12-03T09:10:00Z');
    const rows = ambiguityRows(
      [
        { processId: A, state: 'success', label: 'demo', funcName: 'execute', executorType: 't', submissionTime: '2026-12-03T09:00:00Z', startTime: '', endTime: '', retries: 0, errors: [] },
        { processId: B, state: 'waiting', label: '', funcName: 'execute', executorType: 't', submissionTime: '2026-12-03T09:09:00Z', startTime: '', endTime: '', retries: 0, errors: [] },
      ],
      [],
      now,
    );
    expect(rows).toEqual([`${B}  waiting  (no project)  submitted 1m ago`, `${A}  success  demo          submitted 10m ago`]);
  });
});
