export { createK8sBackend, createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';
export {
  KUBERNETES_DEFAULTS,
  kubernetesBackendOptionsFromEnv,
  type KubernetesBackendOptions,
  type KubernetesSharedVolume,
} from './kubernetes-backend-options';
export {
  ANNOTATION_LAYOUT,
  ANNOTATION_PROCESS_ID,
  BACKEND_NAME,
  LABEL_EXECUTOR,
  LABEL_MANAGED_BY,
  LABEL_PROCESS_ID,
  buildJobManifest,
  jobName,
  jobScript,
  memoryQuantity,
  processIdLabel,
  type JobLayout,
} from './job-manifest';
export { deriveJobStatus, STUCK_WAITING_REASONS, type DeriveOptions, type DerivedStatus } from './job-status';
