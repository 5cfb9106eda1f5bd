import { describe, expect, it } from 'vitest';
import { BackendError } from '@pollinator/backend';
import { kubernetesHandles } from './kubernetes-handle';

describe('kubernetesHandles', () => {
  it('reads back what it creates, copying the data', () => {
    const data = { namespace: 'jobs', uid: 'u-1', nodes: 2, processesPerNode: 3, walltimeSeconds: 60 };
    const handle = kubernetesHandles.create('p', 'pollinator-p-abc', data);
    expect(handle).toEqual({ backend: 'k8s', processId: 'p', id: 'pollinator-p-abc', data });
    expect(handle.data).not.toBe(data);
    expect(kubernetesHandles.read(handle)).toEqual(data);
  });

  it('fills in what an older handle lacks and refuses one without a namespace', () => {
    expect(kubernetesHandles.read({ backend: 'k8s', processId: 'p', id: 'j', data: { namespace: 'jobs' } })).toEqual({
      namespace: 'jobs',
      uid: '',
      nodes: 1,
      processesPerNode: 1,
      walltimeSeconds: 0,
    });
    expect(() => kubernetesHandles.read({ backend: 'k8s', processId: 'p', id: 'j', data: {} })).toThrow(BackendError);
    expect(() => kubernetesHandles.read({ backend: 'k8s', processId: 'p', id: 'j', data: {} })).toThrow('handle of job j has no namespace');
  });
});
