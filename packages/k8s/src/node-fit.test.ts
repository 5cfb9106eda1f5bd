import type { V1Node, V1PodSpec } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { fitPods, parseKubernetesQuantity, podRequests } from './node-fit';

function node(name: string, allocatable: Record<string, string>, extra: { ready?: boolean; unschedulable?: boolean; taints?: V1Node['spec'] extends infer S ? (S extends { taints?: infer T } ? T : never) : never; labels?: Record<string, string> } = {}): V1Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: { ...(extra.unschedulable ? { unschedulable: true } : {}), ...(extra.taints ? { taints: extra.taints } : {}) },
    status: { allocatable, conditions: [{ type: 'Ready', status: extra.ready === false ? 'Unknown' : 'True' }] },
  };
}

function pod(memory: string, cpu = '1', extra: Partial<V1PodSpec> = {}): V1PodSpec {
  return { containers: [{ name: 'task-0', resources: { requests: { cpu, memory }, limits: { memory } } }], ...extra };
}

describe('parseKubernetesQuantity', () => {
  it('reads the units nodes and pods use', () => {
    expect(parseKubernetesQuantity('16265884Ki')).toBe(16265884 * 1024);
    expect(parseKubernetesQuantity('500m')).toBe(0.5);
    expect(parseKubernetesQuantity('2')).toBe(2);
    expect(parseKubernetesQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseKubernetesQuantity('1e3')).toBe(1000);
    expect(parseKubernetesQuantity('128M')).toBe(128e6);
    expect(parseKubernetesQuantity(4)).toBe(4);
    expect(parseKubernetesQuantity('lots')).toBeUndefined();
  });
});

describe('podRequests', () => {
  it('sums the containers; a limit without a request counts as the request (GPUs)', () => {
    const spec: V1PodSpec = {
      containers: [
        { name: 'a', resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi', 'nvidia.com/gpu': '1' } } },
        { name: 'b', resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } } },
      ],
    };
    expect(Object.fromEntries(podRequests(spec))).toEqual({ cpu: 1, memory: 2 * 2 ** 30, 'nvidia.com/gpu': 1 });
  });
});

describe('fitPods', () => {
  it('counts the pods the nodes hold by allocatable capacity', () => {
    const fit = fitPods([node('a', { cpu: '8', memory: '16Gi', pods: '110' }), node('b', { cpu: '2', memory: '64Gi', pods: '110' })], pod('4Gi', '2'));
    expect(fit).toMatchObject({ podsThatFit: 5, fittingNodes: 2, nodes: 2, reasons: '', requests: '2 cpu, 4 GiB memory' });
  });

  it('names what each node lacks, and the largest it has', () => {
    const fit = fitPods(
      [
        node('small', { cpu: '8', memory: '8Gi' }),
        node('cordoned', { cpu: '64', memory: '256Gi' }, { unschedulable: true }),
        node('lost', { cpu: '64', memory: '256Gi' }, { ready: false }),
        node('tainted', { cpu: '64', memory: '256Gi' }, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
      ],
      pod('16Gi'),
    );
    expect(fit.podsThatFit).toBe(0);
    expect(fit.reasons).toBe('1 Insufficient memory, 1 node(s) were unschedulable (cordoned), 1 node(s) were not Ready, 1 node(s) had untolerated taint {dedicated: gpu}');
    expect(fit.largest).toEqual(['the most allocatable memory on a node is 256 GiB']);
  });

  it('honours tolerations and the node selector', () => {
    const nodes = [node('gpu', { cpu: '8', memory: '64Gi', 'nvidia.com/gpu': '4' }, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], labels: { 'nvidia.com/gpu.product': 'a100' } })];
    const tolerating = pod('4Gi', '1', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], nodeSelector: { 'nvidia.com/gpu.product': 'a100' } });
    expect(fitPods(nodes, tolerating).podsThatFit).toBe(8);
    expect(fitPods(nodes, { ...tolerating, nodeSelector: { 'nvidia.com/gpu.product': 'h100' } }).reasons).toBe("1 node(s) didn't match the pod's node selector");
    expect(fitPods(nodes, { ...tolerating, tolerations: [{ operator: 'Exists' }] }).podsThatFit).toBe(8);
  });
});
