/**
 * The toy kubelet: runs each container of a scheduled pod as a host process
 * (its `command` + `args` through `spawn`, no shell unless the command is
 * one), with the pod's environment (values, downward-API fields, secrets and
 * config maps), its volumes mapped onto host directories, and its working
 * directory. There is no container isolation: images are ignored (the
 * simulation rules can make a pull fail), and the paths a container would see
 * at its `mountPath`s are rewritten to the host directories in the command,
 * the arguments, the environment values and the working dir. Directories
 * above a mount path (`/cfs/pollinator/p` when only `…/p/data` and `…/p/result`
 * are mounted) exist in a per-pod root with links to the mounts, as a
 * container runtime creates them. A container's processes carry a marker in
 * their environment: killing the container kills every process with it (as a
 * runtime kills the container's cgroup), including children that left the
 * process group (setsid, double fork), and so does the end of its main process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { KubeObject, ObjectStore } from './store';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are untyped JSON here. */

/** Output of one container: everything written so far and live followers. */
export class ContainerLog {
  readonly chunks: Buffer[] = [];
  ended = false;
  private readonly followers = new Set<{ write(data: Buffer): void; end(): void }>();

  append(data: Buffer): void {
    this.chunks.push(data);
    for (const follower of this.followers) follower.write(data);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const follower of [...this.followers]) follower.end();
    this.followers.clear();
  }

  follow(follower: { write(data: Buffer): void; end(): void }): () => void {
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  /** Ends every live follower (a dropped connection) without ending the log. */
  dropFollowers(): void {
    for (const follower of [...this.followers]) follower.end();
    this.followers.clear();
  }
}

export interface RunningContainer {
  name: string;
  process: ChildProcess;
  /** `NAME=value` every process of the container carries in its environment. */
  marker: string;
  exited: Promise<{ exitCode: number; signal: NodeJS.Signals | null }>;
}

export interface KubeletContext {
  store: ObjectStore;
  /** Host directory of a PersistentVolumeClaim, or undefined when the claim does not exist. */
  claimDirectory(namespace: string, claimName: string): string | undefined;
  /** Directory for this pod's emptyDirs, home and default working directory. */
  podDirectory(pod: KubeObject): string;
  apiServerUrl: URL;
}

