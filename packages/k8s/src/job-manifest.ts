/**
 * The Job for one ColonyOS process, built as a typed object (no YAML
 * templating: values never need escaping). Pure and deterministic given the
 * Job name, so the golden tests pin it.
 */
import { posix } from 'node:path';
import type { V1Container, V1EnvVar, V1Job, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import {
  BackendError,
  isSecretEnvironmentName,
  kubernetesCpuQuantity,
  kubernetesMemoryQuantity,
  shortSignalName,
  stopSignalDelayMs,
  type JobRequest,
} from '@pollinator/backend';
import { KUBERNETES_DEFAULTS, type KubernetesBackendOptions } from './kubernetes-backend-options';

export const BACKEND_NAME = 'k8s';

/** Labels and annotations the backend puts on Jobs and pods. */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'pollinator';
export const LABEL_PROCESS_ID = 'pollinator.dev/process-id';
export const LABEL_EXECUTOR = 'pollinator.dev/executor';
/** Full process id (label values are limited to 63 characters; ColonyOS ids have 64). */
export const ANNOTATION_PROCESS_ID = 'pollinator.dev/process-id';
/** The job's pod/container layout, needed to read its logs after a restart. */
export const ANNOTATION_LAYOUT = 'pollinator.dev/layout';

export const VOLUME_NAME = 'cfs';
/** Seconds added to walltime + pending grace for the Job-level deadline (the safety net). */
export const JOB_DEADLINE_SLACK_SECONDS = 60;

/**
 * Environment the executor itself uses (`COLONIES_*` but the process id,
 * `EXECUTOR_*`, `AWS_S3_*`); never passed to a job even if a caller put it in
 * `JobRequest.env` (the runtime already strips it).
 */
function isExecutorSecret(name: string): boolean {
  return isSecretEnvironmentName(name) && name !== 'COLONIES_PROCESS_ID';
}

/** A label value (≤ 63 characters, alphanumeric at both ends) derived from a process id. */
export function processIdLabel(processId: string): string {
  const cleaned = processId.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '') || 'unknown';
}

/** `pollinator-<first 12 of the process id>-<suffix>`: short enough for pod names and hostnames. */
export function jobName(processId: string, suffix: string): string {
  const stem = processId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12) || 'job';
  return `pollinator-${stem}-${suffix}`;
}

/** The shell script a container runs: the init command first, in the same shell. */
export function jobScript(job: Pick<JobRequest, 'initCommand' | 'command'> & Partial<Pick<JobRequest, 'stopSignal' | 'resources'>>): string {
  // A newline, not `;`: an init command ending in a comment or `&` stays correct.
  const script = job.initCommand.trim() ? `${job.initCommand}\n${job.command}` : job.command;
  return stopSignalTimer(job) + script;
}

/**
 * With a stop signal: Kubernetes sends nothing before the pod's
 * `activeDeadlineSeconds` (then SIGTERM to each container's first process and
 * SIGKILL after `terminationGracePeriodSeconds`), so the container times it
 * itself: a background timer signals the container's process group (the job's
 * shell catches it, the job's program gets it) `beforeSeconds` ahead of the
 * walltime, counted from the container's start (an image pull eats into it).
 */
function stopSignalTimer(job: Partial<Pick<JobRequest, 'stopSignal' | 'resources'>>): string {
  const delay = stopSignalDelayMs(job.stopSignal, job.resources?.walltimeSeconds ?? 0);
  if (delay === undefined || !job.stopSignal) return '';
  const signal = shortSignalName(job.stopSignal.signal);
  return `trap : ${signal}\n(sleep ${delay / 1000} && kill -s ${signal} 0) &\n`;
}

export interface JobLayout {
  nodes: number;
  processesPerNode: number;
}

function volumeMounts(job: JobRequest, options: KubernetesBackendOptions): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  if (job.mounts.length === 0) return { volumes: [], mounts: [] };
  const volume = options.volume;
  if (!volume) {
    throw new BackendError(
      BACKEND_NAME,
      `the job needs ${job.mounts.map((mount) => mount.containerPath).join(', ')} but no shared volume is configured (set volume.claimName and volume.executorPath, or POLLINATOR_K8S_PVC and POLLINATOR_K8S_PVC_PATH)`,
    );
  }
  const mounts = job.mounts.map((mount): V1VolumeMount => {
    const relative = posix.relative(posix.resolve(volume.executorPath), posix.resolve(mount.hostPath));
    if (relative.startsWith('..') || posix.isAbsolute(relative)) {
      throw new BackendError(
        BACKEND_NAME,
        `mount ${mount.hostPath} is not on the shared volume (claim ${volume.claimName} is mounted at ${volume.executorPath} in the executor), so job pods cannot see it`,
      );
    }
    return { name: VOLUME_NAME, mountPath: mount.containerPath, ...(relative ? { subPath: relative } : {}) };
  });
  return { volumes: [{ name: VOLUME_NAME, persistentVolumeClaim: { claimName: volume.claimName } }], mounts };
}

/**
 * Requests and limits of container `index` of a pod: the cpu per process,
 * the node's memory split evenly, the node's GPUs split evenly when they
 * divide (else all on `task-0`).
 */
