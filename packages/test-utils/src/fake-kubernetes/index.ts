/**
 * `startFakeKubernetes()`: a loopback Kubernetes API server for tests of the
 * Kubernetes backend, with a toy Job controller and kubelet that really run
 * each container's command on this machine.
 *
 * What it honours: namespaces, nodes (read-only), pods (+ `log` with `follow`,
 * `limitBytes`, `tailLines`), secrets, config maps, PVCs, services, batch/v1
 * Jobs; create / get / list / watch (with `resourceVersion` resume, 410 Gone
 * after `compact()`, `timeoutSeconds`) / delete (propagation Background,
 * Foreground, Orphan — Orphan is the Job default, as on a real server) /
 * deletecollection / merge patch / replace; `?dryRun=All` on every write
 * (all checks run, the would-be object is answered, nothing is stored); label and field selectors; Status
 * errors (404, 409, 410, 415, 422). Bodies are validated against the upstream
 * OpenAPI schema (`kubernetes-models`) plus the semantic rules in
 * `validation.ts`. Jobs: parallelism / completions / Indexed completion
 * (JOB_COMPLETION_INDEX, hostnames), backoffLimit, activeDeadlineSeconds (Job
 * and pod), ttlSecondsAfterFinished. Scheduling: node selectors, GPU / CPU /
 * memory capacity, missing PVCs. Optional RBAC: requests authorised against
 * the rules of a Role (403 Forbidden otherwise). ResourceQuota admission on
 * creates through the API (`count/jobs.batch`, pods, cpu and memory requests
 * and limits; `quota.ts`).
 *
 * What it cannot check (a real cluster is needed — the Kubernetes backend's
 * tests run the same suite against one when KUBECONFIG is set): images are
 * never pulled (containers run on the host, no isolation; paths under each
 * mountPath are rewritten to the host directory in the command, arguments,
 * env values and working dir), authentication/TLS, admission (LimitRange,
 * PodSecurity), protobuf, server-side apply, CrashLoopBackOff,
 * Events, image entrypoints (a container needs a `command`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer, type PolicyRule, type RecordedRequest } from './api-server';
import { FakeCluster, type FakeNode, type ImagePullFailureRule, type PodMatcher } from './cluster';
import { ObjectStore, type KubeObject } from './store';

export type { FakeNode, ImagePullFailureRule, PodMatcher } from './cluster';
export type { KubeObject } from './store';
export type { PolicyRule, RecordedRequest } from './api-server';
export { parseQuantity, validateManifest, validateObject, type ValidationCause } from './validation';

export interface FakeKubernetesOptions {
  /** Namespaces that exist from the start (default `['default']`). */
  namespaces?: string[];
  /**
   * PersistentVolumeClaims that exist from the start, each backed by a host
   * directory: `{ namespace/claim or claim: hostDir }` (a bare claim name is
   * created in every namespace of `namespaces`). Claims created through the
   * API get a fresh directory under the work root.
   */
  volumes?: Record<string, string>;
  /** Nodes (default: two plain nodes, `fake-node-0` and `fake-node-1`). */
  nodes?: FakeNode[];
  /** Milliseconds a scheduled pod spends in ContainerCreating (default 50). */
  podStartDelayMs?: number;
  /** Upper bound on graceful termination in ms (default 2000). */
  maxGracePeriodMs?: number;
  /** Context namespace written to the kubeconfig (default: the first namespace). */
  contextNamespace?: string;
  /**
   * Authorise every request against these RBAC rules (e.g. the `rules` of a
   * Role manifest), as the service account `user`; refused requests get 403
   * Forbidden and are listed in `forbidden`. Default: everything allowed.
   */
  rbac?: { rules: PolicyRule[]; user?: string };
}

export interface FakeKubernetesSimulation {
  /** Pulls of matching images fail: ErrImagePull, then ImagePullBackOff. */
  imagePullFailure(rule: ImagePullFailureRule | string | RegExp): void;
  /** Matching pods (default: all new pods) stay Pending with PodScheduled=False, reason Unschedulable. */
  unschedulable(options?: { match?: PodMatcher; message?: string }): void;
  /** The node stops reporting: its pods are marked Failed (reason NodeLost) and their processes killed. */
  nodeLoss(nodeName: string): void;
  /**
   * The OOM killer stops the containers of running matching pods (default: all): SIGKILL, then
   * `terminated: { exitCode: 137, reason: 'OOMKilled' }` as the kubelet reports it. Returns how many.
   */
  oomKill(match?: PodMatcher): number;
  /**
   * The scheduler preempts running matching pods (default: all): condition `DisruptionTarget=True`
   * with `reason` (default `PreemptionByScheduler`), then a graceful delete. Returns how many.
   */
  preempt(match?: PodMatcher, reason?: string): number;
  /** Adds a node (e.g. with GPU labels) and retries scheduling of pending pods. */
  addNode(node: FakeNode): void;
  /** Ends every open pod-log follow stream (a dropped connection), leaving the containers running. */
  dropLogStreams(): void;
  /** Ends every open watch (as an API server restart does). */
  dropWatches(): void;
  /** Forgets the watch history: resuming watches get 410 Gone and must re-list. */
  compactWatchHistory(): void;
  /** Removes every rule above (lost nodes stay lost) and retries scheduling. */
  clear(): void;
}

