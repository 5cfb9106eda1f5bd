/**
 * Where a TCP connection reaches a running Kubernetes job (for a
 * port-forward): the IP of its first running pod (completion index 0 of the
 * Indexed Job, the "first node"), as the API reports it in `status.podIPs` /
 * `status.podIP`. The executor runs in the cluster (or routes to the pod
 * network), so it connects to the pod directly: no Service, no
 * `kubectl port-forward` through the API server. A pod that is not Running
 * has no address to use yet.
 */
import type { V1Pod } from '@kubernetes/client-node';

const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

/** The pod's completion index; pods without one sort last, by name. */
function indexOf(pod: V1Pod): number {
  const text = pod.metadata?.annotations?.[COMPLETION_INDEX] ?? pod.metadata?.labels?.[COMPLETION_INDEX];
  const index = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(index) && index >= 0 ? index : Number.MAX_SAFE_INTEGER;
}

/** The first IP the API reports for the pod (`podIPs[0].ip`, else `podIP`). */
function podAddress(pod: V1Pod): string | undefined {
  const listed = pod.status?.podIPs?.find((entry) => typeof entry.ip === 'string' && entry.ip !== '')?.ip;
  const single = pod.status?.podIP;
  return listed ?? (typeof single === 'string' && single !== '' ? single : undefined);
}

/** The address of the job's first running pod, or undefined while none runs. */
export function jobAddressOfPods(pods: readonly V1Pod[]): string | undefined {
  const running = pods
    .filter((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && podAddress(pod) !== undefined)
    .sort((a, b) => indexOf(a) - indexOf(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return running[0] === undefined ? undefined : podAddress(running[0]);
}
