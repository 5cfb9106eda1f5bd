/**
 * The fake cluster's controllers: a scheduler (node selectors, GPU capacity,
 * missing claims, simulated Unschedulable), a kubelet driver (image pull
 * simulation, container start, pod phases, pod `activeDeadlineSeconds`,
 * graceful deletion), a Job controller (parallelism/completions, Indexed
 * completion, backoffLimit, Job `activeDeadlineSeconds`,
 * `ttlSecondsAfterFinished`) and the garbage collector (Background and
 * Foreground propagation, orphaning). Controllers react to store events, as
 * the real ones react to watches.
 *
 * Longer than ~500 lines on purpose: the four controllers share one event loop
 * over the store and hand objects to each other within a tick; split apart,
 * each would need the others' private state through an interface wider than
 * the code it saves.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerLog, signalContainer, startContainer, type KubeletContext, type RunningContainer } from './kubelet';
import { clone, nowIso, type KubeObject, type ObjectStore, type StoreEvent } from './store';
import { parseQuantity } from './validation';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are untyped JSON here. */

export interface FakeNode {
  name: string;
  labels?: Record<string, string>;
  /** `nvidia.com/gpu` capacity (default 0). */
  gpus?: number;
  /** CPU cores (default 64). */
  cpu?: number;
  /** Memory in bytes (default 256 GiB). */
  memoryBytes?: number;
}

/** A rule that matches pods (by any field) for a simulated failure. */
export type PodMatcher = (pod: KubeObject) => boolean;

export interface ImagePullFailureRule {
  /** The image (exact string, RegExp) or any predicate on the image name. */
  image: string | RegExp | ((image: string) => boolean);
  /** `ErrImagePull` first, then `ImagePullBackOff` (default), or stay at `ErrImagePull`. */
  reason?: 'ImagePullBackOff' | 'ErrImagePull';
  message?: string;
}

export interface ClusterOptions {
  nodes: FakeNode[];
  /** Milliseconds a scheduled pod spends in ContainerCreating before its containers start. */
  podStartDelayMs: number;
  /** Cap on graceful termination (ms); the pod's terminationGracePeriodSeconds is used when shorter. */
  maxGracePeriodMs: number;
  workRoot: string;
  apiServerUrl: URL;
  claimDirectory(namespace: string, claimName: string): string | undefined;
}

interface PodRuntime {
  containers: Map<string, RunningContainer>;
  logs: Map<string, ContainerLog>;
  timers: NodeJS.Timeout[];
  /** Set when the node was lost: the kubelet no longer reports. */
  lost: boolean;
  terminating: boolean;
  /** Containers the OOM killer stopped (`simulate.oomKill`): they terminate with reason OOMKilled. */
  oomKilled?: Set<string>;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

function isTerminal(pod: KubeObject): boolean {
  return TERMINAL.has(pod.status?.phase);
}

function condition(type: string, status: string, reason?: string, message?: string): Record<string, string> {
  const time = nowIso();
  return { type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}), lastProbeTime: time, lastTransitionTime: time };
}

function compressIndexes(indexes: number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i += 1) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j += 1;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j;
  }
  return parts.join(',');
}