function containerResources(resources: JobRequest['resources'], index: number, options: KubernetesBackendOptions): V1ResourceRequirements {
  const { processesPerNode, cpuMillicores, memoryBytes, gpu } = resources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (cpuMillicores > 0) {
    requests.cpu = kubernetesCpuQuantity(cpuMillicores);
    if (options.cpuLimits ?? KUBERNETES_DEFAULTS.cpuLimits) limits.cpu = kubernetesCpuQuantity(cpuMillicores);
  }
  const memoryPerContainer = memoryBytes > 0 ? Math.floor(memoryBytes / processesPerNode) : 0;
  if (memoryPerContainer > 0) {
    requests.memory = kubernetesMemoryQuantity(memoryPerContainer);
    limits.memory = kubernetesMemoryQuantity(memoryPerContainer);
  }
  const gpus = gpu.count <= 0 ? 0 : gpu.count % processesPerNode === 0 ? gpu.count / processesPerNode : index === 0 ? gpu.count : 0;
  if (gpus > 0) limits[options.gpuResource ?? KUBERNETES_DEFAULTS.gpuResource] = String(gpus);
  return {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
}

/**
 * The Job manifest. `nodes` → Indexed completion with `parallelism` =
 * `completions` = nodes (one pod per node, `JOB_COMPLETION_INDEX` = its rank);
 * `processesPerNode` → that many containers per pod (`task-0`, `task-1`, …,
 * as the Go executor did); cpu per process → each container's request and
 * limit; memory per node → split evenly across the containers; GPUs per node →
 * split evenly when they divide, else all on `task-0`, plus a node selector for
 * the GPU model; walltime → the pod's `activeDeadlineSeconds` (counted from the
 * pod's start, so queue time does not eat it) and, as a safety net for an
 * executor that is gone, a Job deadline of walltime + pending grace + 60 s;
 * `backoffLimit: 0` (ColonyOS retries, not Kubernetes).
 */
export function buildJobManifest(job: JobRequest, options: KubernetesBackendOptions & { namespace: string; name: string }): V1Job {
  const { nodes, processesPerNode, gpu, walltimeSeconds } = job.resources;
  if (!Number.isInteger(nodes) || nodes < 1) throw new BackendError(BACKEND_NAME, `nodes must be a positive integer, got ${nodes}`);
  if (!Number.isInteger(processesPerNode) || processesPerNode < 1)
    throw new BackendError(BACKEND_NAME, `processesPerNode must be a positive integer, got ${processesPerNode}`);
  if (!job.image) throw new BackendError(BACKEND_NAME, 'the job has no container image (kwargs docker-image)');

  const pendingTimeout = options.pendingTimeoutSeconds ?? KUBERNETES_DEFAULTS.pendingTimeoutSeconds;
  const { volumes, mounts } = volumeMounts(job, options);

  const labels: Record<string, string> = {
    ...(options.labels ?? {}),
    [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_PROCESS_ID]: processIdLabel(job.processId),
    ...(options.executorName ? { [LABEL_EXECUTOR]: processIdLabel(options.executorName) } : {}),
  };
  const layout: JobLayout = { nodes, processesPerNode };
  const annotations = { [ANNOTATION_PROCESS_ID]: job.processId, [ANNOTATION_LAYOUT]: JSON.stringify(layout) };

  const env: V1EnvVar[] = Object.entries(job.env)
    .filter(([name]) => !isExecutorSecret(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
  env.push({ name: 'POLLINATOR_NODES', value: String(nodes) }, { name: 'POLLINATOR_PROCESSES_PER_NODE', value: String(processesPerNode) });

  const containers: V1Container[] = Array.from({ length: processesPerNode }, (_, index) => {
    const resources = containerResources(job.resources, index, options);
    return {
      name: `task-${index}`,
      image: job.image,
      imagePullPolicy: job.rebuildImage ? 'Always' : (options.imagePullPolicy ?? KUBERNETES_DEFAULTS.imagePullPolicy),
      command: ['/bin/sh', '-c', jobScript(job)],
      env: [...env, { name: 'POLLINATOR_TASK_INDEX', value: String(index) }],
      ...(Object.keys(resources).length ? { resources } : {}),
      ...(mounts.length ? { volumeMounts: mounts } : {}),
    };
  });

  const nodeSelector: Record<string, string> = {
    ...(options.nodeSelector ?? {}),
    ...(gpu.count > 0 && gpu.name ? { [options.gpuNodeSelectorKey ?? KUBERNETES_DEFAULTS.gpuNodeSelectorKey]: gpu.name } : {}),
  };

  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: options.name, namespace: options.namespace, labels, annotations },
    spec: {
      completionMode: 'Indexed',
      completions: nodes,
      parallelism: nodes,
      backoffLimit: 0,
      ...(walltimeSeconds > 0 ? { activeDeadlineSeconds: walltimeSeconds + pendingTimeout + JOB_DEADLINE_SLACK_SECONDS } : {}),
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished ?? KUBERNETES_DEFAULTS.ttlSecondsAfterFinished,
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: 'Never',
          ...(walltimeSeconds > 0 ? { activeDeadlineSeconds: walltimeSeconds } : {}),
          // The job gets no Kubernetes API credentials and no service-link env.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(options.jobServiceAccountName ? { serviceAccountName: options.jobServiceAccountName } : {}),
          terminationGracePeriodSeconds: options.terminationGracePeriodSeconds ?? KUBERNETES_DEFAULTS.terminationGracePeriodSeconds,
          ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}),
          ...(options.tolerations?.length ? { tolerations: options.tolerations } : {}),
          ...(options.imagePullSecrets?.length ? { imagePullSecrets: options.imagePullSecrets.map((name) => ({ name })) } : {}),
          containers,
          ...(volumes.length ? { volumes } : {}),
        },
      },
    },
  };
}
