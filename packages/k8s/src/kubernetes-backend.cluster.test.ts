/**
 * The shared backend conformance suite against a real cluster: runs when
 * KUBECONFIG is set, and is skipped otherwise (the skip and its reason show in
 * the test output). The suite's mounted directory must be visible to the pods,
 * so it also needs a PersistentVolumeClaim whose storage this machine sees at
 * a local path:
 *
 *   KUBECONFIG=~/.kube/config \
 *   POLLINATOR_TEST_K8S_NAMESPACE=pollinator-test \
 *   POLLINATOR_TEST_K8S_PVC=pollinator-cfs \
 *   POLLINATOR_TEST_K8S_PVC_PATH=/mnt/nfs/pollinator-cfs \
 *   pnpm vitest run --project k8s kubernetes-backend.cluster
 *
 * (kind: an `extraMounts` host directory behind a hostPath PersistentVolume;
 * k3s/minikube on this machine: a hostPath PV on a local directory; a shared
 * cluster: an NFS export mounted here and used by an NFS PV.) The image is
 * `busybox` unless POLLINATOR_TEST_K8S_IMAGE says otherwise; the missing-image
 * case really pulls from the registry.
 */
import { testBackend } from '@pollinator/backend/test';
import { createKubernetesBackend } from './kubernetes-backend';

const kubeconfig = process.env.KUBECONFIG;
const claimName = process.env.POLLINATOR_TEST_K8S_PVC;
const executorPath = process.env.POLLINATOR_TEST_K8S_PVC_PATH;

const skip = !kubeconfig
  ? 'KUBECONFIG is not set: no real cluster to run against'
  : !claimName || !executorPath
    ? 'KUBECONFIG is set but POLLINATOR_TEST_K8S_PVC / POLLINATOR_TEST_K8S_PVC_PATH (a claim whose storage is mounted here) are not'
    : false;

if (skip) {
  // Make the skip visible in the run's output, not only as "skipped" counts.
  console.warn(`[k8s] real-cluster conformance suite skipped: ${skip}`);
}

testBackend(
  'k8s (real cluster from KUBECONFIG)',
  () =>
    createKubernetesBackend({
      ...(process.env.POLLINATOR_TEST_K8S_NAMESPACE ? { namespace: process.env.POLLINATOR_TEST_K8S_NAMESPACE } : {}),
      volume: { claimName: claimName ?? '', executorPath: executorPath ?? '' },
      // Real image pulls take a while; a missing image is reported after this grace.
      pendingTimeoutSeconds: 30,
    }),
  {
    skip,
    ...(executorPath ? { baseDir: executorPath } : {}),
    ...(process.env.POLLINATOR_TEST_K8S_IMAGE ? { image: process.env.POLLINATOR_TEST_K8S_IMAGE } : {}),
    containers: true,
    timeLimitSeconds: 5,
    timeLimitGraceSeconds: 30,
    jobTimeoutSeconds: 120,
    cancelTimeoutSeconds: 60,
  },
);
