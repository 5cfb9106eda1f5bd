/** Options of `createKubernetesBackend()`, each with its default and why. */
import type * as KubernetesClient from '@kubernetes/client-node';

export interface KubernetesSharedVolume {
  /**
   * Name of a pre-existing PersistentVolumeClaim in the namespace. It must be
   * mountable by the executor and by every job pod at once: `ReadWriteMany`
   * (NFS, CephFS, EFS, Azure Files, …), or `ReadWriteOnce` when everything runs
   * on one node.
   */
  claimName: string;
  /**
   * Where the same claim is mounted in the executor (its `fsDir`, the
   * original's `EXECUTOR_FS_DIR`). A job mount whose `hostPath` is below this
   * directory is mounted into the pods from the claim with the relative path
   * as `subPath`.
   */
  executorPath: string;
}

export interface KubernetesBackendOptions {
  /**
   * Kubeconfig to use: a file path, or a kubeconfig object. Default: the
   * in-cluster service account when running in a pod, otherwise `KUBECONFIG`
   * (or `~/.kube/config`), as kubectl does.
   */
  kubeconfig?: string | Record<string, unknown>;
  /** Kubeconfig context (default: the current context). */
  context?: string;
  /**
   * Namespace for Jobs. Default: the service account's namespace in-cluster,
   * else the context's namespace, else `default`.
   */
  namespace?: string;
  /** The shared CFS volume; without it jobs with mounts are refused at start. */
  volume?: KubernetesSharedVolume;
  /**
   * Seconds a pod may stay Pending with a reason that will not fix itself
   * (ImagePullBackOff, ErrImagePull, InvalidImageName, CreateContainerConfigError,
   * CreateContainerError, Unschedulable) before the job fails with that reason.
   * Default 120: long enough for a cluster autoscaler to add a node.
   */
  pendingTimeoutSeconds?: number;
  /**
   * `ttlSecondsAfterFinished` of every Job: the safety net that removes
   * finished Jobs the executor could not clean up (it deletes them itself in
   * `cleanup()`). Default 3600, so a restarted executor still finds the final
   * state of jobs that ended while it was down.
   */
  ttlSecondsAfterFinished?: number;
  /** Resource name for GPUs (default `nvidia.com/gpu`). */
  gpuResource?: string;
  /**
   * Node label that selects the GPU model named in the spec (default
   * `nvidia.com/gpu.product`, set by NVIDIA GPU feature discovery; the Go
   * executor used `accelerator`).
   */
  gpuNodeSelectorKey?: string;
  /** Extra node selector for every job pod. */
  nodeSelector?: Record<string, string>;
  /** Tolerations for every job pod (e.g. for tainted GPU nodes). */
  tolerations?: Record<string, unknown>[];
  /** Service account of job pods (default: the namespace's `default`; its token is not mounted). */
  jobServiceAccountName?: string;
  /** Image pull secrets for job pods. */
  imagePullSecrets?: string[];
  /** Pull policy when the spec does not ask for a rebuild (default `IfNotPresent`; a rebuild uses `Always`). */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Set CPU limits equal to the requests (default true, as the spec asks; false avoids CFS throttling). */
  cpuLimits?: boolean;
  /** Grace period of job pods on cancel, in seconds (default 30). */
  terminationGracePeriodSeconds?: number;
  /** Seconds `cancel()` waits for the job's pods to disappear before it gives up with an error (default 120). */
  cancelTimeoutSeconds?: number;
  /** Executor name, recorded as a label on every Job (optional). */
  executorName?: string;
  /** Extra labels on Jobs and pods. */
  labels?: Record<string, string>;
  /**
   * The `@kubernetes/client-node` module, for tests or bundlers; by default it
   * is imported lazily on first use.
   */
  clientModule?: typeof KubernetesClient;
}

/** Defaults applied to every option that has one. */
export const KUBERNETES_DEFAULTS = {
  pendingTimeoutSeconds: 120,
  ttlSecondsAfterFinished: 3600,
  gpuResource: 'nvidia.com/gpu',
  gpuNodeSelectorKey: 'nvidia.com/gpu.product',
  imagePullPolicy: 'IfNotPresent',
  cpuLimits: true,
  terminationGracePeriodSeconds: 30,
  cancelTimeoutSeconds: 120,
} as const;
