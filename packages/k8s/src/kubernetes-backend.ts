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
 *   until its pods are gone (`kubernetes-connection.ts`).
 * - reattach: finds the Job again by the process-id label (+ annotation).
 */
import { randomBytes } from 'node:crypto';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import {
  BackendError,
  isFinalJobStatus,
  JobStatusMemo,
  type Backend,
  type JobHandle,
  type JobPreflight,
  type JobRequest,
  type JobStatus,
  type LogChunk,
  type LogCursor,
} from '@pollinator/backend';
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
import { imageDigestOfPods } from './image-digest';
import { preflightKubernetesJob } from './job-preflight';
import { deriveJobStatus, toMillis, type DerivedStatus } from './job-status';
import { KUBERNETES_DEFAULTS, type KubernetesBackendOptions } from './kubernetes-backend-options';
import { DisruptionMemory, withKubernetesCause } from './kubernetes-cause';
import { describeApiError, openPodLog } from './kubernetes-client';
import { KubernetesConnection } from './kubernetes-connection';
import { kubernetesHandles, type KubernetesHandleData } from './kubernetes-handle';
import { jobAddressOfPods } from './pod-address';
import { followJobLogs } from './pod-logs';
import { preflightKubernetes } from './preflight';

export interface KubernetesBackend extends Backend {
  readonly name: 'k8s';
  /** Namespace the backend creates Jobs in (connects on first call). */
  namespace(): Promise<string>;
  /** The Job manifest `start()` would create for this request (nothing is created). */
  manifest(job: JobRequest, name?: string): Promise<V1Job>;
}

const CANCELLED: JobStatus = { state: 'cancelled', reason: 'cancelled: the Kubernetes Job was deleted' };

export function createKubernetesBackend(options: KubernetesBackendOptions = {}): KubernetesBackend {
  return new KubernetesJobsBackend(options);
}

/** Alias. */
export const createK8sBackend = createKubernetesBackend;

class KubernetesJobsBackend implements KubernetesBackend {
  readonly name = BACKEND_NAME;
  readonly #options: KubernetesBackendOptions;
  readonly #pendingTimeoutMs: number;
  readonly #cancelTimeoutMs: number;
  readonly #connection: KubernetesConnection;
  /** Jobs this instance deleted on request: their status is `cancelled`. */
  readonly #cancelled = new Set<string>();
  /** Final states seen, so they survive the Job's deletion (the oldest are forgotten first). */
  readonly #finals = new JobStatusMemo({ maxFinal: 10_000 });
  /** Preemptions and evictions seen on running Jobs' pods, for the cause once those pods are gone. */
  readonly #disruptions = new DisruptionMemory();

  constructor(options: KubernetesBackendOptions) {
    this.#options = options;
    this.#pendingTimeoutMs = (options.pendingTimeoutSeconds ?? KUBERNETES_DEFAULTS.pendingTimeoutSeconds) * 1000;
    this.#cancelTimeoutMs = (options.cancelTimeoutSeconds ?? KUBERNETES_DEFAULTS.cancelTimeoutSeconds) * 1000;
    this.#connection = new KubernetesConnection(options);
  }

