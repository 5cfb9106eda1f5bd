/**
 * `preflightJob()` of the Kubernetes backend (`pollinator plan --check`):
 * could the Job the backend would create for this request run, without
 * creating it?
 *
 * 1. A server-side dry run of the create (`?dryRun=All`): the API server
 *    validates the manifest and runs admission (RBAC, a `count/jobs.batch`
 *    quota, webhooks on Jobs) exactly as for the real create, and stores
 *    nothing. A refusal is answered in the server's own words. Admission of
 *    the pods (pod quotas, LimitRange, PodSecurity) happens only when the Job
 *    controller creates them, which a dry run of the Job does not.
 * 2. The PersistentVolumeClaims the pods mount exist: a create does not check
 *    them, and a pod whose claim is missing stays Pending forever.
 * 3. Whether a node could hold the pods (`node-fit.ts`): only when the
 *    account may list nodes (the Role of docs/kubernetes-rbac.yaml may not);
 *    otherwise the answer says it is unknown. Kubernetes has no start-time
 *    estimate, so there is never an `earliestStart`.
 */
import type { V1Job, V1Node } from '@kubernetes/client-node';
import { BackendError, type JobPreflight } from '@pollinator/backend';
import { BACKEND_NAME } from './job-manifest';
import { describeApiError, statusCode } from './kubernetes-client';
import type { Connection } from './kubernetes-connection';
import { fitPods } from './node-fit';
import { bounded, PREFLIGHT_TIMEOUT_MS } from './preflight';

const refuse = (message: string): JobPreflight => ({ ok: false, message });

/** The dry run's refusal in words, with what to do; undefined when the server could not be asked at all. */
function refusalOf(error: unknown, namespace: string): JobPreflight | undefined {
  const code = statusCode(error);
  if (code === undefined || code >= 500) return undefined;
  const message = describeApiError(error);
  if (code === 403 && /exceeded quota/i.test(message)) {
    return refuse(`Kubernetes refuses the Job: the namespace's ResourceQuota is used up (${message}) — wait for jobs of namespace ${namespace} to end, or ask for a larger quota`);
  }
  if (code === 403) {
    return refuse(`Kubernetes refuses the Job (403 Forbidden): ${message} — bind the executor's account to the Role of docs/kubernetes-rbac.yaml in namespace ${namespace}`);
  }
  if (code === 404) return refuse(`Kubernetes refuses the Job (404): ${message} — create namespace ${namespace} or set POLLINATOR_K8S_NAMESPACE`);
  if (code === 422) return refuse(`Kubernetes refuses the Job as invalid: ${message}`);
  return refuse(`Kubernetes refuses the Job (${code}): ${message}`);
}

/** A claim the pods mount that does not exist or is Lost, as a refusal; what could not be read, as a note. */
async function checkClaims(connection: Connection, manifest: V1Job, timeoutMs: number): Promise<JobPreflight | string | undefined> {
  const { core, namespace } = connection;
  const claims = (manifest.spec?.template.spec?.volumes ?? []).map((volume) => volume.persistentVolumeClaim?.claimName).filter((name): name is string => Boolean(name));
  for (const claimName of new Set(claims)) {
    try {
      const claim = await bounded(core.readNamespacedPersistentVolumeClaim({ name: claimName, namespace }), timeoutMs, 'the API server');
      if (claim.status?.phase === 'Lost') return refuse(`the PersistentVolumeClaim ${claimName} in namespace ${namespace} is Lost (its volume is gone): the pods could not start — recreate the claim`);
    } catch (error) {
      const code = statusCode(error);
      if (code === 404) {
        return refuse(
          `the PersistentVolumeClaim ${claimName} does not exist in namespace ${namespace}: the pods would stay Pending (persistentvolumeclaim "${claimName}" not found) — create it or set POLLINATOR_K8S_PVC`,
        );
      }
      if (code === 403) return `whether the claim ${claimName} exists is unknown (this account may not read claims)`;
      throw error;
    }
  }
  return undefined;
}

/** Whether the nodes could hold the Job's pods: a refusal, or a sentence for the answer. */
async function checkNodes(connection: Connection, manifest: V1Job, timeoutMs: number): Promise<JobPreflight | string> {
  let nodes: V1Node[];
  try {
    nodes = (await bounded(connection.core.listNode(), timeoutMs, 'the API server')).items;
  } catch (error) {
    if (statusCode(error) === 403) {
      return 'whether a node can hold its pods is unknown: this account may not list nodes (a ClusterRole with "list nodes" lets plan --check compare node capacity)';
    }
    throw error;
  }
  const pods = manifest.spec?.parallelism ?? 1;
  const fit = fitPods(nodes, manifest.spec!.template.spec!);
  if (fit.podsThatFit >= pods) {
    return `${fit.fittingNodes} of ${fit.nodes} nodes can hold a pod (${fit.requests} each; by allocatable capacity, pods running there now are not counted, so it may still wait)`;
  }
  const why = [fit.reasons, ...fit.largest].filter(Boolean).join('; ');
  const what = fit.podsThatFit === 0 ? 'no node can hold a pod of the Job' : `the nodes can hold only ${fit.podsThatFit} of its ${pods} pods at once`;
  return refuse(
    `Kubernetes accepts the Job, but ${what}: each pod requests ${fit.requests}; ${fit.nodes} nodes: ${why || 'none'} — the pods would stay Pending (Unschedulable) unless the cluster adds larger nodes: lower conditions (mem, cpu, gpu) or nodes`,
  );
}

/** The preflight answer for `manifest` (which is not created). Throws `BackendError` only when the API server could not be asked. */
export async function preflightKubernetesJob(connection: Connection, manifest: V1Job, timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<JobPreflight> {
  const { batch, namespace } = connection;
  try {
    await bounded(batch.createNamespacedJob({ namespace, body: manifest, dryRun: 'All' }), timeoutMs, 'the API server');
  } catch (error) {
    const refusal = refusalOf(error, namespace);
    if (refusal) return refusal;
    throw new BackendError(BACKEND_NAME, `cannot ask the API server for a dry run of the Job: ${describeApiError(error)}`, { cause: error });
  }
  try {
    const claims = await checkClaims(connection, manifest, timeoutMs);
    if (claims !== undefined && typeof claims !== 'string') return claims;
    const nodes = await checkNodes(connection, manifest, timeoutMs);
    if (typeof nodes !== 'string') return nodes;
    const notes = [claims, nodes].filter(Boolean).join('; ');
    return { ok: true, message: `Kubernetes accepts the Job (server-side dry run in namespace ${namespace}); ${notes}` };
  } catch (error) {
    if (BackendError.isInstance(error)) throw error;
    throw new BackendError(BACKEND_NAME, `cannot finish the preflight of the Job: ${describeApiError(error)}`, { cause: error });
  }
}
