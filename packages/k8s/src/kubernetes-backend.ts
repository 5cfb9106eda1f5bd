/**
 * `createKubernetesBackend()`: one Kubernetes Job per ColonyOS process.
 *
 * - start: builds the Job (see `job-manifest.ts`) and creates it; CFS files
 *   reach the pods through the PersistentVolumeClaim the executor shares
 *   with them (the runtime has already staged them there).
 * - status: from a watch-backed cache of the backend's Jobs and pods (direct
 *   reads while the cache is not ready or does not know the Job yet); rules in
 *   `job-status.ts`. A pod stuck Pending past the grace period fails the job
 *   and the Job is deleted.
 * - logs: follow streams of every pod container (`pod-logs.ts`).
 * - cancel / cleanup: delete the Job with Background propagation and wait
 *   until its pods are gone.
 * - reattach: finds the Job again by the process-id label (+ annotation).
 */
import { randomBytes } from 'node:crypto';
import type { BatchV1Api, CoreV1Api, KubeConfig, V1Job, V1Pod } from '@kubernetes/client-node';
import { BackendError, isFinalJobStatus, type Backend, type JobHandle, type JobRequest, type JobStatus, type LogChunk, type LogCursor } from '@pollinator/core';
import {
  ANNOTATION_LAYOUT,
  ANNOTATION_PROCESS_ID,
  BACKEND_NAME,
  LABEL_MANAGED_BY,
  LABEL_PROCESS_ID,
  MANAGED_BY_VALUE,
  buildJobManifest,
  jobName,
  processIdLabel,
  type JobLayout,
} from './job-manifest';
import { deriveJobStatus, toMillis } from './job-status';
import { KUBERNETES_DEFAULTS, type KubernetesBackendOptions } from './kubernetes-backend-options';
import { WatchCache, describeApiError, loadClientModule, loadKubeConfig, openPodLog, resolveNamespace, statusCode } from './kubernetes-client';
import { followJobLogs } from './pod-logs';

interface Connection {
  config: KubeConfig;
  batch: BatchV1Api;
  core: CoreV1Api;
  namespace: string;
  cache: WatchCache;
}

/** What a handle's `data` holds (all JSON). */
interface HandleData {
  namespace: string;
  uid: string;
  nodes: number;
  processesPerNode: number;
  walltimeSeconds: number;
}

export interface KubernetesBackend extends Backend {
  readonly name: 'k8s';
  /** Namespace the backend creates Jobs in (connects on first call). */
  namespace(): Promise<string>;
  /** The Job manifest `start()` would create for this request (nothing is created). */
  manifest(job: JobRequest, name?: string): Promise<V1Job>;
}

function handleData(handle: JobHandle): HandleData {
  const data = handle.data as Partial<HandleData>;
  if (typeof data.namespace !== 'string') throw new BackendError(BACKEND_NAME, `handle of job ${handle.id} has no namespace`);
  return {
    namespace: data.namespace,
    uid: typeof data.uid === 'string' ? data.uid : '',
    nodes: typeof data.nodes === 'number' ? data.nodes : 1,
    processesPerNode: typeof data.processesPerNode === 'number' ? data.processesPerNode : 1,
    walltimeSeconds: typeof data.walltimeSeconds === 'number' ? data.walltimeSeconds : 0,
  };
}