function pathPattern(mountPath: string): RegExp {
  const escaped = mountPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9._/-])${escaped}(?=$|[^A-Za-z0-9._-])`, 'g');
}

/** Resolves the container's volume mounts to host directories, longest mount path first. */
export function resolveMounts(pod: KubeObject, container: any, context: KubeletContext): { mountPath: string; hostPath: string; subPath?: string }[] {
  const volumes = new Map<string, any>((pod.spec?.volumes ?? []).map((volume: any) => [volume.name, volume]));
  const result: { mountPath: string; hostPath: string; subPath?: string }[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) continue;
    let base: string;
    if (volume.persistentVolumeClaim) {
      const directory = context.claimDirectory(pod.metadata.namespace!, volume.persistentVolumeClaim.claimName);
      if (!directory) throw new Error(`persistentvolumeclaim "${volume.persistentVolumeClaim.claimName}" not found`);
      base = directory;
    } else if (volume.hostPath) {
      base = volume.hostPath.path;
    } else {
      base = join(context.podDirectory(pod), 'volumes', mount.name);
      mkdirSync(base, { recursive: true });
      const source = volume.secret
        ? context.store.get('secrets', pod.metadata.namespace, volume.secret.secretName)
        : volume.configMap
          ? context.store.get('configmaps', pod.metadata.namespace, volume.configMap.name)
          : undefined;
      if (volume.secret || volume.configMap) {
        if (!source) throw new Error(`${volume.secret ? 'secret' : 'configmap'} "${volume.secret?.secretName ?? volume.configMap.name}" not found`);
        for (const [key, value] of Object.entries<string>(source.data ?? {}))
          writeFileSync(join(base, key), volume.secret ? Buffer.from(value, 'base64') : value);
      }
    }
    const hostPath = mount.subPath ? join(base, mount.subPath) : base;
    mkdirSync(hostPath, { recursive: true });
    result.push({ mountPath: mount.mountPath, hostPath, ...(volume.persistentVolumeClaim && mount.subPath ? { subPath: String(mount.subPath) } : {}) });
  }
  return result.sort((a, b) => b.mountPath.length - a.mountPath.length);
}

function isInside(path: string, ancestor: string): boolean {
  return path !== ancestor && path.startsWith(ancestor === '/' ? '/' : `${ancestor}/`);
}

/**
 * Where a claim's `subPath` mount sits in the container's view of the claim:
 * `/cfs` for `fs/pollinator/p/data` at `/cfs/pollinator/p/data` (the mount
 * path without the tail it shares with the subPath; undefined when they
 * share nothing or everything).
 */
function claimRoot(mount: { mountPath: string; subPath?: string }): string | undefined {
  if (!mount.subPath) return undefined;
  const container = mount.mountPath.split('/').filter(Boolean);
  const sub = mount.subPath.split('/').filter(Boolean);
  let shared = 0;
  while (shared < container.length && shared < sub.length && container[container.length - 1 - shared] === sub[sub.length - 1 - shared]) shared += 1;
  if (shared === 0 || shared === container.length) return undefined;
  return `/${container.slice(0, container.length - shared).join('/')}`;
}

/**
 * A container runtime makes the directories above a mount point in the
 * container's root: `/cfs/pollinator/p` exists when only `…/p/data` and
 * `…/p/result` of a claim are mounted. The fake makes them in the pod's
 * `rootfs` (with a link per mount) for every claim mounted by `subPath`, and
 * returns the path mapping (`/cfs` → `<rootfs>/cfs`) for `rewritePaths`.
 */
export function mountAncestors(mounts: { mountPath: string; hostPath: string; subPath?: string }[], rootfs: string): { mountPath: string; hostPath: string }[] {
  const roots = new Map<string, string>();
  for (const mount of mounts) {
    const root = claimRoot(mount);
    if (root === undefined || mounts.some((other) => isInside(mount.mountPath, other.mountPath))) continue;
    roots.set(root, join(rootfs, root));
    const link = join(rootfs, mount.mountPath);
    mkdirSync(posix.dirname(link), { recursive: true });
    let present = true;
    try {
      lstatSync(link);
    } catch {
      present = false;
    }
    if (!present) symlinkSync(mount.hostPath, link);
  }
  return [...roots].map(([mountPath, hostPath]) => ({ mountPath, hostPath }));
}

/** Pids of the processes carrying `marker` (`NAME=value`) in their environment. */
export function processesWithEnvironment(marker: string): number[] {
  const needle = Buffer.from(`\0${marker}\0`);
  const pids: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${name}/environ`)]);
      if (environ.includes(needle)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Rewrites container paths (`/cfs/x`) to the host directories they are mounted from. */
export function rewritePaths(text: string, mounts: { mountPath: string; hostPath: string }[]): string {
  let result = text;
  for (const { mountPath, hostPath } of mounts) {
    result = result.replace(pathPattern(mountPath), (_match, before: string) => `${before}${hostPath}`);
  }
  return result;
}

function fieldRefValue(pod: KubeObject, fieldPath: string): string | undefined {
  const annotation = fieldPath.match(/^metadata\.(annotations|labels)\['(.+)'\]$/);
  if (annotation) return (pod.metadata[annotation[1] as 'labels'])?.[annotation[2]!];
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      return pod.status?.podIP;
    case 'status.hostIP':
      return pod.status?.hostIP;
    default:
      return undefined;
  }
}

/**
 * The container's environment as Kubernetes builds it. Throws with the
 * CreateContainerConfigError message when a referenced secret or config map
 * (or key) is missing.
 */
