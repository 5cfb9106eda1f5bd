import { describe, expect, it } from 'vitest';
import { kubernetesCpuQuantity, kubernetesMemoryQuantity } from './kubernetes-resources';
import { parseCpuMillicores, parseMemoryBytes } from './resource-units';
import { slurmCpusPerTask, slurmMemoryPerNode, slurmTimeLimit } from './slurm-resources';

describe('parseCpuMillicores', () => {
  it('reads "<int>m" and nothing else', () => {
    expect(parseCpuMillicores('2500m')).toBe(2500);
    expect(parseCpuMillicores('10m')).toBe(10);
    expect(parseCpuMillicores('0m')).toBe(0);
    for (const bad of ['', '1.5m', '2', '2M', '-5m', 'm', '99999999999999999999m']) {
      expect(parseCpuMillicores(bad), bad).toBeUndefined();
    }
  });
});

describe('parseMemoryBytes', () => {
  it('reads every unit the server accepts, binary and decimal', () => {
    expect(parseMemoryBytes('1000Mi')).toBe(1000 * 2 ** 20);
    expect(parseMemoryBytes('2Gi')).toBe(2 * 2 ** 30);
    expect(parseMemoryBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseMemoryBytes('3Ki')).toBe(3072);
    expect(parseMemoryBytes('1Ti')).toBe(2 ** 40);
    expect(parseMemoryBytes('500M')).toBe(500e6);
    expect(parseMemoryBytes('2GB')).toBe(2e9);
  });

  it('refuses a bare number, an unknown unit and junk', () => {
    for (const bad of ['', '1000', '5Xi', 'Mi', '-1Mi', '1 Gi']) expect(parseMemoryBytes(bad), bad).toBeUndefined();
  });
});

describe('the Slurm converters', () => {
  it('round CPUs up to whole cores, with none for 0', () => {
    expect([0, 10, 1000, 1001, 2400].map(slurmCpusPerTask)).toEqual([0, 1, 1, 2, 3]);
  });

  // Issue #18: spec-builder's copy gave "1049M" for 1000Mi (decimal megabytes); Slurm's M is MiB.
  it('give --mem in MiB, so 1000Mi is 1000M, and nothing for 0', () => {
    expect(slurmMemoryPerNode(parseMemoryBytes('1000Mi')!)).toBe('1000M');
    expect(slurmMemoryPerNode(parseMemoryBytes('10Gi')!)).toBe('10240M');
    expect(slurmMemoryPerNode(1.5e9)).toBe('1431M');
    expect(slurmMemoryPerNode(0)).toBeUndefined();
  });

  it('give --time as HH:MM:SS with hours past 24, and nothing for 0', () => {
    expect(slurmTimeLimit(10)).toBe('00:00:10');
    expect(slurmTimeLimit(70)).toBe('00:01:10');
    expect(slurmTimeLimit(86_400)).toBe('24:00:00');
    expect(slurmTimeLimit(360_000)).toBe('100:00:00');
    expect(slurmTimeLimit(0.5)).toBe('00:00:01');
    expect(slurmTimeLimit(0)).toBeUndefined();
  });
});

describe('the Kubernetes converters', () => {
  it('give quantities Kubernetes shows as the spec asked', () => {
    expect(kubernetesCpuQuantity(2500)).toBe('2500m');
    expect(kubernetesMemoryQuantity(2 ** 30)).toBe('1Gi');
    expect(kubernetesMemoryQuantity(1000 * 2 ** 20)).toBe('1000Mi');
    expect(kubernetesMemoryQuantity(3072)).toBe('3Ki');
    expect(kubernetesMemoryQuantity(1000)).toBe('1000');
  });
});