export function createKubernetesBackend(options: KubernetesBackendOptions = {}): KubernetesBackend {
  const pendingTimeoutMs = (options.pendingTimeoutSeconds ?? KUBERNETES_DEFAULTS.pendingTimeoutSeconds) * 1000;
  const cancelTimeoutMs = (options.cancelTimeoutSeconds ?? KUBERNETES_DEFAULTS.cancelTimeoutSeconds) * 1000;
  let connection: Promise<Connection> | undefined;
  const caches = new Map<string, WatchCache>();
  /** Jobs this instance deleted on request: their status is `cancelled`. */
  const cancelled = new Set<string>();
  /** Final states seen, so they survive the Job's deletion. */
  const finals = new Map<string, JobStatus>();
  let closed = false;

  const keyOf = (handle: JobHandle): string => `${handleData(handle).namespace}/${handle.id}`;

  function connect(): Promise<Connection> {
    if (closed) return Promise.reject(new BackendError(BACKEND_NAME, 'the backend is closed'));
    connection ??= (async () => {
      const module = await loadClientModule(options.clientModule);
      const config = loadKubeConfig(module, options);
      const namespace = resolveNamespace(config, options);
      const batch = config.makeApiClient(module.BatchV1Api);
      const core = config.makeApiClient(module.CoreV1Api);
      const cache = new WatchCache(module, config, batch, core, namespace);
      caches.set(namespace, cache);
      void cache.start();
      return { config, batch, core, namespace, cache };
    })();
    connection.catch(() => {
      connection = undefined;
    });
    return connection;
  }

  async function readJob(handle: JobHandle): Promise<{ job: V1Job | undefined; pods: V1Pod[] }> {
    const { batch, core, cache } = await connect();
    const data = handleData(handle);
    const ownedBy = (job: V1Job | undefined) => (pod: V1Pod) =>
      job?.metadata?.uid ? (pod.metadata?.ownerReferences ?? []).some((reference) => reference.uid === job.metadata!.uid) : true;
    const useCache = caches.get(data.namespace) === cache && cache.ready;
    if (useCache) {
      const job = cache.job(handle.id);
      if (job && (!data.uid || job.metadata?.uid === data.uid)) return { job, pods: cache.podsOfJob(handle.id).filter(ownedBy(job)) };
    }
    let job: V1Job | undefined;
    try {
      job = await batch.readNamespacedJob({ name: handle.id, namespace: data.namespace });
    } catch (error) {
      if (statusCode(error) !== 404) throw new BackendError(BACKEND_NAME, `cannot read Job ${handle.id}: ${describeApiError(error)}`, { cause: error });
    }
    if (job && data.uid && job.metadata?.uid !== data.uid) job = undefined; // a different Job with the same name
    const pods = await core.listNamespacedPod({ namespace: data.namespace, labelSelector: `job-name=${handle.id}` });
    return { job, pods: pods.items.filter(ownedBy(job)) };
  }

  async function listJobPods(handle: JobHandle): Promise<V1Pod[]> {
    const { core } = await connect();
    const data = handleData(handle);
    const pods = await core.listNamespacedPod({ namespace: data.namespace, labelSelector: `job-name=${handle.id}` });
    return pods.items.filter((pod) => !data.uid || (pod.metadata?.ownerReferences ?? []).some((reference) => reference.uid === data.uid) || !pod.metadata?.ownerReferences?.length);
  }

  /** Deletes the Job (Background propagation) and waits until its pods are gone (timeoutMs 0: does not wait). */
  async function deleteJob(handle: JobHandle, timeoutMs: number): Promise<void> {
    const { batch, cache } = await connect();
    const data = handleData(handle);
    try {
      await batch.deleteNamespacedJob({ name: handle.id, namespace: data.namespace, propagationPolicy: 'Background' });
    } catch (error) {
      if (statusCode(error) !== 404) throw new BackendError(BACKEND_NAME, `cannot delete Job ${handle.id}: ${describeApiError(error)}`, { cause: error });
    }
    if (timeoutMs === 0) return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pods = await listJobPods(handle);
      if (pods.length === 0) return;
      if (Date.now() > deadline) {
        throw new BackendError(
          BACKEND_NAME,
          `Job ${handle.id} was deleted but ${pods.length} pod(s) still exist after ${Math.round(timeoutMs / 1000)} s: ${pods.map((pod) => pod.metadata?.name).join(', ')}`,
        );
      }
      await cache.nextChange(250);
    }
  }

  async function status(handle: JobHandle): Promise<JobStatus> {
    const key = keyOf(handle);
    const known = finals.get(key);
    if (known) return known;
    if (cancelled.has(key)) return { state: 'cancelled', reason: 'cancelled: the Kubernetes Job was deleted' };
    const data = handleData(handle);
    const { job, pods } = await readJob(handle);
    if (!job) {
      if (cancelled.has(key)) return { state: 'cancelled', reason: 'cancelled: the Kubernetes Job was deleted' };
      const gone: JobStatus = {
        state: 'failed',
        exitCode: null,
        reason: `the Kubernetes Job ${data.namespace}/${handle.id} no longer exists (deleted outside the executor, or removed by ttlSecondsAfterFinished)`,
      };
      finals.set(key, gone);
      return gone;
    }
    const derived = deriveJobStatus(job, pods, { now: Date.now(), pendingTimeoutMs, walltimeSeconds: data.walltimeSeconds });
    if (cancelled.has(key)) return { state: 'cancelled', reason: 'cancelled: the Kubernetes Job was deleted' };
    if (isFinalJobStatus(derived.status)) {
      finals.set(key, derived.status);
      // Bounded memory for a long-running executor: forget the oldest outcomes.
      if (finals.size > 10_000) finals.delete(finals.keys().next().value!);
    }
    if (derived.stop) {
      // A stuck pod: stop the rest of the Job (its running pods' logs still drain as they end).
      void deleteJob(handle, cancelTimeoutMs).catch(() => undefined);
    }
    return derived.status;
  }

  const backend: KubernetesBackend = {
    name: BACKEND_NAME,

    async namespace() {
      return (await connect()).namespace;
    },

    async manifest(job, name) {
      const { namespace } = await connect();
      return buildJobManifest(job, { ...options, namespace, name: name ?? jobName(job.processId, 'xxxxx') });
    },

    async start(job) {
      const { batch, namespace } = await connect();
      const name = jobName(job.processId, randomBytes(4).toString('hex').slice(0, 6));
      const manifest = buildJobManifest(job, { ...options, namespace, name });
      let created: V1Job;
      try {
        created = await batch.createNamespacedJob({ namespace, body: manifest });
      } catch (error) {
        throw new BackendError(BACKEND_NAME, `cannot create Job ${name} for image ${job.image}: ${describeApiError(error)}`, { cause: error });
      }
      const data: HandleData = {
        namespace,
        uid: created.metadata?.uid ?? '',
        nodes: job.resources.nodes,
        processesPerNode: job.resources.processesPerNode,
        walltimeSeconds: job.resources.walltimeSeconds,
      };
      return { backend: BACKEND_NAME, processId: job.processId, id: name, data: { ...data } };
    },

    status,

    logs(handle: JobHandle, from: LogCursor, signal?: AbortSignal): AsyncIterable<LogChunk> {
      const data = handleData(handle);
      const layout: JobLayout = { nodes: data.nodes, processesPerNode: data.processesPerNode };
      return {
        [Symbol.asyncIterator]: () => {
          const iterator = (async function* () {
            const { config, cache } = await connect();
            yield* followJobLogs(
              {
                pods: async () => (await readJob(handle)).pods,
                status: () => status(handle),
                open: (pod, container, streamSignal) => openPodLog(config, data.namespace, pod, container, streamSignal),
                nextChange: (timeoutMs, changeSignal) => cache.nextChange(timeoutMs, changeSignal),
              },
              layout,
              from,
              signal,
            );
          })();
          return iterator;
        },
      };
    },

    async cancel(handle) {
      const key = keyOf(handle);
      if (!finals.has(key)) cancelled.add(key);
      await deleteJob(handle, cancelTimeoutMs);
    },

    async reattach(saved) {
      const { batch, namespace: defaultNamespace } = await connect();
      const namespace = typeof saved.data?.namespace === 'string' ? saved.data.namespace : defaultNamespace;
      let jobs: V1Job[];
      try {
        const list = await batch.listNamespacedJob({
          namespace,
          labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE},${LABEL_PROCESS_ID}=${processIdLabel(saved.processId)}`,
        });
        jobs = list.items.filter((job) => job.metadata?.annotations?.[ANNOTATION_PROCESS_ID] === saved.processId);
      } catch (error) {
        throw new BackendError(BACKEND_NAME, `cannot list Jobs of process ${saved.processId}: ${describeApiError(error)}`, { cause: error });
      }
      if (jobs.length === 0) return undefined;
      const job =
        jobs.find((candidate) => candidate.metadata?.name === saved.id) ??
        jobs.sort((a, b) => (toMillis(b.metadata?.creationTimestamp) ?? 0) - (toMillis(a.metadata?.creationTimestamp) ?? 0))[0]!;
      let layout: JobLayout = { nodes: job.spec?.completions ?? 1, processesPerNode: job.spec?.template.spec?.containers.length ?? 1 };
      try {
        layout = { ...layout, ...(JSON.parse(job.metadata?.annotations?.[ANNOTATION_LAYOUT] ?? '{}') as Partial<JobLayout>) };
      } catch {
        // keep what the spec says
      }
      const data: HandleData = {
        namespace,
        uid: job.metadata?.uid ?? '',
        nodes: layout.nodes,
        processesPerNode: layout.processesPerNode,
        walltimeSeconds: job.spec?.template.spec?.activeDeadlineSeconds ?? 0,
      };
      return { backend: BACKEND_NAME, processId: saved.processId, id: job.metadata!.name!, data: { ...data } };
    },

    async attributes(handle) {
      const data = handleData(handle);
      const { pods } = await readJob(handle);
      const attributes: Record<string, string> = { 'K8S-NAMESPACE': data.namespace, 'K8S-JOB': handle.id };
      const names = pods.map((pod) => pod.metadata?.name).filter(Boolean);
      if (names.length) attributes['K8S-PODS'] = names.join(',');
      const nodes = [...new Set(pods.map((pod) => pod.spec?.nodeName).filter(Boolean))];
      if (nodes.length) attributes.NODES = nodes.join(',');
      return attributes;
    },

    async cleanup(handle) {
      // The job is over: delete it, and let the garbage collector remove its
      // finished pods without holding up the executor (pods of a lost node can
      // stay Terminating until the node comes back).
      await deleteJob(handle, 0);
    },

    async close() {
      closed = true;
      const caches_ = [...caches.values()];
      caches.clear();
      connection = undefined;
      await Promise.all(caches_.map((cache) => cache.stop()));
    },
  };
  return backend;
}

/** Alias. */
export const createK8sBackend = createKubernetesBackend;
