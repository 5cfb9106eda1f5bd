/**
 * `preflight()` of the Kubernetes backend: before the executor registers,
 * checks that it can run jobs at all, so a misconfigured executor exits 78
 * instead of taking jobs and failing each:
 *
 * 1. there is a configuration: the `kubeconfig` option, `KUBECONFIG`,
 *    `~/.kube/config` or a pod's service account (without any of them the
 *    client would quietly try http://localhost:8080);
 * 2. the API server answers and lets this account list Jobs in the namespace
 *    (bounded: an address that drops packets would otherwise hang for minutes);
 * 3. the shared volume is configured, its PersistentVolumeClaim exists in the
 *    namespace and is not Lost, and the executor's mount of it exists: every
 *    job's files are staged through it.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BackendError, BackendPreflightError } from '@pollinator/backend';
import { BACKEND_NAME } from './job-manifest';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';
import { describeApiError, statusCode } from './kubernetes-client';
import type { Connection, KubernetesConnection } from './kubernetes-connection';

/** How long each API call of the preflight may take. */
export const PREFLIGHT_TIMEOUT_MS = 15_000;

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const DOCS = 'docs/kubernetes.md';

const fail = (reason: string, fix: string, cause?: unknown): never => {
  throw new BackendPreflightError(BACKEND_NAME, reason, fix, cause === undefined ? undefined : { cause });
};

/** Where the configuration comes from, or undefined when there is none (the client's silent localhost:8080). */
function configurationSource(options: KubernetesBackendOptions, env: NodeJS.ProcessEnv): string | undefined {
  if (options.kubeconfig !== undefined) return typeof options.kubeconfig === 'string' ? options.kubeconfig : 'the kubeconfig option';
  if (env.KUBECONFIG) return `KUBECONFIG=${env.KUBECONFIG}`;
  if (env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) return 'the pod service account';
  const home = env.HOME ?? homedir();
  const file = join(home, '.kube', 'config');
  return existsSync(file) ? file : undefined;
}

/** `work`, or a timeout error after `ms`. */
export async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function connect(connection: KubernetesConnection, source: string): Promise<Connection> {
  try {
    return await connection.connect();
  } catch (error) {
    const reason = BackendError.isInstance(error) ? error.message.replace(/^(\[[^\]]+\]\s*)+/, '') : String(error);
    return fail(`the Kubernetes configuration (${source}) cannot be used: ${reason}`, `Point KUBECONFIG at a valid kubeconfig file for the cluster (${DOCS}).`, error);
  }
}

async function checkApi(connection: Connection, timeoutMs: number): Promise<void> {
  const { batch, namespace, config } = connection;
  const server = config.getCurrentCluster()?.server ?? 'the API server';
  try {
    await bounded(batch.listNamespacedJob({ namespace, limit: 1 }), timeoutMs, server);
  } catch (error) {
    const code = statusCode(error);
    const message = describeApiError(error);
    if (code === 401) return fail(`the Kubernetes API server at ${server} refused the credentials (401): ${message}`, 'Renew the credentials in the kubeconfig (e.g. log in to the cluster again).', error);
    if (code === 403) {
      return fail(
        `this account may not list Jobs in namespace ${namespace} (403): ${message}`,
        `Bind the executor's account to the Role in docs/kubernetes-rbac.yaml in namespace ${namespace} (kubectl apply -n ${namespace} -f docs/kubernetes-rbac.yaml).`,
        error,
      );
    }
    if (code === 404) return fail(`namespace ${namespace} does not exist on ${server}`, `Create it (kubectl create namespace ${namespace}) or set POLLINATOR_K8S_NAMESPACE to the executor's namespace.`, error);
    if (code !== undefined) return fail(`the Kubernetes API server at ${server} answered ${code}: ${message}`, `Check the cluster (kubectl get jobs -n ${namespace}).`, error);
    return fail(
      `cannot reach the Kubernetes API server at ${server}: ${message}`,
      `Check that the cluster is running and that this machine reaches the server address in the kubeconfig (kubectl get jobs -n ${namespace}).`,
      error,
    );
  }
}

async function checkVolume(connection: Connection, options: KubernetesBackendOptions, timeoutMs: number): Promise<void> {
  const { core, namespace } = connection;
  const volume = options.volume;
  if (volume === undefined) {
    return fail(
      'no shared volume is configured: every job reads its files from a PersistentVolumeClaim the executor stages them into',
      `Set POLLINATOR_K8S_PVC to the claim's name and POLLINATOR_K8S_PVC_PATH to where the executor mounts it (${DOCS}).`,
    );
  }
  let phase: string | undefined;
  try {
    const claim = await bounded(core.readNamespacedPersistentVolumeClaim({ name: volume.claimName, namespace }), timeoutMs, 'the API server');
    phase = claim.status?.phase;
  } catch (error) {
    const code = statusCode(error);
    if (code === 404) {
      return fail(
        `the PersistentVolumeClaim ${volume.claimName} does not exist in namespace ${namespace}`,
        `Create it (docs/kubernetes-executor.yaml), or set POLLINATOR_K8S_PVC to an existing claim of namespace ${namespace} (POLLINATOR_K8S_NAMESPACE sets the namespace).`,
        error,
      );
    }
    // An account bound to an older Role may not read claims: that is not a reason to refuse.
    if (code !== 403) return fail(`cannot read the PersistentVolumeClaim ${volume.claimName} in namespace ${namespace}: ${describeApiError(error)}`, `Check the claim (kubectl get pvc -n ${namespace}).`, error);
  }
  if (phase === 'Lost') {
    return fail(`the PersistentVolumeClaim ${volume.claimName} in namespace ${namespace} is Lost (its volume is gone)`, `Recreate the claim (kubectl describe pvc ${volume.claimName} -n ${namespace}).`);
  }
  if (!existsSync(volume.executorPath) || !statSync(volume.executorPath).isDirectory()) {
    return fail(
      `the claim's mount in the executor, ${volume.executorPath}, is not a directory on this machine`,
      `Mount the claim ${volume.claimName} at ${volume.executorPath} in the executor, or set POLLINATOR_K8S_PVC_PATH to where it is mounted (${DOCS}).`,
    );
  }
}

/** Throws `BackendPreflightError` (reason and what to do) at the first check that fails. */
export async function preflightKubernetes(
  connection: KubernetesConnection,
  options: KubernetesBackendOptions,
  settings: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const source = configurationSource(options, settings.env ?? process.env);
  if (source === undefined) {
    fail(
      'no Kubernetes configuration: KUBECONFIG is not set, ~/.kube/config does not exist, and this is not a pod with a service account',
      `Set KUBECONFIG to a kubeconfig file for the cluster, or run the executor in the cluster with the service account of docs/kubernetes-rbac.yaml (${DOCS}).`,
    );
  }
  const timeoutMs = settings.timeoutMs ?? PREFLIGHT_TIMEOUT_MS;
  const connected = await connect(connection, source!);
  await checkApi(connected, timeoutMs);
  await checkVolume(connected, options, timeoutMs);
}
