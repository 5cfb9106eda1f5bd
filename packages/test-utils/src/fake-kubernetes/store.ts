/**
 * The fake API server's object store: every object keyed by resource,
 * namespace and name, a global resourceVersion counter and a bounded history
 * of watch events so that a watch can resume from a resourceVersion (and gets
 * `410 Gone` when it asks for one older than the history).
 */
import { randomUUID } from 'node:crypto';

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are untyped JSON here. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  generation?: number;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  finalizers?: string[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [key: string]: any;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: string;
  object: KubeObject;
  resourceVersion: number;
}

export interface ResourceInfo {
  /** Plural name in the URL (`pods`). */
  name: string;
  /** API group ('' = core). */
  group: string;
  kind: string;
  namespaced: boolean;
}

export const RESOURCES: Record<string, ResourceInfo> = {
  namespaces: { name: 'namespaces', group: '', kind: 'Namespace', namespaced: false },
  nodes: { name: 'nodes', group: '', kind: 'Node', namespaced: false },
  pods: { name: 'pods', group: '', kind: 'Pod', namespaced: true },
  secrets: { name: 'secrets', group: '', kind: 'Secret', namespaced: true },
  configmaps: { name: 'configmaps', group: '', kind: 'ConfigMap', namespaced: true },
  persistentvolumeclaims: { name: 'persistentvolumeclaims', group: '', kind: 'PersistentVolumeClaim', namespaced: true },
  services: { name: 'services', group: '', kind: 'Service', namespaced: true },
  events: { name: 'events', group: '', kind: 'Event', namespaced: true },
  resourcequotas: { name: 'resourcequotas', group: '', kind: 'ResourceQuota', namespaced: true },
  jobs: { name: 'jobs', group: 'batch', kind: 'Job', namespaced: true },
};

export function apiVersionOf(info: ResourceInfo): string {
  return info.group ? `${info.group}/v1` : 'v1';
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Label selector matching (equality, inequality, set-based `in`/`notin`, existence). */
export function matchesLabelSelector(labels: Record<string, string> | undefined, selector: string | null | undefined): boolean {
  if (!selector) return true;
  const actual = labels ?? {};
  // Split on commas that are not inside parentheses.
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  terms.push(current);
  return terms
    .map((term) => term.trim())
    .filter(Boolean)
    .every((term) => {
      let match: RegExpMatchArray | null;
      if ((match = term.match(/^(\S+)\s+notin\s+\((.*)\)$/)))
        return !match[2]!.split(',').map((value) => value.trim()).includes(actual[match[1]!] ?? '\u0000');
      if ((match = term.match(/^(\S+)\s+in\s+\((.*)\)$/)))
        return match[2]!.split(',').map((value) => value.trim()).includes(actual[match[1]!] ?? '\u0000');
      if ((match = term.match(/^([^!=\s]+)\s*!=\s*(.*)$/))) return actual[match[1]!] !== match[2];
      if ((match = term.match(/^([^!=\s]+)\s*==?\s*(.*)$/))) return actual[match[1]!] === match[2];
      if ((match = term.match(/^!(.+)$/))) return !(match[1]! in actual);
      return term in actual;
    });
}

/** Field selectors: only `metadata.name`, `metadata.namespace`, `spec.nodeName` and `status.phase`. */
export function matchesFieldSelector(object: KubeObject, selector: string | null | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const match = term.match(/^([^!=]+)(!=|==?)(.*)$/);
    if (!match) return false;
    const [, field, operator, expected] = match;
    const value = field === 'metadata.name'
      ? object.metadata.name
      : field === 'metadata.namespace'
        ? object.metadata.namespace
        : field === 'spec.nodeName'
          ? object.spec?.nodeName
          : field === 'status.phase'
            ? object.status?.phase
            : undefined;
    return operator === '!=' ? value !== expected : value === expected;
  });
}

const HISTORY_LIMIT = 10_000;

export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private revision = 1;
  /** Oldest resourceVersion a watch may resume from (older → 410 Gone). */
  private oldestResumable = 0;

  get resourceVersion(): string {
    return String(this.revision);
  }

  private key(resource: string, namespace: string | undefined, name: string): string {
    return `${resource}|${namespace ?? ''}|${name}`;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(this.key(resource, namespace, name));
  }

  list(
    resource: string,
    namespace?: string,
    labelSelector?: string | null,
    fieldSelector?: string | null,
  ): KubeObject[] {
    const prefix = `${resource}|`;
    const result: KubeObject[] = [];
    for (const [key, object] of this.objects) {
      if (!key.startsWith(prefix)) continue;
      if (namespace && object.metadata.namespace !== namespace) continue;
      if (!matchesLabelSelector(object.metadata.labels, labelSelector)) continue;
      if (!matchesFieldSelector(object, fieldSelector)) continue;
      result.push(object);
    }
    return result.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  /** Inserts a new object (metadata filled in) and emits ADDED. */
  insert(resource: string, object: KubeObject): KubeObject {
    const info = RESOURCES[resource]!;
    object.apiVersion = apiVersionOf(info);
    object.kind = info.kind;
    object.metadata.uid = randomUUID();
    object.metadata.creationTimestamp = nowIso();
    object.metadata.generation = 1;
    if (!info.namespaced) delete object.metadata.namespace;
    return this.commit('ADDED', resource, object);
  }

  /**
   * The object `insert` would store (metadata filled in, no resourceVersion),
   * without storing it or emitting anything: a `dryRun=All` create.
   */
  preview(resource: string, object: KubeObject): KubeObject {
    const info = RESOURCES[resource]!;
    const result = clone(object);
    result.apiVersion = apiVersionOf(info);
    result.kind = info.kind;
    result.metadata.uid = randomUUID();
    result.metadata.creationTimestamp = nowIso();
    result.metadata.generation = 1;
    delete result.metadata.resourceVersion;
    if (!info.namespaced) delete result.metadata.namespace;
    return result;
  }

  /** Applies `mutate` to the stored object, bumps its resourceVersion and emits MODIFIED. */
  update(resource: string, namespace: string | undefined, name: string, mutate: (object: KubeObject) => void): KubeObject | undefined {
    const current = this.get(resource, namespace, name);
    if (!current) return undefined;
    const next = clone(current);
    mutate(next);
    return this.commit('MODIFIED', resource, next);
  }

  /** Removes the object and emits DELETED. */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = this.key(resource, namespace, name);
    const current = this.objects.get(key);
    if (!current) return undefined;
    this.objects.delete(key);
    const last = clone(current);
    last.metadata.resourceVersion = String(++this.revision);
    this.record({ type: 'DELETED', resource, object: last, resourceVersion: this.revision });
    return last;
  }

  private commit(type: WatchEventType, resource: string, object: KubeObject): KubeObject {
    object.metadata.resourceVersion = String(++this.revision);
    this.objects.set(this.key(resource, object.metadata.namespace, object.metadata.name), object);
    this.record({ type, resource, object: clone(object), resourceVersion: this.revision });
    return object;
  }

  private record(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      const dropped = this.history.shift()!;
      this.oldestResumable = dropped.resourceVersion;
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Forget the watch history (as etcd compaction does): watches resuming from older versions get 410. */
  compact(): void {
    this.history.length = 0;
    this.oldestResumable = this.revision;
  }

  /**
   * Events after `resourceVersion` (for a resuming watch), or `undefined` when
   * that version is older than the retained history (410 Gone).
   */
  eventsSince(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.oldestResumable) return undefined;
    return this.history.filter((event) => event.resourceVersion > resourceVersion);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
