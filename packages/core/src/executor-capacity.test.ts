import { describe, expect, it } from 'vitest';
import { admission, jobDemand } from './executor-capacity';
import { makeProcess } from './run-executor.test-helpers';

describe('jobDemand', () => {
  it('counts cpu per process on every node and memory per node', () => {
    const process = makeProcess('p', { cpu: '500m', mem: '1Gi' });
    process.spec.conditions.nodes = 2;
    process.spec.conditions.processespernode = 3;
    expect(jobDemand(process.spec)).toEqual({ cpuMillicores: 3000, memoryBytes: 2 * 1024 ** 3 });
  });

  it('takes nothing for a spec that asks for nothing, and counts 0 nodes as 1', () => {
    const process = makeProcess('p', { cpu: '', mem: '' });
    process.spec.conditions.nodes = 0;
    expect(jobDemand(process.spec)).toEqual({ cpuMillicores: 0, memoryBytes: 0 });
  });
});

describe('admission', () => {
  const job = { cpuMillicores: 1000, memoryBytes: 1024 ** 3 };
  it('admits up to maxConcurrency jobs, offering no limit without resources', () => {
    expect(admission([job], 2, undefined)).toEqual({ admit: true, availableCpu: '', availableMem: '' });
    expect(admission([job, job], 2, undefined)).toEqual({ admit: false });
  });

  it('offers what is left of cpu and memory', () => {
    expect(admission([job], 4, { cpuMillicores: 4000, memoryBytes: 8 * 1024 ** 3 })).toEqual({
      admit: true,
      availableCpu: '3000m',
      availableMem: '7168Mi',
    });
  });

  it('admits nothing once cpu or memory is used up', () => {
    expect(admission([job], 4, { cpuMillicores: 1000 })).toEqual({ admit: false });
    expect(admission([job], 4, { memoryBytes: 1024 ** 3 + 1024 })).toEqual({ admit: false });
  });
});
