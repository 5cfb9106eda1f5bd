import { describe, expect, it } from 'vitest';
// The kit's Slurm converters, pinned here with the directives this backend has always written.
import { slurmCpusPerTask as cpusPerTask, slurmMemoryPerNode as memoryPerNode, slurmTimeLimit as timeLimit } from '@pollinator/backend';

describe('cpusPerTask (whole cores, rounded up)', () => {
  it.each([
    [10, 1],
    [500, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [2000, 2],
    [2400, 3],
    [10000, 10],
    [0, 0],
    [-5, 0],
  ])('%i m → %i', (millicores, cores) => expect(cpusPerTask(millicores)).toBe(cores));
});

describe('memoryPerNode (Slurm M = MiB, rounded up)', () => {
  const Mi = 1024 * 1024;
  it.each([
    [1000 * Mi, '1000M'],
    [1 * Mi, '1M'],
    [10 * 1024 * Mi, '10240M'],
    [1.5e9, '1431M'],
    [Mi + 1, '2M'],
  ])('%i bytes → %s', (bytes, text) => expect(memoryPerNode(bytes)).toBe(text));
  it('no memory asked → no --mem (never --mem=0, which means the whole node)', () => {
    expect(memoryPerNode(0)).toBeUndefined();
  });
});

describe('timeLimit (HH:MM:SS, hours past 24)', () => {
  it.each([
    [10, '00:00:10'],
    [70, '00:01:10'],
    [3600, '01:00:00'],
    [86400, '24:00:00'],
    [360000, '100:00:00'],
    [59.2, '00:01:00'],
  ])('%i s → %s', (seconds, text) => expect(timeLimit(seconds)).toBe(text));
  it('0 → no limit from the spec', () => expect(timeLimit(0)).toBeUndefined());
});
