/**
 * The connection to the API server: `@kubernetes/client-node` loaded lazily
 * (it is heavy, and only this backend needs it), the kubeconfig resolved the
 * way kubectl does, typed Job/Pod calls, a watch-backed cache of the
 * backend's own Jobs and pods (list + watch with resourceVersion, restarted
 * with back-off when it breaks), and raw pod-log streams.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import type * as KubernetesClient from '@kubernetes/client-node';
import type { BatchV1Api, CoreV1Api, Informer, KubeConfig, ObjectCache, V1Job, V1Pod } from '@kubernetes/client-node';
import { BackendError, backoffDelay } from '@pollinator/backend';
import { BACKEND_NAME, LABEL_MANAGED_BY, MANAGED_BY_VALUE } from './job-manifest';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';

type ClientModule = typeof KubernetesClient;

/** Restarting a failed watch: after 0.5 s, doubling up to 10 s (back to 0.5 s once it is healthy again). */
const INFORMER_BACKOFF = { initialDelayMs: 500, maxDelayMs: 10_000 };

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** An API error's HTTP status (client-node's ApiException has `code`). */
export function statusCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown; statusCode?: unknown } | undefined)?.code ?? (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** One line describing an API error: the Status message when there is one. */
export function describeApiError(error: unknown): string {
  const body = (error as { body?: unknown } | undefined)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      // not JSON
    }
  }
  if (body && typeof body === 'object' && 'message' in body) return String((body).message);
  return error instanceof Error ? error.message : String(error);
}

export async function loadClientModule(injected?: ClientModule): Promise<ClientModule> {
  if (injected) return injected;
  try {
    return await import('@kubernetes/client-node');
  } catch (error) {
    throw new BackendError(BACKEND_NAME, `cannot load @kubernetes/client-node (install version 1.4; 2.x needs Node 22): ${(error as Error).message}`, { cause: error });
  }
}

export function loadKubeConfig(module: ClientModule, options: KubernetesBackendOptions): KubeConfig {
  const config = new module.KubeConfig();
  try {
    if (typeof options.kubeconfig === 'string') config.loadFromFile(options.kubeconfig);
    else if (options.kubeconfig) config.loadFromString(JSON.stringify(options.kubeconfig));
    else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_NAMESPACE) && !process.env.KUBECONFIG) config.loadFromCluster();
    else config.loadFromDefault();
  } catch (error) {
    throw new BackendError(BACKEND_NAME, `cannot load the Kubernetes configuration: ${(error as Error).message}`, { cause: error });
  }
  if (options.context) config.setCurrentContext(options.context);
  if (!config.getCurrentCluster()) {
    throw new BackendError(BACKEND_NAME, 'no Kubernetes cluster configured: run inside a cluster, set KUBECONFIG, or pass the kubeconfig option');
  }
  return config;
}

export function resolveNamespace(config: KubeConfig, options: KubernetesBackendOptions): string {
  if (options.namespace) return options.namespace;
  const context = config.getContextObject(config.getCurrentContext());
  if (context?.namespace) return context.namespace;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE)) return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
  return 'default';
}

type Listener = () => void;

/** List + watch of the backend's Jobs and pods in one namespace. */
export class WatchCache {
  private jobs?: Informer<V1Job> & ObjectCache<V1Job>;
  private pods?: Informer<V1Pod> & ObjectCache<V1Pod>;
  private readonly listeners = new Set<Listener>();
  private synced = false;
  private starting?: Promise<void>;
  private stopped = false;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly module: ClientModule,
    private readonly config: KubeConfig,
    private readonly batch: BatchV1Api,
    private readonly core: CoreV1Api,
    private readonly namespace: string,
  ) {}

  /** True once the initial lists are in and the watches run. */
  get ready(): boolean {
    return this.synced;
  }

  start(): Promise<void> {
    this.starting ??= this.doStart().catch(() => {
      // Status falls back to direct reads while the cache is not ready.
      this.synced = false;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const selector = `${LABEL_MANAGED_BY}=${MANAGED_BY_VALUE}`;
    const namespace = this.namespace;
    this.jobs = this.module.makeInformer<V1Job>(
      this.config,
      `/apis/batch/v1/namespaces/${namespace}/jobs`,
      () => this.batch.listNamespacedJob({ namespace, labelSelector: selector }),
      selector,
    );
    this.pods = this.module.makeInformer<V1Pod>(
      this.config,
      `/api/v1/namespaces/${namespace}/pods`,
      () => this.core.listNamespacedPod({ namespace, labelSelector: selector }),
      selector,
    );
    const informers = [this.jobs, this.pods] as (Informer<V1Job | V1Pod> & { latestResourceVersion?(): string })[];
    const healthy = new Map(informers.map((informer) => [informer, false]));
    const settle = (informer: (typeof informers)[number]): void => {
      // A successful list leaves a resourceVersion; a failed one leaves none.
      healthy.set(informer, Boolean(informer.latestResourceVersion?.()));
      this.synced = [...healthy.values()].every(Boolean);
      this.notify();
    };
    for (const informer of informers) {
      for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, () => this.notify());
      let restarts = 0;
      informer.on('error', () => {
        // The informer stops on errors; until it is back, status reads the API directly.
        healthy.set(informer, false);
        this.synced = false;
        if (this.stopped) return;
        const timer = setTimeout(() => {
          this.restartTimers.delete(timer);
          if (this.stopped) return;
          informer.start().then(
            () => settle(informer),
            () => undefined,
          );
        }, backoffDelay(restarts, INFORMER_BACKOFF));
        this.restartTimers.add(timer);
        restarts += 1;
        this.notify();
      });
      informer.on('connect', () => {
        if (healthy.get(informer)) restarts = 0;
      });
    }
    await Promise.all(informers.map((informer) => informer.start().then(() => settle(informer))));
  }

  job(name: string): V1Job | undefined {
    return this.synced ? this.jobs?.get(name, this.namespace) : undefined;
  }

  podsOfJob(name: string): V1Pod[] {
    if (!this.synced || !this.pods) return [];
    return this.pods.list(this.namespace).filter((pod) => pod.metadata?.labels?.['job-name'] === name || pod.metadata?.labels?.['batch.kubernetes.io/job-name'] === name);
  }

  /** Resolves on the next change of any watched object, or after `timeoutMs`. */
  nextChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.listeners.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    for (const informer of [this.jobs, this.pods]) await informer?.stop().catch(() => undefined);
    this.notify();
  }
}

/** Opens `GET …/pods/<pod>/log?container=…&follow=true`; resolves with the response stream. */
export async function openPodLog(
  config: KubeConfig,
  namespace: string,
  pod: string,
  container: string,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster');
  const url = new URL(`${cluster.server.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`);
  url.searchParams.set('container', container);
  url.searchParams.set('follow', 'true');
  const options: RequestOptions & Record<string, unknown> = { headers: {} };
  await config.applyToHTTPSOptions(options);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { ...options, method: 'GET', signal }, (response) => {
      if (response.statusCode === 200) return resolve(response);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let message = text;
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
          // plain text
        }
        reject(Object.assign(new Error(message || `HTTP ${response.statusCode}`), { code: response.statusCode }));
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
