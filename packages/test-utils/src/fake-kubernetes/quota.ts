/**
 * ResourceQuota admission, the subset the fake enforces on creates through
 * the API (dry run or not), with the real admission plugin's message:
 * `count/jobs.batch`, `count/pods` / `pods`, and `requests.cpu`,
 * `requests.memory`, `limits.cpu`, `limits.memory` (also bare `cpu`,
 * `memory`) summed over the namespace's pods that have not ended. Usage is
 * computed at each create (no quota controller, no `status.used`). The fake's
 * Job controller creates pods without going through admission, as if the
 * quota left room: pod quotas apply to pods created through the API only.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are untyped JSON here. */
import type { KubeObject, ObjectStore } from './store';
import { parseQuantity } from './validation';

/** What `object` adds to each quota key when created as `resource`. */
function usageOf(resource: string, object: KubeObject): Map<string, number> {
  const usage = new Map<string, number>();
  if (resource === 'jobs') usage.set('count/jobs.batch', 1);
  if (resource !== 'pods') return usage;
  usage.set('pods', 1).set('count/pods', 1);
  for (const container of object.spec?.containers ?? []) {
    for (const kind of ['requests', 'limits'] as const) {
      for (const [name, quantity] of Object.entries<any>(container.resources?.[kind] ?? {})) {
        if (name !== 'cpu' && name !== 'memory') continue;
        const key = `${kind}.${name}`;
        usage.set(key, (usage.get(key) ?? 0) + parseQuantity(quantity));
        if (kind === 'requests') usage.set(name, (usage.get(name) ?? 0) + parseQuantity(quantity));
      }
    }
  }
  return usage;
}

function ended(pod: KubeObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Current usage of `key` in the namespace. */
function used(store: ObjectStore, namespace: string, key: string): number {
  if (key === 'count/jobs.batch') return store.list('jobs', namespace).length;
  return store
    .list('pods', namespace)
    .filter((pod) => !ended(pod))
    .reduce((sum, pod) => sum + (usageOf('pods', pod).get(key) ?? 0), 0);
}

/** `16Gi`-style text of a quota number as the admission plugin prints it (whole numbers stay plain). */
function quantityText(key: string, value: number): string {
  if (/memory/.test(key) && value % 2 ** 30 === 0 && value > 0) return `${value / 2 ** 30}Gi`;
  if (/memory/.test(key) && value % 2 ** 20 === 0 && value > 0) return `${value / 2 ** 20}Mi`;
  if (/cpu/.test(key) && !Number.isInteger(value)) return `${Math.round(value * 1000)}m`;
  return String(value);
}

/**
 * The message of the first ResourceQuota of the namespace the object would
 * exceed (`exceeded quota: <name>, requested: …, used: …, limited: …`), or
 * undefined when it fits.
 */
export function exceededQuota(store: ObjectStore, resource: string, namespace: string, object: KubeObject): string | undefined {
  const wanted = usageOf(resource, object);
  if (wanted.size === 0) return undefined;
  for (const quota of store.list('resourcequotas', namespace)) {
    const hard: Record<string, string | number> = quota.spec?.hard ?? {};
    const over = Object.keys(hard)
      .filter((key) => wanted.has(key))
      .filter((key) => used(store, namespace, key) + wanted.get(key)! > parseQuantity(hard[key]!))
      .sort();
    if (over.length === 0) continue;
    const list = (values: (key: string) => string): string => over.map((key) => `${key}=${values(key)}`).join(',');
    return `exceeded quota: ${quota.metadata.name}, requested: ${list((key) => quantityText(key, wanted.get(key)!))}, used: ${list((key) => quantityText(key, used(store, namespace, key)))}, limited: ${list((key) => String(hard[key]))}`;
  }
  return undefined;
}
