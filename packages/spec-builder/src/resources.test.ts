import { slurmCpusPerTask, slurmMemoryPerNode, slurmTimeLimit } from '@pollinator/backend';
import { describe, expect, it } from 'vitest';
import { memoryToBytes, parseCpuMillicores, validateCpu, validateMemory, validateWalltime } from './resources';

// Vectors from executors.md §1.4–1.6 (the Go executors' parsers, run). What a
// valid value becomes in Slurm is the backends' one converter
// (`@pollinator/backend`), applied to the number this package validated.
describe('cpu', () => {
  it.each([
    ['10m', 1],
    ['500m', 1],
    ['999m', 1],
    ['1000m', 1],
    ['1001m', 2],
    ['2000m', 2],
    ['2400m', 3],
    ['10000m', 10],
  ])('%s → --cpus-per-task=%i', (cpu, cores) => {
    expect(validateCpu(cpu)).toBeUndefined();
    expect(slurmCpusPerTask(parseCpuMillicores(cpu) ?? Number.NaN)).toBe(cores);
  });

  it.each([
    ['1m', /shorter than 3/],
    ['0m', /shorter than 3/],
    ['00m', /more than 0m/],
    ['-500m', /negative/],
    ['2000', /bare number.*"2000000m"/],
    ['2', /"2000m"/],
    ['0.5', /"500m"/],
    ['2000M', /lowercase "m"/],
    ['1.5m', /whole number/],
    ['', /not a millicore/],
    [' 500m', /not a millicore/],
    ['abcm', /not a millicore/],
    ['100000001m', /more than 100000000m/],
    ['99999999999999999999m', /more than 100000000m/],
  ])('rejects %j', (cpu, message) => {
    expect(validateCpu(cpu)).toMatch(message);
  });
});

describe('memory', () => {
  it.each([
    ['1Mi', '1M', 1048576],
    ['100Mi', '100M', 104857600],
    ['1000Mi', '1000M', 1048576000],
    ['15000Mi', '15000M', 15728640000],
    ['1Gi', '1024M', 1073741824],
    ['10Gi', '10240M', 10737418240],
    ['30Gi', '30720M', 32212254720],
  ])('%s → --mem=%s (%i bytes)', (mem, slurm, bytes) => {
    expect(validateMemory(mem)).toBeUndefined();
    expect(memoryToBytes(mem)).toBe(bytes);
    expect(slurmMemoryPerNode(bytes)).toBe(slurm);
  });

  it('gives Slurm the mebibytes the project asked for (Slurm\'s M is MiB): 1000Mi is 1000M, not 1049M', () => {
    expect(slurmMemoryPerNode(memoryToBytes('1000Mi') ?? 0)).toBe('1000M');
  });

  it.each([
    ['0Gi', /--mem=0/],
    ['1.5Gi', /whole numbers.*1536Mi/],
    ['0.5Gi', /whole numbers/],
    ['1000', /unit is required.*"1000Mi"/],
    ['1G', /"G" is not understood/],
    ['512Ki', /"Ki" is not understood/],
    ['1000Mib', /"Mib" is not understood/],
    ['Mi', /not a memory value/],
    ['-1Gi', /negative/],
    ['xMi', /not a memory value/],
    ['1048577Gi', /more than 1048576Gi/],
  ])('rejects %j', (mem, message) => {
    expect(validateMemory(mem)).toMatch(message);
  });
});

describe('walltime', () => {
  it.each([
    [10, '00:00:10'],
    [70, '00:01:10'],
    [3600, '01:00:00'],
    [86400, '24:00:00'],
    [360000, '100:00:00'],
  ])('%i s → --time=%s', (seconds, time) => {
    expect(validateWalltime(seconds)).toBeUndefined();
    expect(slurmTimeLimit(seconds)).toBe(time);
  });

  it('rejects 0, negative and fractional walltimes', () => {
    expect(validateWalltime(0)).toMatch(/at least 1/);
    expect(validateWalltime(-5)).toMatch(/at least 1/);
    expect(validateWalltime(1.5)).toMatch(/whole number/);
  });
});
