import { describe, expect, it } from 'vitest';
import { buildFunctionSpec } from './build-function-spec';
import { parseProject, type Project } from './parse-project';
import { formatProjectIssue } from './project-issues';
import { readStopSignal, STOP_SIGNAL_KWARGS } from './stop-signal';

const IDS = { colonyName: 'dev', snapshotId: 'snap1', dataSnapshotId: 'data1' };
const BASE = `projectname: train
conditions: { cpu: 1000m, mem: 1Gi, walltime: 600 }
environment:
  docker: python:3.12-slim
  cmd: python3
  source: train.py
`;

function load(text: string): Project {
  const result = parseProject(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.project;
}

function refusal(text: string): string[] {
  const result = parseProject(text);
  if (result.ok) throw new Error('expected the project to be refused');
  return result.issues.map(formatProjectIssue);
}

describe('environment.stopSignal', () => {
  it('is carried in two kwargs of the spec', () => {
    const project = load(`${BASE}  stopSignal: { signal: SIGUSR1, before: 120 }\n`);
    expect(project.environment.stopSignal).toEqual({ signal: 'SIGUSR1', beforeSeconds: 120 });
    const spec = buildFunctionSpec(project, IDS);
    expect(spec.kwargs[STOP_SIGNAL_KWARGS.signal]).toBe('SIGUSR1');
    expect(spec.kwargs[STOP_SIGNAL_KWARGS.before]).toBe(120);
    // What the executor reads back.
    expect(readStopSignal(spec)).toEqual({ signal: 'SIGUSR1', beforeSeconds: 120 });
  });

  it('defaults the signal to SIGUSR1 and accepts names without SIG', () => {
    expect(load(`${BASE}  stopSignal: { before: 30 }\n`).environment.stopSignal).toEqual({ signal: 'SIGUSR1', beforeSeconds: 30 });
    expect(load(`${BASE}  stopSignal: { signal: usr2, before: 30 }\n`).environment.stopSignal).toEqual({ signal: 'SIGUSR2', beforeSeconds: 30 });
    expect(load(`${BASE}  stopSignal: { signal: TERM, before: 30 }\n`).environment.stopSignal?.signal).toBe('SIGTERM');
  });

  it('leaves a spec without it unchanged (no stop-signal kwargs)', () => {
    const spec = buildFunctionSpec(load(BASE), IDS);
    expect(Object.keys(spec.kwargs).sort()).toEqual(['args', 'cmd', 'docker-image', 'init-cmd', 'rebuild-image']);
    expect(readStopSignal(spec)).toBeUndefined();
  });

  it.each([
    ['a signal that cannot be caught', '{ signal: SIGKILL, before: 60 }', 'project.yaml:7:25 environment.stopSignal.signal: invalid value; found "SIGKILL"; allowed: one of SIGUSR1, SIGUSR2, SIGTERM, SIGHUP'],
    ['SIGINT (srun reads it itself)', '{ signal: INT, before: 60 }', 'project.yaml:7:25 environment.stopSignal.signal'],
    ['a lead time of 0', '{ before: 0 }', 'project.yaml:7:25 environment.stopSignal.before: invalid value; found 0 (number); allowed: a whole number of seconds from 1 to 65535, less than conditions.walltime'],
    ['a fractional lead time', '{ before: 1.5 }', 'project.yaml:7:25 environment.stopSignal.before'],
    ['no lead time', '{ signal: USR1 }', 'environment.stopSignal.before'],
    ['an unknown key', '{ before: 60, after: 3 }', 'environment.stopSignal.after'],
    ['a plain string', 'SIGUSR1', 'project.yaml:7:15 environment.stopSignal: invalid value; found "SIGUSR1"; allowed: a mapping with before'],
  ])('refuses %s', (_what, value, expected) => {
    const issues = refusal(`${BASE}  stopSignal: ${value}\n`);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain(expected);
  });

  it('refuses a lead time that is not less than the walltime, at the before value', () => {
    const issues = refusal(`${BASE}  stopSignal: { before: 600 }\n`);
    expect(issues).toEqual([
      'project.yaml:7:25 environment.stopSignal.before: the stop signal would come 600 s before a walltime of 600 s, that is before the job starts: make before less than conditions.walltime (or raise walltime); found 600',
    ]);
  });

  it('buildFunctionSpec refuses a hand-made project whose lead time does not fit', () => {
    const project = load(BASE);
    project.environment.stopSignal = { signal: 'SIGUSR1', beforeSeconds: 900 };
    expect(() => buildFunctionSpec(project, IDS)).toThrow(/stopSignal: the stop signal would come 900 s before a walltime of 600 s/);
  });
});

describe('readStopSignal (executors)', () => {
  const conditions = { walltime: 600 };
  it.each([
    [{ 'stop-signal': 'SIGKILL', 'stop-signal-before': 60 }, /kwargs\["stop-signal"\] must be one of SIGUSR1/],
    [{ 'stop-signal': 'SIGUSR1; rm -rf /', 'stop-signal-before': 60 }, /must be one of/],
    [{ 'stop-signal': 'SIGUSR1' }, /kwargs\["stop-signal-before"\] must be a whole number/],
    [{ 'stop-signal': 'SIGUSR1', 'stop-signal-before': '60' }, /must be a whole number/],
    [{ 'stop-signal': 'SIGUSR1', 'stop-signal-before': 600 }, /before a walltime of 600 s/],
    [{ 'stop-signal-before': 60 }, /must be one of/],
  ])('refuses hostile kwargs %j', (kwargs, error) => {
    const read = readStopSignal({ kwargs, conditions });
    expect(read).toHaveProperty('error');
    expect((read as { error: string }).error).toMatch(error);
  });
});