export function containerEnvironment(pod: KubeObject, container: any, context: KubeletContext): Record<string, string> {
  const env: Record<string, string> = {};
  const expand = (value: string): string => value.replace(/\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g, (whole, name: string) => env[name] ?? whole);
  for (const source of container.envFrom ?? []) {
    const reference = source.secretRef ?? source.configMapRef;
    const object = context.store.get(source.secretRef ? 'secrets' : 'configmaps', pod.metadata.namespace, reference.name);
    if (!object) {
      if (reference.optional) continue;
      throw new Error(`${source.secretRef ? 'secret' : 'configmap'} "${reference.name}" not found`);
    }
    for (const [key, value] of Object.entries<string>(object.data ?? {}))
      env[`${source.prefix ?? ''}${key}`] = source.secretRef ? Buffer.from(value, 'base64').toString('utf8') : value;
  }
  for (const variable of container.env ?? []) {
    if (variable.valueFrom?.fieldRef) {
      env[variable.name] = fieldRefValue(pod, variable.valueFrom.fieldRef.fieldPath) ?? '';
    } else if (variable.valueFrom?.secretKeyRef || variable.valueFrom?.configMapKeyRef) {
      const isSecret = Boolean(variable.valueFrom.secretKeyRef);
      const reference = variable.valueFrom.secretKeyRef ?? variable.valueFrom.configMapKeyRef;
      const object = context.store.get(isSecret ? 'secrets' : 'configmaps', pod.metadata.namespace, reference.name);
      const raw = object?.data?.[reference.key];
      if (raw === undefined) {
        if (reference.optional) continue;
        throw new Error(object ? `couldn't find key ${reference.key} in ${isSecret ? 'Secret' : 'ConfigMap'} ${pod.metadata.namespace}/${reference.name}` : `${isSecret ? 'secret' : 'configmap'} "${reference.name}" not found`);
      }
      env[variable.name] = isSecret ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    } else if (variable.valueFrom?.resourceFieldRef) {
      env[variable.name] = String(container.resources?.limits?.[variable.valueFrom.resourceFieldRef.resource.replace(/^limits\./, '')] ?? '0');
    } else {
      env[variable.name] = expand(String(variable.value ?? ''));
    }
  }
  return env;
}

/** Starts one container as a host process in its own process group. */
export function startContainer(
  pod: KubeObject,
  container: any,
  context: KubeletContext,
  log: ContainerLog,
): RunningContainer {
  const mounts = resolveMounts(pod, container, context);
  const declared = containerEnvironment(pod, container, context);
  const podDirectory = context.podDirectory(pod);
  const home = join(podDirectory, 'home');
  mkdirSync(home, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    HOSTNAME: pod.spec?.hostname ?? pod.metadata.name,
    KUBERNETES_SERVICE_HOST: context.apiServerUrl.hostname,
    KUBERNETES_SERVICE_PORT: context.apiServerUrl.port,
  };
  const marker = `FAKE_KUBELET_CONTAINER=${pod.metadata.uid ?? pod.metadata.name}/${container.name}`;
  env.FAKE_KUBELET_CONTAINER = marker.slice(marker.indexOf('=') + 1);
  const paths = [...mounts, ...mountAncestors(mounts, join(podDirectory, 'rootfs'))].sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const [name, value] of Object.entries(declared)) env[name] = rewritePaths(value, paths);
  const expand = (value: string): string => value.replace(/\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g, (whole, name: string) => declared[name] ?? whole);
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((part: string) => rewritePaths(expand(String(part)), paths));
  const workingDir = container.workingDir ? rewritePaths(container.workingDir, paths) : join(podDirectory, 'workdir', container.name);
  mkdirSync(workingDir, { recursive: true });
  if (argv.length === 0) {
    throw new Error('fake kubelet: the container has no command (image entrypoints are not known to the fake)');
  }
  const child = spawn(argv[0]!, argv.slice(1), { cwd: workingDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (data: Buffer) => log.append(data));
  child.stderr.on('data', (data: Buffer) => log.append(data));
  const exited = new Promise<{ exitCode: number; signal: NodeJS.Signals | null }>((resolve) => {
    let settled = false;
    child.on('error', (error) => {
      log.append(Buffer.from(`exec: ${(error).message}\n`));
      if (!settled) {
        settled = true;
        resolve({ exitCode: 128, signal: null });
      }
    });
    // The container's main process is gone: so is every other process of the container.
    child.on('exit', () => killMarked(marker, 'SIGKILL'));
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      resolve({ exitCode: code ?? (signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : 128 + 9), signal });
    });
  });
  return { name: container.name, process: child, marker, exited };
}

function killMarked(marker: string, signal: NodeJS.Signals): void {
  for (const pid of processesWithEnvironment(marker)) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Signals every process of a container: its process group and whatever carries its marker. */
export function signalContainer(running: RunningContainer, signal: NodeJS.Signals): void {
  killMarked(running.marker, signal);
  const pid = running.process.pid;
  if (pid === undefined || running.process.exitCode !== null) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      running.process.kill(signal);
    } catch {
      // already gone
    }
  }
}