export class FakeCluster {
  readonly runtimes = new Map<string, PodRuntime>();
  readonly imagePullFailures: ImagePullFailureRule[] = [];
  readonly unschedulableRules: { match: PodMatcher; message: string }[] = [];
  readonly lostNodes = new Set<string>();
  private readonly jobTimers = new Map<string, NodeJS.Timeout[]>();
  private readonly pendingReconcile = new Set<string>();
  private readonly unsubscribe: () => void;
  private nextNode = 0;
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly options: ClusterOptions,
  ) {
    for (const node of options.nodes) this.registerNode(node);
    this.unsubscribe = store.subscribe((event) => this.onEvent(event));
  }

  private get kubeletContext(): KubeletContext {
    return {
      store: this.store,
      claimDirectory: (namespace, claim) => this.options.claimDirectory(namespace, claim),
      podDirectory: (pod) => {
        const directory = join(this.options.workRoot, 'pods', pod.metadata.namespace ?? '', pod.metadata.name);
        mkdirSync(directory, { recursive: true });
        return directory;
      },
      apiServerUrl: this.options.apiServerUrl,
    };
  }

  registerNode(node: FakeNode): void {
    const cpu = node.cpu ?? 64;
    const memory = node.memoryBytes ?? 256 * 2 ** 30;
    const capacity: Record<string, string> = { cpu: String(cpu), memory: String(memory), pods: '110' };
    if (node.gpus) capacity['nvidia.com/gpu'] = String(node.gpus);
    this.store.insert('nodes', {
      metadata: { name: node.name, labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', ...(node.labels ?? {}) } },
      spec: {},
      status: { capacity, allocatable: capacity, conditions: [condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')] },
    });
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const timers of this.jobTimers.values()) timers.forEach(clearTimeout);
    for (const runtime of this.runtimes.values()) {
      runtime.timers.forEach(clearTimeout);
      for (const container of runtime.containers.values()) signalContainer(container, 'SIGKILL');
      for (const log of runtime.logs.values()) log.end();
    }
  }

  logOf(pod: KubeObject, container: string): ContainerLog | undefined {
    return this.runtimes.get(pod.metadata.uid!)?.logs.get(container);
  }

  private onEvent(event: StoreEvent): void {
    if (this.closed) return;
    const object = event.object;
    if (event.resource === 'jobs') {
      if (event.type === 'DELETED') this.onJobDeleted(object);
      else this.scheduleReconcile(object.metadata.namespace!, object.metadata.name);
    }
    if (event.resource === 'pods') {
      if (event.type === 'ADDED') setImmediate(() => this.schedulePod(object.metadata.namespace!, object.metadata.name));
      if (event.type === 'MODIFIED' && object.metadata.deletionTimestamp) setImmediate(() => this.terminatePod(object.metadata.namespace!, object.metadata.name));
      if (event.type === 'DELETED') this.onPodDeleted(object);
      const owner = object.metadata.ownerReferences?.find((reference) => reference.kind === 'Job');
      if (owner) this.scheduleReconcile(object.metadata.namespace!, owner.name);
    }
  }

  // ---------------------------------------------------------------- scheduler

  /** Retries scheduling of every unscheduled pod (after a rule or node change). */
  rescheduleAll(): void {
    for (const pod of this.store.list('pods')) {
      if (!pod.spec?.nodeName && !pod.metadata.deletionTimestamp) this.schedulePod(pod.metadata.namespace!, pod.metadata.name);
    }
  }

  private unschedulableReason(pod: KubeObject): string | undefined {
    for (const rule of this.unschedulableRules) if (rule.match(pod)) return rule.message;
    for (const volume of pod.spec?.volumes ?? []) {
      if (volume.persistentVolumeClaim && !this.options.claimDirectory(pod.metadata.namespace!, volume.persistentVolumeClaim.claimName))
        return `0/${this.options.nodes.length} nodes are available: persistentvolumeclaim "${volume.persistentVolumeClaim.claimName}" not found.`;
    }
    const selector: Record<string, string> = pod.spec?.nodeSelector ?? {};
    const gpus = (pod.spec?.containers ?? []).reduce((sum: number, container: any) => sum + parseQuantity(container.resources?.limits?.['nvidia.com/gpu'] ?? 0), 0);
    const cpu = (pod.spec?.containers ?? []).reduce((sum: number, container: any) => sum + parseQuantity(container.resources?.requests?.cpu ?? 0), 0);
    const memory = (pod.spec?.containers ?? []).reduce((sum: number, container: any) => sum + parseQuantity(container.resources?.requests?.memory ?? 0), 0);
    const reasons = new Map<string, number>();
    const note = (reason: string): void => void reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    const nodes = this.store.list('nodes');
    for (const node of nodes) {
      if (this.lostNodes.has(node.metadata.name)) {
        note("node(s) had untolerated taint {node.kubernetes.io/unreachable: }");
        continue;
      }
      const labels = node.metadata.labels ?? {};
      if (!Object.entries(selector).every(([key, value]) => labels[key] === value)) {
        note("node(s) didn't match Pod's node affinity/selector");
        continue;
      }
      const allocatable = node.status?.allocatable ?? {};
      if (gpus > parseQuantity(allocatable['nvidia.com/gpu'] ?? 0)) {
        note('Insufficient nvidia.com/gpu');
        continue;
      }
      if (cpu > parseQuantity(allocatable.cpu ?? 0)) {
        note('Insufficient cpu');
        continue;
      }
      if (memory > parseQuantity(allocatable.memory ?? 0)) {
        note('Insufficient memory');
        continue;
      }
      return undefined;
    }
    const detail = [...reasons].map(([reason, count]) => `${count} ${reason}`).join(', ');
    return `0/${nodes.length} nodes are available: ${detail}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
  }

  private pickNode(pod: KubeObject): string {
    const selector: Record<string, string> = pod.spec?.nodeSelector ?? {};
    const candidates = this.store
      .list('nodes')
      .filter((node) => !this.lostNodes.has(node.metadata.name))
      .filter((node) => Object.entries(selector).every(([key, value]) => node.metadata.labels?.[key] === value));
    const node = candidates[this.nextNode++ % candidates.length]!;
    return node.metadata.name;
  }

  private schedulePod(namespace: string, name: string): void {
    const pod = this.store.get('pods', namespace, name);
    if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp || this.closed) return;
    const reason = this.unschedulableReason(pod);
    if (reason) {
      const current = (pod.status?.conditions ?? []).find((entry: any) => entry.type === 'PodScheduled');
      if (current?.status === 'False' && current.message === reason) return;
      this.store.update('pods', namespace, name, (object) => {
        object.status = { phase: 'Pending', qosClass: object.status?.qosClass, conditions: [condition('PodScheduled', 'False', 'Unschedulable', reason)] };
      });
      return;
    }
    const nodeName = this.pickNode(pod);
    const updated = this.store.update('pods', namespace, name, (object) => {
      object.spec.nodeName = nodeName;
      object.status = {
        phase: 'Pending',
        hostIP: '10.0.0.1',
        conditions: [condition('PodScheduled', 'True')],
        containerStatuses: (object.spec.containers ?? []).map((container: any) => ({
          name: container.name,
          image: container.image,
          imageID: '',
          ready: false,
          restartCount: 0,
          started: false,
          state: { waiting: { reason: 'ContainerCreating' } },
        })),
      };
    })!;
    this.startPod(updated);
  }

  // ------------------------------------------------------------------ kubelet

  private imagePullFailure(image: string): ImagePullFailureRule | undefined {
    return this.imagePullFailures.find((rule) =>
      typeof rule.image === 'string' ? rule.image === image : rule.image instanceof RegExp ? rule.image.test(image) : rule.image(image),
    );
  }

  private setWaiting(pod: KubeObject, containerName: string, reason: string, message: string): void {
    this.store.update('pods', pod.metadata.namespace, pod.metadata.name, (object) => {
      for (const status of object.status?.containerStatuses ?? [])
        if (status.name === containerName) status.state = { waiting: { reason, message } };
    });
  }

  private startPod(pod: KubeObject): void {
    const runtime: PodRuntime = { containers: new Map(), logs: new Map(), timers: [], lost: false, terminating: false };
    this.runtimes.set(pod.metadata.uid!, runtime);
    const containers: any[] = pod.spec?.containers ?? [];
    // Image pulls.
    for (const container of containers) {
      const failure = this.imagePullFailure(container.image);
      if (!failure) continue;
      const message =
        failure.message ??
        `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/${container.image}": failed to resolve reference "docker.io/${container.image}": not found`;
      this.setWaiting(pod, container.name, 'ErrImagePull', message);
      if ((failure.reason ?? 'ImagePullBackOff') === 'ImagePullBackOff') {
        runtime.timers.push(
          setTimeout(() => {
            if (this.store.get('pods', pod.metadata.namespace, pod.metadata.name))
              this.setWaiting(pod, container.name, 'ImagePullBackOff', `Back-off pulling image "${container.image}"`);
          }, Math.max(50, this.options.podStartDelayMs)),
        );
      }
      return;
    }
    runtime.timers.push(setTimeout(() => this.runContainers(pod.metadata.namespace!, pod.metadata.name), this.options.podStartDelayMs));
  }

  private runContainers(namespace: string, name: string): void {
    const pod = this.store.get('pods', namespace, name);
    const runtime = pod && this.runtimes.get(pod.metadata.uid!);
    if (!pod || !runtime || pod.metadata.deletionTimestamp || this.closed) return;
    const context = this.kubeletContext;
    const containers: any[] = pod.spec?.containers ?? [];
    // Configuration errors are found before anything starts.
    for (const container of containers) {
      try {
        this.checkConfig(pod, container, context);
      } catch (error) {
        this.setWaiting(pod, container.name, 'CreateContainerConfigError', (error as Error).message);
        return;
      }
    }
    const startedAt = nowIso();
    for (const container of containers) {
      const log = new ContainerLog();
      runtime.logs.set(container.name, log);
      try {
        const running = startContainer(pod, container, context, log);
        runtime.containers.set(container.name, running);
        void running.exited.then((result) => {
          // Let the pipes deliver their last bytes before the log ends.
          setImmediate(() => this.onContainerExit(namespace, name, pod.metadata.uid!, container.name, result.exitCode, startedAt));
        });
      } catch (error) {
        log.append(Buffer.from(`${(error as Error).message}\n`));
        setImmediate(() => this.onContainerExit(namespace, name, pod.metadata.uid!, container.name, 128, startedAt, 'StartError', (error as Error).message));
      }
    }
    this.store.update('pods', namespace, name, (object) => {
      object.status.phase = 'Running';
      object.status.startTime = startedAt;
      // The fake's containers are processes on this machine, so the pod's address is one of its
      // loopback addresses (all of 127/8 reaches it): a job listening on all interfaces is reachable
      // there, as a real pod is at its IP. Both fields, as the API server reports them.
      const podIP = `127.1.0.${(Number(object.metadata.resourceVersion) % 250) + 2}`;
      object.status.podIP = podIP;
      object.status.podIPs = [{ ip: podIP }];
      object.status.conditions = [condition('PodScheduled', 'True'), condition('Initialized', 'True'), condition('ContainersReady', 'True'), condition('Ready', 'True')];
      for (const status of object.status.containerStatuses ?? []) {
        if (runtime.containers.has(status.name)) {
          status.state = { running: { startedAt } };
          // As a kubelet reports the pulled image (the fake's digest: sha256 of the reference).
          status.imageID = fakeImageId(status.image);
          status.ready = true;
          status.started = true;
        }
      }
    });
    const deadline = pod.spec?.activeDeadlineSeconds;
    if (typeof deadline === 'number' && deadline > 0) {
      runtime.timers.push(setTimeout(() => this.deadlineExceeded(namespace, name, pod.metadata.uid!), deadline * 1000));
    }
  }

  private checkConfig(pod: KubeObject, container: any, context: KubeletContext): void {
    for (const variable of container.env ?? []) {
      const reference = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
      if (!reference || reference.optional) continue;
      const resource = variable.valueFrom.secretKeyRef ? 'secrets' : 'configmaps';
      const object = context.store.get(resource, pod.metadata.namespace, reference.name);
      if (!object) throw new Error(`${resource === 'secrets' ? 'secret' : 'configmap'} "${reference.name}" not found`);
      if (object.data?.[reference.key] === undefined)
        throw new Error(`couldn't find key ${reference.key} in ${resource === 'secrets' ? 'Secret' : 'ConfigMap'} ${pod.metadata.namespace}/${reference.name}`);
    }
  }

  private deadlineExceeded(namespace: string, name: string, uid: string): void {
    const pod = this.store.get('pods', namespace, name);
    const runtime = this.runtimes.get(uid);
    if (!pod || pod.metadata.uid !== uid || !runtime || isTerminal(pod)) return;
    runtime.terminating = true;
    for (const container of runtime.containers.values()) signalContainer(container, 'SIGKILL');
    this.store.update('pods', namespace, name, (object) => {
      object.status.phase = 'Failed';
      object.status.reason = 'DeadlineExceeded';
      object.status.message = 'Pod was active on the node longer than the specified deadline';
    });
  }

  private onContainerExit(
    namespace: string,
    name: string,
    uid: string,
    containerName: string,
    exitCode: number,
    startedAt: string,
    reason?: string,
    message?: string,
  ): void {
    const runtime = this.runtimes.get(uid);
    if (!runtime || runtime.lost) return;
    runtime.logs.get(containerName)?.end();
    runtime.containers.delete(containerName);
    const pod = this.store.get('pods', namespace, name);
    if (!pod || pod.metadata.uid !== uid) return;
    const updated = this.store.update('pods', namespace, name, (object) => {
      for (const status of object.status?.containerStatuses ?? []) {
        if (status.name !== containerName) continue;
        status.ready = false;
        status.started = false;
        status.state = {
          terminated: {
            exitCode,
            reason: reason ?? (runtime.oomKilled?.has(containerName) ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error'),
            ...(message ? { message } : {}),
            startedAt,
            finishedAt: nowIso(),
            containerID: `fake://${uid}/${containerName}`,
          },
        };
      }
      const statuses: any[] = object.status?.containerStatuses ?? [];
      const allDone = statuses.every((status) => status.state?.terminated);
      if (allDone && !TERMINAL.has(object.status.phase)) {
        object.status.phase = statuses.every((status) => status.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
        object.status.conditions = (object.status.conditions ?? []).map((entry: any) =>
          entry.type === 'Ready' || entry.type === 'ContainersReady' ? { ...entry, status: 'False', reason: 'PodCompleted' } : entry,
        );
      }
    });
    if (updated && runtime.terminating && runtime.containers.size === 0 && updated.metadata.deletionTimestamp) {
      this.finishPodDeletion(updated);
    }
  }

  /** Graceful deletion: SIGTERM, SIGKILL after the grace period, then the object goes away. */
  private terminatePod(namespace: string, name: string): void {
    const pod = this.store.get('pods', namespace, name);
    if (!pod) return;
    const runtime = this.runtimes.get(pod.metadata.uid!);
    if (!runtime || runtime.containers.size === 0 || runtime.lost) {
      // Nothing runs (pending, finished, or on a lost node): the object goes right away.
      if (runtime) runtime.timers.forEach(clearTimeout);
      for (const log of runtime?.logs.values() ?? []) log.end();
      this.store.remove('pods', namespace, name);
      return;
    }
    if (runtime.terminating) {
      // Already terminating: a second delete with grace 0 kills at once.
      if (pod.metadata.deletionGracePeriodSeconds === 0) for (const container of runtime.containers.values()) signalContainer(container, 'SIGKILL');
      return;
    }
    runtime.terminating = true;
    const graceMs = Math.min(this.options.maxGracePeriodMs, (pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000);
    for (const container of runtime.containers.values()) signalContainer(container, graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
    runtime.timers.push(
      setTimeout(() => {
        for (const container of runtime.containers.values()) signalContainer(container, 'SIGKILL');
      }, graceMs),
    );
  }

  private finishPodDeletion(pod: KubeObject): void {
    const runtime = this.runtimes.get(pod.metadata.uid!);
    runtime?.timers.forEach(clearTimeout);
    setTimeout(() => this.store.remove('pods', pod.metadata.namespace, pod.metadata.name), 10);
  }

  private onPodDeleted(pod: KubeObject): void {
    const runtime = this.runtimes.get(pod.metadata.uid!);
    if (!runtime) return;
    runtime.timers.forEach(clearTimeout);
    for (const container of runtime.containers.values()) signalContainer(container, 'SIGKILL');
    for (const log of runtime.logs.values()) log.end();
    // Keep the runtime for a while so a late log request of a deleted pod still 404s cleanly.
    setTimeout(() => this.runtimes.delete(pod.metadata.uid!), 1000).unref();
    // A pod that disappears while not finished counts as failed for its Job.
    const owner = pod.metadata.ownerReferences?.find((reference) => reference.kind === 'Job');
    if (owner && !isTerminal(pod)) {
      const job = this.store.get('jobs', pod.metadata.namespace, owner.name);
      if (job && job.metadata.uid === owner.uid && !this.jobFinished(job)) {
        this.store.update('jobs', pod.metadata.namespace, owner.name, (object) => {
          object.metadata.annotations = {
            ...(object.metadata.annotations ?? {}),
            'fake.pollinator.dev/deleted-unfinished-pods': String(Number(object.metadata.annotations?.['fake.pollinator.dev/deleted-unfinished-pods'] ?? 0) + 1),
          };
        });
      }
    }
  }

  /**
   * The kernel's OOM killer in the memory cgroup of each running matching
   * pod: its containers get SIGKILL, and the kubelet reports them as
   * `terminated: { exitCode: 137, reason: 'OOMKilled' }` (the pod then fails
   * as for any non-zero exit). Returns how many containers were killed.
   */
  oomKill(match: PodMatcher): number {
    let killed = 0;
    for (const pod of this.store.list('pods')) {
      const runtime = this.runtimes.get(pod.metadata.uid!);
      if (!runtime || runtime.lost || isTerminal(pod) || !match(pod)) continue;
      runtime.oomKilled ??= new Set();
      for (const [name, container] of runtime.containers) {
        runtime.oomKilled.add(name);
        signalContainer(container, 'SIGKILL');
        killed += 1;
      }
    }
    return killed;
  }

  /**
   * Preemption as the scheduler does it (Kubernetes ≥ 1.26): each running
   * matching pod gets the condition `DisruptionTarget=True` (reason
   * `PreemptionByScheduler`; `EvictionByEvictionAPI` for a drain), then is
   * deleted gracefully (SIGTERM, SIGKILL after its grace period). Returns how
   * many pods.
   */
  preempt(match: PodMatcher, reason: string, message: string): number {
    let preempted = 0;
    for (const pod of this.store.list('pods')) {
      const runtime = this.runtimes.get(pod.metadata.uid!);
      if (!runtime || runtime.lost || isTerminal(pod) || pod.metadata.deletionTimestamp || !match(pod)) continue;
      this.store.update('pods', pod.metadata.namespace, pod.metadata.name, (object) => {
        object.status.conditions = [...(object.status.conditions ?? []).filter((entry: any) => entry.type !== 'DisruptionTarget'), condition('DisruptionTarget', 'True', reason, message)];
      });
      this.deletePod(pod.metadata.namespace!, pod.metadata.name);
      preempted += 1;
    }
    return preempted;
  }

  /** Node loss: the node stops reporting; its pods are marked Failed (NodeLost) and their processes killed. */
  loseNode(nodeName: string): void {
    this.lostNodes.add(nodeName);
    this.store.update('nodes', undefined, nodeName, (object) => {
      object.spec.taints = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: nowIso() }];
      object.status.conditions = [condition('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.')];
    });
    for (const pod of this.store.list('pods', undefined, undefined, `spec.nodeName=${nodeName}`)) {
      if (isTerminal(pod)) continue;
      const runtime = this.runtimes.get(pod.metadata.uid!);
      if (runtime) {
        runtime.lost = true;
        runtime.timers.forEach(clearTimeout);
        for (const container of runtime.containers.values()) signalContainer(container, 'SIGKILL');
        for (const log of runtime.logs.values()) log.end();
      }
      this.store.update('pods', pod.metadata.namespace, pod.metadata.name, (object) => {
        object.status.phase = 'Failed';
        object.status.reason = 'NodeLost';
        object.status.message = `Node ${nodeName} which was running pod ${pod.metadata.name} is unresponsive`;
        object.status.conditions = [
          ...(object.status.conditions ?? []).filter((entry: any) => entry.type !== 'Ready'),
          condition('Ready', 'False', 'NodeLost'),
          condition('DisruptionTarget', 'True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint'),
        ];
      });
    }
  }

  // ----------------------------------------------------------- Job controller

  private jobFinished(job: KubeObject): boolean {
    return (job.status?.conditions ?? []).some((entry: any) => (entry.type === 'Complete' || entry.type === 'Failed') && entry.status === 'True');
  }

  private scheduleReconcile(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    if (this.pendingReconcile.has(key)) return;
    this.pendingReconcile.add(key);
    setImmediate(() => {
      this.pendingReconcile.delete(key);
      if (!this.closed) this.reconcileJob(namespace, name);
    });
  }

  private jobPods(job: KubeObject): KubeObject[] {
    return this.store
      .list('pods', job.metadata.namespace)
      .filter((pod) => pod.metadata.ownerReferences?.some((reference) => reference.uid === job.metadata.uid));
  }

  private addJobTimer(job: KubeObject, ms: number, callback: () => void): void {
    const timers = this.jobTimers.get(job.metadata.uid!) ?? [];
    timers.push(setTimeout(callback, ms));
    this.jobTimers.set(job.metadata.uid!, timers);
  }

  private finishJob(job: KubeObject, type: 'Complete' | 'Failed', reason?: string, message?: string): void {
    const namespace = job.metadata.namespace!;
    this.store.update('jobs', namespace, job.metadata.name, (object) => {
      object.status.conditions = [...(object.status.conditions ?? []), condition(type, 'True', reason, message)];
      object.status.active = 0;
      object.status.ready = 0;
      if (type === 'Complete') object.status.completionTime = nowIso();
    });
    if (type === 'Failed') {
      for (const pod of this.jobPods(job)) {
        if (!isTerminal(pod) && !pod.metadata.deletionTimestamp) this.deletePod(namespace, pod.metadata.name);
      }
    }
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (typeof ttl === 'number') {
      this.addJobTimer(job, ttl * 1000, () => {
        const current = this.store.get('jobs', namespace, job.metadata.name);
        if (current && current.metadata.uid === job.metadata.uid) this.deleteJob(namespace, job.metadata.name, 'Background');
      });
    }
  }

  private reconcileJob(namespace: string, name: string): void {
    const job = this.store.get('jobs', namespace, name);
    if (!job || job.metadata.deletionTimestamp && !job.metadata.finalizers?.includes('foregroundDeletion')) return;
    if (job.metadata.deletionTimestamp) {
      // Foreground deletion: the Job goes once its pods are gone.
      if (this.jobPods(job).length === 0) this.store.remove('jobs', namespace, name);
      return;
    }
    if (this.jobFinished(job)) return;
    const spec = job.spec;
    const completions: number = spec.completions ?? 1;
    const parallelism: number = spec.parallelism ?? 1;
    const indexed = spec.completionMode === 'Indexed';
    const pods = this.jobPods(job);
    const active = pods.filter((pod) => !isTerminal(pod) && !pod.metadata.deletionTimestamp);
    const succeededPods = pods.filter((pod) => pod.status?.phase === 'Succeeded');
    const failedCount =
      pods.filter((pod) => pod.status?.phase === 'Failed').length +
      Number(job.metadata.annotations?.['fake.pollinator.dev/deleted-unfinished-pods'] ?? 0);
    const succeededIndexes = succeededPods.map((pod) => Number(pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] ?? -1));
    const succeeded = indexed ? new Set(succeededIndexes).size : succeededPods.length;

    if (!job.status?.startTime) {
      this.store.update('jobs', namespace, name, (object) => {
        object.status = { ...(object.status ?? {}), startTime: nowIso() };
      });
      if (typeof spec.activeDeadlineSeconds === 'number') {
        this.addJobTimer(job, spec.activeDeadlineSeconds * 1000, () => {
          const current = this.store.get('jobs', namespace, name);
          if (current && current.metadata.uid === job.metadata.uid && !this.jobFinished(current))
            this.finishJob(current, 'Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline');
        });
      }
    }

    const statusUpdate = (extra: Record<string, unknown> = {}): void => {
      this.store.update('jobs', namespace, name, (object) => {
        object.status = {
          ...object.status,
          active: active.length,
          ready: active.filter((pod) => pod.status?.phase === 'Running').length,
          succeeded,
          failed: failedCount,
          ...(indexed ? { completedIndexes: compressIndexes(succeededIndexes.filter((index) => index >= 0)) } : {}),
          ...extra,
        };
      });
    };

    if (failedCount > (spec.backoffLimit ?? 6)) {
      statusUpdate();
      this.finishJob(this.store.get('jobs', namespace, name)!, 'Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      return;
    }
    if (succeeded >= completions) {
      statusUpdate();
      this.finishJob(this.store.get('jobs', namespace, name)!, 'Complete');
      return;
    }
    // Create the missing pods.
    let room = parallelism - active.length;
    if (indexed) {
      const busy = new Set([...active, ...succeededPods].map((pod) => Number(pod.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])));
      for (let index = 0; index < completions && room > 0; index += 1) {
        if (busy.has(index)) continue;
        this.createJobPod(job, index);
        room -= 1;
      }
    } else {
      room = Math.min(room, completions - succeeded - active.length);
      for (; room > 0; room -= 1) this.createJobPod(job, undefined);
    }
    statusUpdate();
  }

  private createJobPod(job: KubeObject, index: number | undefined): void {
    const template = clone(job.spec.template ?? {});
    const suffix = randomBytes(3).toString('hex').slice(0, 5);
    const name = index === undefined ? `${job.metadata.name}-${suffix}` : `${job.metadata.name}-${index}-${suffix}`;
    const labels: Record<string, string> = {
      ...(template.metadata?.labels ?? {}),
      'batch.kubernetes.io/controller-uid': job.metadata.uid!,
      'batch.kubernetes.io/job-name': job.metadata.name,
      'controller-uid': job.metadata.uid!,
      'job-name': job.metadata.name,
    };
    const annotations: Record<string, string> = { ...(template.metadata?.annotations ?? {}) };
    const spec = template.spec ?? {};
    if (index !== undefined) {
      labels['batch.kubernetes.io/job-completion-index'] = String(index);
      annotations['batch.kubernetes.io/job-completion-index'] = String(index);
      spec.hostname = spec.hostname ?? `${job.metadata.name}-${index}`;
      for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        container.env = [
          ...(container.env ?? []),
          { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
        ];
      }
    }
    this.store.insert('pods', {
      metadata: {
        name,
        namespace: job.metadata.namespace,
        labels,
        annotations,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec,
      status: { phase: 'Pending' },
    });
  }

  // ---------------------------------------------------------- deletion / GC

  /** Marks a pod for graceful deletion (or removes it at once when nothing runs). */
  deletePod(namespace: string, name: string, gracePeriodSeconds?: number): KubeObject | undefined {
    const pod = this.store.get('pods', namespace, name);
    if (!pod) return undefined;
    if (pod.metadata.deletionTimestamp && gracePeriodSeconds === undefined) return pod;
    return this.store.update('pods', namespace, name, (object) => {
      object.metadata.deletionTimestamp = nowIso();
      object.metadata.deletionGracePeriodSeconds = gracePeriodSeconds ?? object.spec?.terminationGracePeriodSeconds ?? 30;
      if (gracePeriodSeconds === 0) object.metadata.deletionGracePeriodSeconds = 0;
    });
  }

  /** Deletes a Job with the given propagation policy. */
  deleteJob(namespace: string, name: string, propagation: string): KubeObject | undefined {
    const job = this.store.get('jobs', namespace, name);
    if (!job) return undefined;
    if (propagation === 'Foreground') {
      const updated = this.store.update('jobs', namespace, name, (object) => {
        object.metadata.deletionTimestamp = nowIso();
        object.metadata.finalizers = [...(object.metadata.finalizers ?? []), 'foregroundDeletion'];
      });
      for (const pod of this.jobPods(job)) this.deletePod(namespace, pod.metadata.name);
      this.scheduleReconcile(namespace, name);
      return updated;
    }
    const removed = this.store.remove('jobs', namespace, name);
    if (propagation === 'Orphan') {
      for (const pod of this.jobPods(job)) {
        this.store.update('pods', namespace, pod.metadata.name, (object) => {
          object.metadata.ownerReferences = (object.metadata.ownerReferences ?? []).filter((reference) => reference.uid !== job.metadata.uid);
        });
      }
    }
    return removed;
  }

  private onJobDeleted(job: KubeObject): void {
    for (const timer of this.jobTimers.get(job.metadata.uid!) ?? []) clearTimeout(timer);
    this.jobTimers.delete(job.metadata.uid!);
    // Background propagation: the garbage collector deletes the dependents after the owner is gone.
    setTimeout(() => {
      for (const pod of this.jobPods(job)) this.deletePod(job.metadata.namespace!, pod.metadata.name);
    }, 20);
  }
}

/** The `imageID` the fake kubelet reports for `image`: `<image>@sha256:<sha256 of the reference>`, stable per reference. */
export function fakeImageId(image: string): string {
  return `${image.split('@')[0]}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}
