/**
 * The executor reads `environment.stopSignal` back from the spec
 * (kwargs `stop-signal`, `stop-signal-before`) into the backend's JobRequest,
 * with the job's shells catching it, and fails a process whose kwargs are not
 * what `buildFunctionSpec` writes.
 */
import { describe, expect, it } from 'vitest';
import { buildFunctionSpec, parseProject } from '@pollinator/spec-builder';
import { buildJobRequest } from './executor-job-request';
import type { ExecutorProcess } from './executor-types';

const PROJECT = `projectname: train
conditions: { cpu: 1000m, mem: 1Gi, walltime: 600 }
environment:
  docker: python:3.12-slim
  init-cmd: pip3 install numpy
  cmd: python3
  source: train.py
`;

function processOf(text: string): ExecutorProcess {
  const parsed = parseProject(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const spec = buildFunctionSpec(parsed.project, { colonyName: 'dev', snapshotId: 'snap', dataSnapshotId: 'data' });
  return { processid: 'p1', state: 1, assignedexecutorid: 'e1', spec };
}

describe('buildJobRequest with a stop signal', () => {
  it('carries it to the backend and lets the shells around the job catch it', () => {
    const request = buildJobRequest(processOf(`${PROJECT}  stopSignal: { signal: USR2, before: 90 }\n`), '/work', [], []);
    if ('error' in request) throw new Error(request.error);
    expect(request.stopSignal).toEqual({ signal: 'SIGUSR2', beforeSeconds: 90 });
    expect(request.initCommand).toBe('trap : USR2; pip3 install numpy');
    expect(request.command).toBe('trap : USR2; python3 /cfs/pollinator/train/snap/src/train.py');
  });

  it('changes nothing without one', () => {
    const request = buildJobRequest(processOf(PROJECT), '/work', [], []);
    if ('error' in request) throw new Error(request.error);
    expect(request).not.toHaveProperty('stopSignal');
    expect(request.command).toBe('python3 /cfs/pollinator/train/snap/src/train.py');
  });

  it('fails a process whose stop-signal kwargs were not written by Pollinator', () => {
    const process = processOf(PROJECT);
    process.spec.kwargs = { ...process.spec.kwargs, 'stop-signal': 'SIGKILL', 'stop-signal-before': 60 };
    const request = buildJobRequest(process, '/work', [], []);
    expect(request).toHaveProperty('error');
    expect((request as { error: string }).error).toContain('kwargs["stop-signal"] must be one of SIGUSR1, SIGUSR2, SIGTERM, SIGHUP, got "SIGKILL"');
  });
});
