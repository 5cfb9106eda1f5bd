import { defineBackendProvider } from '@pollinator/backend';
import { createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';
import { BACKEND_NAME } from './job-manifest';
import { k8sOptionsFromEnv } from './options-from-env';

/** The Kubernetes backend for a host that picks backends by name (the CLI's `--backend k8s`). */
export const k8sBackendProvider = defineBackendProvider<KubernetesBackendOptions, KubernetesBackend>({
  name: BACKEND_NAME,
  create: createKubernetesBackend,
  optionsFromEnv: k8sOptionsFromEnv,
});