  #keyOf(handle: JobHandle): string {
    return `${kubernetesHandles.read(handle).namespace}/${handle.id}`;
  }

  async namespace(): Promise<string> {
    return (await this.#connection.connect()).namespace;
  }

  /** Before the executor registers: a configuration, an API server that answers, the shared volume (preflight.ts). */
  preflight(): Promise<void> {
    return preflightKubernetes(this.#connection, this.#options);
  }

  /**
   * `pollinator plan --check`: a server-side dry run of the Job `start()`
   * would create, its claims, and whether a node could hold its pods
   * (job-preflight.ts). A request the manifest builder refuses is answered
   * `ok: false` with the reason `start()` would give.
   */
  async preflightJob(job: JobRequest): Promise<JobPreflight> {
    const connection = await this.#connection.connect();
    let manifest: V1Job;
    try {
      manifest = buildJobManifest(job, { ...this.#options, namespace: connection.namespace, name: jobName(job.processId, randomBytes(4).toString('hex').slice(0, 6)) });
    } catch (error) {
      if (BackendError.isInstance(error)) return { ok: false, message: error.message };
      throw error;
    }
    return preflightKubernetesJob(connection, manifest);
  }

  async manifest(job: JobRequest, name?: string): Promise<V1Job> {
    const { namespace } = await this.#connection.connect();
    return buildJobManifest(job, { ...this.#options, namespace, name: name ?? jobName(job.processId, 'xxxxx') });
  }

  async start(job: JobRequest): Promise<JobHandle> {
    const { batch, namespace } = await this.#connection.connect();
    const name = jobName(job.processId, randomBytes(4).toString('hex').slice(0, 6));
    const manifest = buildJobManifest(job, { ...this.#options, namespace, name });
    let created: V1Job;
    try {
      created = await batch.createNamespacedJob({ namespace, body: manifest });
    } catch (error) {
      throw new BackendError(BACKEND_NAME, `cannot create Job ${name} for image ${job.image}: ${describeApiError(error)}`, { cause: error });
    }
    return kubernetesHandles.create(job.processId, name, {
      namespace,
      uid: created.metadata?.uid ?? '',
      nodes: job.resources.nodes,
      processesPerNode: job.resources.processesPerNode,
      walltimeSeconds: job.resources.walltimeSeconds,
    });
  }

  async status(handle: JobHandle): Promise<JobStatus> {
    const key = this.#keyOf(handle);
    const known = this.#finals.final(key);
    if (known) return known;
    if (this.#cancelled.has(key)) return CANCELLED;
    const data = kubernetesHandles.read(handle);
    let read = await this.#connection.readJob(handle);
    let derived = this.#derive(handle, read.job, read.pods);
    if (read.fromCache && unexplainedFailure(derived.status)) {
      // The Job and pod watches are separate streams: the Job's Failed can
      // arrive before the pod update that says why (NodeLost, OOMKilled).
      // Before a final status is recorded, read both from the API once.
      read = await this.#connection.readJob(handle, { direct: true });
      derived = this.#derive(handle, read.job, read.pods);
    }
    if (this.#cancelled.has(key)) return CANCELLED;
    if (!read.job) {
      return this.#finals.record(key, {
        state: 'failed',
        exitCode: null,
        reason: `the Kubernetes Job ${data.namespace}/${handle.id} no longer exists (deleted outside the executor, or removed by ttlSecondsAfterFinished)`,
      });
    }
    if (isFinalJobStatus(derived.status)) {
      this.#finals.record(key, derived.status);
      this.#disruptions.forget(key);
    }
    if (derived.stop) {
      // A stuck pod: stop the rest of the Job (its running pods' logs still drain as they end).
      void this.#connection.deleteJob(handle, this.#cancelTimeoutMs).catch(() => undefined);
    }
    return derived.status;
  }

  /** The status with its cause from the Job and its pods (undefined Job: derived as gone by the caller). */
  #derive(handle: JobHandle, job: V1Job | undefined, pods: V1Pod[]): DerivedStatus {
    if (!job) return { status: { state: 'failed', exitCode: null, reason: '' } };
    const key = this.#keyOf(handle);
    const facts = { now: Date.now(), pendingTimeoutMs: this.#pendingTimeoutMs, walltimeSeconds: kubernetesHandles.read(handle).walltimeSeconds };
    const remembered = this.#disruptions.note(key, pods);
    return withKubernetesCause(deriveJobStatus(job, pods, facts), job, pods, { ...facts, ...(remembered ? { remembered } : {}) });
  }

  logs(handle: JobHandle, from: LogCursor, signal?: AbortSignal): AsyncIterable<LogChunk> {
    const data = kubernetesHandles.read(handle);
    const layout: JobLayout = { nodes: data.nodes, processesPerNode: data.processesPerNode };
    const connection = this.#connection;
    const status = (): Promise<JobStatus> => this.status(handle);
    return {
      [Symbol.asyncIterator]: () =>
        (async function* () {
          const { config, cache } = await connection.connect();
          const source = {
            pods: async () => (await connection.readJob(handle)).pods,
            status,
            open: (pod: string, container: string, streamSignal: AbortSignal) => openPodLog(config, data.namespace, pod, container, streamSignal),
            nextChange: (timeoutMs: number, changeSignal: AbortSignal) => cache.nextChange(timeoutMs, changeSignal),
          };
          yield* followJobLogs(source, layout, from, signal);
        })(),
    };
  }

  async cancel(handle: JobHandle): Promise<void> {
    const key = this.#keyOf(handle);
    if (!this.#finals.final(key)) this.#cancelled.add(key);
    await this.#connection.deleteJob(handle, this.#cancelTimeoutMs);
  }

  async reattach(saved: JobHandle): Promise<JobHandle | undefined> {
    const { batch, namespace: defaultNamespace } = await this.#connection.connect();
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
    const job = savedOrNewest(jobs, saved.id);
    if (!job) return undefined;
    return kubernetesHandles.create(saved.processId, job.metadata!.name!, handleDataOf(job, namespace));
  }

  async attributes(handle: JobHandle): Promise<Record<string, string>> {
    const data = kubernetesHandles.read(handle);
    const { pods } = await this.#connection.readJob(handle);
    const attributes: Record<string, string> = { 'K8S-NAMESPACE': data.namespace, 'K8S-JOB': handle.id };
    const names = pods.map((pod) => pod.metadata?.name).filter(Boolean);
    if (names.length) attributes['K8S-PODS'] = names.join(',');
    const nodes = [...new Set(pods.map((pod) => pod.spec?.nodeName).filter(Boolean))];
    if (nodes.length) attributes.NODES = nodes.join(',');
    return attributes;
  }

  /** The IP of the job's first running pod (its pod network address); undefined while none runs. */
  async jobAddress(handle: JobHandle): Promise<string | undefined> {
    const { pods } = await this.#connection.readJob(handle);
    return jobAddressOfPods(pods);
  }

  /** The pods' `imageID` digest (read before `cleanup` deletes the Job and its pods). */
  async imageDigest(handle: JobHandle): Promise<string | undefined> {
    const { pods } = await this.#connection.readJob(handle);
    return imageDigestOfPods(pods);
  }

  async cleanup(handle: JobHandle): Promise<void> {
    // The job is over: delete it, and let the garbage collector remove its
    // finished pods without holding up the executor (pods of a lost node can
    // stay Terminating until the node comes back).
    await this.#connection.deleteJob(handle, 0);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }
}

/** A failed Job whose pods, as read, do not say why (no exit code, no cause beyond "failed"). */
function unexplainedFailure(status: JobStatus): boolean {
  return status.state === 'failed' && status.exitCode === null && (status.cause === undefined || status.cause.kind === 'failed');
}

/** The Job named in the saved handle, else the newest of the process's Jobs. */
function savedOrNewest(jobs: V1Job[], savedName: string): V1Job | undefined {
  return (
    jobs.find((candidate) => candidate.metadata?.name === savedName) ??
    jobs.sort((a, b) => (toMillis(b.metadata?.creationTimestamp) ?? 0) - (toMillis(a.metadata?.creationTimestamp) ?? 0))[0]
  );
}

/** A found Job's handle data: its layout from the annotation, else from its spec. */
function handleDataOf(job: V1Job, namespace: string): KubernetesHandleData {
  let layout: JobLayout = { nodes: job.spec?.completions ?? 1, processesPerNode: job.spec?.template.spec?.containers.length ?? 1 };
  try {
    layout = { ...layout, ...(JSON.parse(job.metadata?.annotations?.[ANNOTATION_LAYOUT] ?? '{}') as Partial<JobLayout>) };
  } catch {
    // keep what the spec says
  }
  return {
    namespace,
    uid: job.metadata?.uid ?? '',
    nodes: layout.nodes,
    processesPerNode: layout.processesPerNode,
    walltimeSeconds: job.spec?.template.spec?.activeDeadlineSeconds ?? 0,
  };
}