export interface FakeKubernetes {
  /** Base URL of the API server (`http://127.0.0.1:PORT`). */
  url: string;
  /** A kubeconfig for it (cluster `fake`, any token), also written to `kubeconfigPath`. */
  kubeconfig: Record<string, unknown>;
  kubeconfigPath: string;
  /** Host directory behind a claim (`claim` or `namespace/claim`). */
  volumePath(claim: string, namespace?: string): string | undefined;
  simulate: FakeKubernetesSimulation;
  /** Current objects (copies) of a resource, optionally in one namespace. */
  list(resource: 'pods' | 'jobs' | 'nodes' | 'namespaces' | 'persistentvolumeclaims' | 'secrets' | 'configmaps' | 'services' | 'resourcequotas', namespace?: string): KubeObject[];
  /** Every request received, in order (method, path, query, parsed body). */
  requests: RecordedRequest[];
  /** Requests refused by the `rbac` rules. */
  forbidden: RecordedRequest[];
  /** Stops the server, kills every container process, removes the work directory. */
  close(): Promise<void>;
}

export async function startFakeKubernetes(options: FakeKubernetesOptions = {}): Promise<FakeKubernetes> {
  const namespaces = options.namespaces ?? ['default'];
  const workRoot = mkdtempSync(join(tmpdir(), 'pollinator-fake-k8s-'));
  const store = new ObjectStore();
  const claimDirectories = new Map<string, string>();
  for (const [key, directory] of Object.entries(options.volumes ?? {})) {
    const targets = key.includes('/') ? [key] : namespaces.map((namespace) => `${namespace}/${key}`);
    for (const target of targets) claimDirectories.set(target, directory);
  }
  const claimDirectory = (namespace: string, claim: string): string | undefined => {
    const key = `${namespace}/${claim}`;
    if (!store.get('persistentvolumeclaims', namespace, claim)) return undefined;
    let directory = claimDirectories.get(key);
    if (!directory) {
      directory = join(workRoot, 'volumes', namespace, claim);
      mkdirSync(directory, { recursive: true });
      claimDirectories.set(key, directory);
    }
    return directory;
  };

  const hooks = {
    logStreams: new Set<ServerResponse>(),
    watchStreams: new Set<ServerResponse>(),
    requests: [] as RecordedRequest[],
    forbidden: [] as RecordedRequest[],
    ...(options.rbac ? { rbac: { rules: options.rbac.rules, user: options.rbac.user ?? 'system:serviceaccount:default:fake' } } : {}),
  };
  const apiServerUrl = new URL('http://127.0.0.1:0');
  const cluster = new FakeCluster(store, {
    nodes: options.nodes ?? [{ name: 'fake-node-0' }, { name: 'fake-node-1' }],
    podStartDelayMs: options.podStartDelayMs ?? 50,
    maxGracePeriodMs: options.maxGracePeriodMs ?? 2000,
    workRoot,
    apiServerUrl,
    claimDirectory,
  });
  for (const namespace of namespaces) {
    store.insert('namespaces', { metadata: { name: namespace }, status: { phase: 'Active' } });
    store.insert('configmaps', {
      metadata: { name: 'kube-root-ca.crt', namespace },
      data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n' },
    });
  }
  for (const key of claimDirectories.keys()) {
    const [namespace, claim] = key.split('/') as [string, string];
    if (!store.get('namespaces', undefined, namespace)) continue;
    store.insert('persistentvolumeclaims', {
      metadata: { name: claim, namespace },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '10Gi' } } },
      status: { phase: 'Bound', accessModes: ['ReadWriteMany'] },
    });
  }

  const server = createApiServer(store, cluster, hooks);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  apiServerUrl.port = String(port);
  const url = `http://127.0.0.1:${port}`;
  const contextNamespace = options.contextNamespace ?? namespaces[0] ?? 'default';
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node 1.x refuses plain http unless TLS verification is (pointlessly) switched off.
    clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user: { token: 'fake-token' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: contextNamespace } }],
    'current-context': 'fake',
    preferences: {},
  };
  const kubeconfigPath = join(workRoot, 'kubeconfig');
  writeFileSync(kubeconfigPath, JSON.stringify(kubeconfig, null, 2));

  const simulate: FakeKubernetesSimulation = {
    imagePullFailure(rule) {
      cluster.imagePullFailures.push(typeof rule === 'string' || rule instanceof RegExp ? { image: rule } : rule);
    },
    unschedulable({ match, message } = {}) {
      cluster.unschedulableRules.push({
        match: match ?? (() => true),
        message: message ?? '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
      });
      cluster.rescheduleAll();
    },
    oomKill(match) {
      return cluster.oomKill(match ?? (() => true));
    },
    preempt(match, reason = 'PreemptionByScheduler') {
      const message = reason === 'PreemptionByScheduler' ? 'default-scheduler: preempting to accommodate a higher priority pod' : 'Eviction API: evicting';
      return cluster.preempt(match ?? (() => true), reason, message);
    },
    nodeLoss(nodeName) {
      cluster.loseNode(nodeName);
    },
    addNode(node) {
      cluster.registerNode(node);
      cluster.rescheduleAll();
    },
    dropLogStreams() {
      for (const response of [...hooks.logStreams]) response.end();
    },
    dropWatches() {
      for (const response of [...hooks.watchStreams]) response.end();
    },
    compactWatchHistory() {
      store.compact();
    },
    clear() {
      cluster.imagePullFailures.length = 0;
      cluster.unschedulableRules.length = 0;
      cluster.rescheduleAll();
    },
  };

  return {
    url,
    kubeconfig,
    kubeconfigPath,
    volumePath: (claim, namespace = contextNamespace) => claimDirectory(namespace, claim),
    simulate,
    list: (resource, namespace) => store.list(resource, namespace).map((object) => structuredClone(object)),
    requests: hooks.requests,
    forbidden: hooks.forbidden,
    async close() {
      cluster.close();
      for (const response of [...hooks.logStreams, ...hooks.watchStreams]) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(workRoot, { recursive: true, force: true });
    },
  };
}
