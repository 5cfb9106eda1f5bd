// @pollinator/k8s: the factory, its options, the provider and the environment reader.
// Everything else (manifests, labels, status rules, log following) is internal.
export { createK8sBackend, createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';
export type { KubernetesBackendOptions, KubernetesSharedVolume } from './kubernetes-backend-options';
export { k8sBackendProvider } from './kubernetes-backend-provider';
// kubernetesBackendOptionsFromEnv: the name packages/cli/src/runtime/executor.ts imports today.
export { k8sOptionsFromEnv, kubernetesBackendOptionsFromEnv } from './options-from-env';
