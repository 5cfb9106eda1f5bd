import { BackendError, type EnvironmentVariables } from '@pollinator/backend';
import { BACKEND_NAME } from './job-manifest';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';

/**
 * Options from environment variables, for `pollinator executor start --backend k8s`:
 * `POLLINATOR_K8S_NAMESPACE`, `POLLINATOR_K8S_PVC`, `POLLINATOR_K8S_PVC_PATH`,
 * `POLLINATOR_K8S_PENDING_TIMEOUT`, `POLLINATOR_K8S_TTL`, `POLLINATOR_K8S_GPU_NODE_LABEL`,
 * `POLLINATOR_K8S_JOB_SERVICE_ACCOUNT`, `POLLINATOR_K8S_IMAGE_PULL_SECRETS` (comma list).
 * The Go executor's `EXECUTOR_K8S_NAMESPACE`, `EXECUTOR_K8S_PVC` and
 * `EXECUTOR_FS_DIR` are read as fallbacks so an existing deployment keeps working.
 */
export function k8sOptionsFromEnv(env: EnvironmentVariables = process.env): KubernetesBackendOptions {
  const options: KubernetesBackendOptions = {};
  const pick = (...names: string[]): string | undefined => names.map((name) => env[name]).find((value) => value !== undefined && value !== '');
  const namespace = pick('POLLINATOR_K8S_NAMESPACE', 'EXECUTOR_K8S_NAMESPACE');
  if (namespace) options.namespace = namespace;
  const claimName = pick('POLLINATOR_K8S_PVC', 'EXECUTOR_K8S_PVC');
  const executorPath = pick('POLLINATOR_K8S_PVC_PATH', 'EXECUTOR_FS_DIR');
  if (claimName && executorPath) options.volume = { claimName, executorPath };
  const number = (name: string): number | undefined => {
    const value = pick(name);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw new BackendError(BACKEND_NAME, `${name} must be a non-negative number of seconds, got ${JSON.stringify(value)}`);
    return parsed;
  };
  const pending = number('POLLINATOR_K8S_PENDING_TIMEOUT');
  if (pending !== undefined) options.pendingTimeoutSeconds = pending;
  const ttl = number('POLLINATOR_K8S_TTL');
  if (ttl !== undefined) options.ttlSecondsAfterFinished = ttl;
  const gpuLabel = pick('POLLINATOR_K8S_GPU_NODE_LABEL');
  if (gpuLabel) options.gpuNodeSelectorKey = gpuLabel;
  const serviceAccount = pick('POLLINATOR_K8S_JOB_SERVICE_ACCOUNT');
  if (serviceAccount) options.jobServiceAccountName = serviceAccount;
  const secrets = pick('POLLINATOR_K8S_IMAGE_PULL_SECRETS');
  if (secrets) options.imagePullSecrets = secrets.split(',').map((secret) => secret.trim()).filter(Boolean);
  return options;
}

/** The name the CLI has imported since before `k8sOptionsFromEnv`. */
export const kubernetesBackendOptionsFromEnv = k8sOptionsFromEnv;
