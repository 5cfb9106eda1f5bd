import { describe, expect, it } from 'vitest';
import { BackendError } from '@pollinator/backend';
import { slurmHandles } from './slurm-handle';

describe('slurmHandles', () => {
  const data = { workDir: '/w', outputFile: '/w/output.log', exitCodeFile: '/w/exit-code', submittedAt: 1 };

  it('reads back what it creates; an older handle without submittedAt reads as 0', () => {
    const handle = slurmHandles.create('p', '77', data);
    expect(handle).toEqual({ backend: 'slurm', processId: 'p', id: '77', data });
    expect(slurmHandles.read(handle)).toEqual(data);
    expect(slurmHandles.read({ ...handle, data: { ...data, submittedAt: undefined } }).submittedAt).toBe(0);
  });

  it('keeps the image digest (a string only)', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(slurmHandles.read(slurmHandles.create('p', '77', { ...data, imageDigest: digest })).imageDigest).toBe(digest);
    expect(slurmHandles.read({ backend: 'slurm', processId: 'p', id: '77', data: { ...data, imageDigest: 42 } })).not.toHaveProperty('imageDigest');
  });

  it('refuses a handle without its files, naming it', () => {
    const handle = { backend: 'slurm', processId: 'p', id: '77', data: { workDir: '/w' } };
    expect(() => slurmHandles.read(handle)).toThrow(BackendError);
    expect(() => slurmHandles.read(handle)).toThrow(`Not a Slurm job handle: ${JSON.stringify(handle)}`);
    expect(slurmHandles.tryRead({ ...handle, data: null as unknown as Record<string, unknown> })).toBeUndefined();
  });
});
