import { describe, expect, it } from 'vitest';
import { BackendError } from '@pollinator/backend';
import * as k8s from './index';

describe('@pollinator/k8s public surface', () => {
  it('exports the factory, the provider and the environment reader, nothing internal', () => {
    expect(Object.keys(k8s).sort()).toEqual(['createK8sBackend', 'createKubernetesBackend', 'k8sBackendProvider', 'k8sOptionsFromEnv', 'kubernetesBackendOptionsFromEnv']);
  });

  it('the provider creates the backend from the options the environment asks for', async () => {
    expect(k8s.k8sBackendProvider.name).toBe('k8s');
    const options = k8s.k8sBackendProvider.optionsFromEnv({ POLLINATOR_K8S_NAMESPACE: 'jobs' });
    expect(options).toEqual({ namespace: 'jobs' });
    const backend = k8s.k8sBackendProvider.create(options);
    expect(backend.name).toBe('k8s');
    await backend.close?.();
  });
});

describe('k8sOptionsFromEnv', () => {
  it('reads the POLLINATOR_K8S_* variables, with the Go executor names as fallbacks', () => {
    expect(
      k8s.k8sOptionsFromEnv({
        EXECUTOR_K8S_NAMESPACE: 'old',
        POLLINATOR_K8S_NAMESPACE: 'jobs',
        EXECUTOR_K8S_PVC: 'cfs',
        EXECUTOR_FS_DIR: '/cfs',
        POLLINATOR_K8S_PENDING_TIMEOUT: '30',
        POLLINATOR_K8S_TTL: '0',
        POLLINATOR_K8S_GPU_NODE_LABEL: 'accelerator',
        POLLINATOR_K8S_JOB_SERVICE_ACCOUNT: 'runner',
        POLLINATOR_K8S_IMAGE_PULL_SECRETS: 'a, b,,',
      }),
    ).toEqual({
      namespace: 'jobs',
      volume: { claimName: 'cfs', executorPath: '/cfs' },
      pendingTimeoutSeconds: 30,
      ttlSecondsAfterFinished: 0,
      gpuNodeSelectorKey: 'accelerator',
      jobServiceAccountName: 'runner',
      imagePullSecrets: ['a', 'b'],
    });
    expect(k8s.k8sOptionsFromEnv({ POLLINATOR_K8S_PVC: 'cfs' })).toEqual({});
    expect(k8s.kubernetesBackendOptionsFromEnv).toBe(k8s.k8sOptionsFromEnv);
  });

  it('refuses a timeout that is not a non-negative number, naming the variable', () => {
    expect(() => k8s.k8sOptionsFromEnv({ POLLINATOR_K8S_TTL: '-1' })).toThrow(BackendError);
    expect(() => k8s.k8sOptionsFromEnv({ POLLINATOR_K8S_PENDING_TIMEOUT: 'soon' })).toThrow(/POLLINATOR_K8S_PENDING_TIMEOUT must be a non-negative number of seconds/);
  });
});
