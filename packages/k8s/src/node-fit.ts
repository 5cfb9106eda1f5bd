/**
 * Could the nodes of the cluster hold the pods of a Job? The scheduler's
 * static filters, applied to the nodes as listed: cordoned or not Ready nodes,
 * the pod's node selector, untolerated NoSchedule/NoExecute taints, and the
 * pod's requests (cpu, memory, extended resources such as `nvidia.com/gpu`)
 * against each node's allocatable capacity. What is already running on a
 * node is not counted (reading every pod of the cluster is not something the
 * executor's account may do), so "fits" means "could start once the node is
 * free", and "does not fit" means "never, on these nodes".
 */
import type { V1Node, V1PodSpec, V1Toleration } from '@kubernetes/client-node';
import { formatMemory } from '@pollinator/backend';

const DECIMAL_SUFFIXES: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/** A Kubernetes quantity (`"16265884Ki"`, `"500m"`, `"2"`, `"1e3"`) as a number; undefined when malformed. */
export function parseKubernetesQuantity(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  if (typeof quantity === 'number') return quantity;
  const match = /^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(quantity.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  if (match[2]) return value * 10 ** Number(match[2].slice(1));
  const suffix = match[3] ?? '';
  return value * (BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix]!);
}

/** What one pod asks for: the sum over its containers (requests; limits where no request is given, as the API server defaults). */
export function podRequests(spec: V1PodSpec): Map<string, number> {
  const totals = new Map<string, number>();
  for (const container of spec.containers ?? []) {
    const requests: Record<string, string | number> = { ...(container.resources?.requests ?? {}) };
    for (const [resource, limit] of Object.entries(container.resources?.limits ?? {})) requests[resource] ??= limit;
    for (const [resource, quantity] of Object.entries(requests)) {
      const value = parseKubernetesQuantity(quantity) ?? 0;
      if (value > 0) totals.set(resource, (totals.get(resource) ?? 0) + value);
    }
  }
  return totals;
}

/** `2 cpu`, `500m cpu`, `16 GiB memory`, `1 nvidia.com/gpu`. */
export function describeQuantity(resource: string, value: number): string {
  if (resource === 'memory' || resource === 'ephemeral-storage') return `${formatMemory(value)} ${resource}`;
  if (resource === 'cpu') return Number.isInteger(value) ? `${value} cpu` : `${Math.round(value * 1000)}m cpu`;
  return `${value} ${resource}`;
}

function tolerates(tolerations: V1Toleration[], taint: { key: string; value?: string; effect: string }): boolean {
  return tolerations.some(
    (toleration) =>
      (!toleration.effect || toleration.effect === taint.effect) &&
      (toleration.operator === 'Exists' ? !toleration.key || toleration.key === taint.key : toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '')),
  );
}

/** Why `node` cannot hold the pod at all (scheduler-style words), or how many such pods it could hold. */
function fitOnNode(node: V1Node, spec: V1PodSpec, requests: Map<string, number>): { pods: number } | { reason: string } {
  if (node.spec?.unschedulable) return { reason: 'node(s) were unschedulable (cordoned)' };
  const ready = (node.status?.conditions ?? []).find((condition) => condition.type === 'Ready');
  if (ready?.status !== 'True') return { reason: 'node(s) were not Ready' };
  const labels = node.metadata?.labels ?? {};
  if (!Object.entries(spec.nodeSelector ?? {}).every(([key, value]) => labels[key] === value)) return { reason: "node(s) didn't match the pod's node selector" };
  const taint = (node.spec?.taints ?? []).find((entry) => (entry.effect === 'NoSchedule' || entry.effect === 'NoExecute') && !tolerates(spec.tolerations ?? [], entry));
  if (taint) return { reason: `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}` };
  const allocatable = (node.status?.allocatable ?? {}) as Record<string, string>;
  let pods = Math.floor(parseKubernetesQuantity(allocatable.pods) ?? 110);
  for (const [resource, wanted] of requests) {
    const available = parseKubernetesQuantity(allocatable[resource]) ?? 0;
    if (available < wanted) return { reason: `Insufficient ${resource}` };
    pods = Math.min(pods, Math.floor(available / wanted));
  }
  return { pods };
}

export interface NodeFit {
  /** Pods of this shape the nodes could hold at once (by allocatable capacity). */
  podsThatFit: number;
  /** Nodes that could hold at least one. */
  fittingNodes: number;
  nodes: number;
  /** What the nodes that cannot hold one lack, counted: `2 Insufficient memory, 1 node(s) were not Ready`. */
  reasons: string;
  /** Each pod's requests in words: `100m cpu, 16 GiB memory`. */
  requests: string;
  /** For an `Insufficient X` reason: the largest allocatable X of any node, in words. */
  largest: string[];
}

/** How the pod of `spec` fits on `nodes`. */
export function fitPods(nodes: V1Node[], spec: V1PodSpec): NodeFit {
  const requests = podRequests(spec);
  const counts = new Map<string, number>();
  let podsThatFit = 0;
  let fittingNodes = 0;
  for (const node of nodes) {
    const fit = fitOnNode(node, spec, requests);
    if ('reason' in fit) counts.set(fit.reason, (counts.get(fit.reason) ?? 0) + 1);
    else if (fit.pods > 0) {
      podsThatFit += fit.pods;
      fittingNodes += 1;
    }
  }
  const largest: string[] = [];
  for (const reason of counts.keys()) {
    const resource = /^Insufficient (.+)$/.exec(reason)?.[1];
    if (!resource) continue;
    const most = Math.max(0, ...nodes.map((node) => parseKubernetesQuantity(node.status?.allocatable?.[resource]) ?? 0));
    largest.push(`the most allocatable ${resource} on a node is ${describeQuantity(resource, most).replace(` ${resource}`, '')}`);
  }
  return {
    podsThatFit,
    fittingNodes,
    nodes: nodes.length,
    reasons: [...counts].map(([reason, count]) => `${count} ${reason}`).join(', '),
    requests: [...requests].map(([resource, value]) => describeQuantity(resource, value)).join(', ') || 'no resources',
    largest,
  };
}
