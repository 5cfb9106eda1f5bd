/**
 * One backend instance's connection to the API server, made on first use:
 * the typed Job and pod API clients, the namespace, and a watch cache per
 * namespace. Reads a handle's Job and pods (from the cache when it is ready
 * and knows the Job, else from the API) and deletes a Job.
 */
import type { BatchV1Api, CoreV1Api, KubeConfig, V1Job, V1Pod } from '@kubernetes/client-node';
import { BackendError, waitUntilGone, type JobHandle } from '@pollinator/backend';
import { BACKEND_NAME } from './job-manifest';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';
import { WatchCache, describeApiError, loadClientModule, loadKubeConfig, resolveNamespace, statusCode } from './kubernetes-client';
import { kubernetesHandles } from './kubernetes-handle';

export interface Connection {
  config: KubeConfig;
  batch: BatchV1Api;
  core: CoreV1Api;
  namespace: string;
  cache: WatchCache;
}

/** A pod belongs to the Job with this uid (any pod, while the Job's uid is not known). */
function ownedBy(uid: string | undefined): (pod: V1Pod) => boolean {
  return (pod) => !uid || (pod.metadata?.ownerReferences ?? []).some((reference) => reference.uid === uid);
}

export class KubernetesConnection {
  #connection: Promise<Connection> | undefined;
  readonly #caches = new Map<string, WatchCache>();
  #closed = false;

  constructor(private readonly options: KubernetesBackendOptions) {}

  connect(): Promise<Connection> {
    if (this.#closed) return Promise.reject(new BackendError(BACKEND_NAME, 'the backend is closed'));
    const connection = (this.#connection ??= this.#open());
    connection.catch(() => {
      this.#connection = undefined;
    });
    return connection;
  }

  async #open(): Promise<Connection> {
    const module = await loadClientModule(this.options.clientModule);
    const config = loadKubeConfig(module, this.options);
    const namespace = resolveNamespace(config, this.options);
    const batch = config.makeApiClient(module.BatchV1Api);
    const core = config.makeApiClient(module.CoreV1Api);
    const cache = new WatchCache(module, config, batch, core, namespace);
    this.#caches.set(namespace, cache);
    void cache.start();
    return { config, batch, core, namespace, cache };
  }

  /**
   * The handle's Job (undefined when it is gone or is another Job of that
   * name) and its pods: from the watch cache when it is ready and knows the
   * Job (`fromCache` true), else — or with `direct` — from the API.
   */
  async readJob(handle: JobHandle, options: { direct?: boolean } = {}): Promise<{ job: V1Job | undefined; pods: V1Pod[]; fromCache?: boolean }> {
    const { batch, core, cache } = await this.connect();
    const data = kubernetesHandles.read(handle);
    if (!options.direct && this.#caches.get(data.namespace) === cache && cache.ready) {
      const job = cache.job(handle.id);
      if (job && (!data.uid || job.metadata?.uid === data.uid)) return { job, pods: cache.podsOfJob(handle.id).filter(ownedBy(job.metadata?.uid)), fromCache: true };
    }
    let job: V1Job | undefined;
    try {
      job = await batch.readNamespacedJob({ name: handle.id, namespace: data.namespace });
    } catch (error) {
      if (statusCode(error) !== 404) throw new BackendError(BACKEND_NAME, `cannot read Job ${handle.id}: ${describeApiError(error)}`, { cause: error });
    }
    if (job && data.uid && job.metadata?.uid !== data.uid) job = undefined; // a different Job with the same name
    const pods = await core.listNamespacedPod({ namespace: data.namespace, labelSelector: `job-name=${handle.id}` });
    return { job, pods: pods.items.filter(ownedBy(job?.metadata?.uid)) };
  }

  /** The pods of the handle's Job, straight from the API (pods without owner references count: they are being orphaned). */
  async listJobPods(handle: JobHandle): Promise<V1Pod[]> {
    const { core } = await this.connect();
    const data = kubernetesHandles.read(handle);
    const pods = await core.listNamespacedPod({ namespace: data.namespace, labelSelector: `job-name=${handle.id}` });
    return pods.items.filter((pod) => ownedBy(data.uid)(pod) || !pod.metadata?.ownerReferences?.length);
  }

  /** Deletes the Job (Background propagation) and waits until its pods are gone (timeoutMs 0: does not wait). */
  async deleteJob(handle: JobHandle, timeoutMs: number): Promise<void> {
    const { batch, cache } = await this.connect();
    const data = kubernetesHandles.read(handle);
    try {
      await batch.deleteNamespacedJob({ name: handle.id, namespace: data.namespace, propagationPolicy: 'Background' });
    } catch (error) {
      if (statusCode(error) !== 404) throw new BackendError(BACKEND_NAME, `cannot delete Job ${handle.id}: ${describeApiError(error)}`, { cause: error });
    }
    if (timeoutMs === 0) return;
    await waitUntilGone({
      remaining: async () => {
        const pods = await this.listJobPods(handle);
        return pods.length === 0 ? undefined : `${pods.length} pod(s) still exist after ${Math.round(timeoutMs / 1000)} s: ${pods.map((pod) => pod.metadata?.name).join(', ')}`;
      },
      timeoutMs,
      pause: (ms) => cache.nextChange(ms),
      timeoutError: (remaining) => new BackendError(BACKEND_NAME, `Job ${handle.id} was deleted but ${remaining}`),
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const caches = [...this.#caches.values()];
    this.#caches.clear();
    this.#connection = undefined;
    await Promise.all(caches.map((cache) => cache.stop()));
  }
}
