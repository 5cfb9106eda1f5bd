import { describe, expect, it } from 'vitest';
import { buildFunctionSpec } from './build-function-spec';
import { parseProject, type Project } from './parse-project';
import { RETRY_MEMORY_FACTOR_ENV, RETRY_ON_ENV, RETRY_WALLTIME_FACTOR_ENV, retryPolicyFromEnv } from './retry-policy';

const IDS = { colonyName: 'dev', snapshotId: 'snap1', dataSnapshotId: 'data1' };
const BASE = `projectname: train
conditions: { cpu: 1000m, mem: 1Gi, walltime: 600 }
environment: { docker: python:3.12-slim, cmd: python3 }
retries: 2
`;

function load(text: string): Project {
  const result = parseProject(text);
  if (!result.ok) throw new Error(JSON.stringify(result.issues, null, 2));
  return result.project;
}

function issues(text: string): string[] {
  const result = parseProject(text);
  return result.ok ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message} (${issue.allowed})`);
}

describe('retries, retryOn and retryGrowth in the spec', () => {
  it('keeps the spec of a project without retryOn as before: the executor applies the defaults', () => {
    const spec = buildFunctionSpec(load(BASE), IDS);
    expect(spec.maxretries).toBe(2);
    expect(spec.env).toEqual({ PROJECT_DIR: '/cfs/pollinator/train' });
    expect(retryPolicyFromEnv(spec.env)).toEqual({ on: ['node-failure', 'preempted'], memoryFactor: 1, walltimeFactor: 1 });
  });

  it('carries retryOn and the growth factors in the env, read back the same by the executor', () => {
    const spec = buildFunctionSpec(load(`${BASE}retryOn: [node-failure, out-of-memory, time-limit]\nretryGrowth: { memoryFactor: 1.5, walltimeFactor: 2 }\n`), IDS);
    expect(spec.env).toMatchObject({ [RETRY_ON_ENV]: 'node-failure,out-of-memory,time-limit', [RETRY_MEMORY_FACTOR_ENV]: '1.5', [RETRY_WALLTIME_FACTOR_ENV]: '2' });
    expect(retryPolicyFromEnv(spec.env)).toEqual({ on: ['node-failure', 'out-of-memory', 'time-limit'], memoryFactor: 1.5, walltimeFactor: 2 });
  });

  it('says "none" for an empty retryOn, so nothing is retried', () => {
    const spec = buildFunctionSpec(load(`${BASE}retryOn: []\n`), IDS);
    expect(spec.env?.[RETRY_ON_ENV]).toBe('none');
    expect(retryPolicyFromEnv(spec.env).on).toEqual([]);
  });

  it('refuses an unknown cause, a factor out of range, and a factor retryOn never uses, saying what to do', () => {
    expect(issues(`${BASE}retryOn: [oom]\n`).join('\n')).toMatch(/^retryOn\[0\]: invalid value \(one of .*"out-of-memory"/);
    expect(issues(`${BASE}retryOn: [out-of-memory]\nretryGrowth: { memoryFactor: 20 }\n`).join('\n')).toMatch(/retryGrowth\.memoryFactor: .*from 1 to 8/);
    expect(issues(`${BASE}retryGrowth: { memoryFactor: 2 }\n`)).toEqual([
      expect.stringMatching(/^retryGrowth\.memoryFactor: memoryFactor applies to retries after out-of-memory, which retryOn does not include: add out-of-memory \(or any-failure\) to retryOn/),
    ]);
    expect(issues(`${BASE}retryOn: [any-failure]\nretryGrowth: { walltimeFactor: 2 }\n`)).toEqual([]);
  });
});
