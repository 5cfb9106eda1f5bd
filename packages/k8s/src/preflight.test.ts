/**
 * The Kubernetes backend's preflight against the fake API server (real HTTP):
 * it passes with the Role of docs/kubernetes-rbac.yaml and an existing claim,
 * and names the problem and what to do with no configuration at all, an API
 * server that refuses connections or never answers, a missing namespace,
 * missing permissions, no shared volume, a missing claim, and a claim not
 * mounted in the executor.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BackendPreflightError } from '@pollinator/backend';
import { startFakeKubernetes, type FakeKubernetes, type PolicyRule } from '@pollinator/test-utils';
import { createKubernetesBackend, type KubernetesBackend } from './kubernetes-backend';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';
import { KubernetesConnection } from './kubernetes-connection';
import { preflightKubernetes } from './preflight';

const role = (loadAllYaml(readFileSync(new URL('../../../docs/kubernetes-rbac.yaml', import.meta.url), 'utf8')) as { kind: string; rules?: PolicyRule[] }[]).find(
  (object) => object.kind === 'Role',
)!;

let volume: string;
let fake: FakeKubernetes;
const fakes: FakeKubernetes[] = [];
const backends: KubernetesBackend[] = [];

beforeAll(async () => {
  volume = mkdtempSync(join(tmpdir(), 'pollinator-k8s-preflight-'));
  fake = await startFakeKubernetes({ namespaces: ['pollinator'], volumes: { cfs: volume } });
  fakes.push(fake);
});
afterEach(async () => {
  for (const backend of backends.splice(0)) await backend.close?.();
});
afterAll(async () => {
  for (const started of fakes) await started.close();
  rmSync(volume, { recursive: true, force: true });
});

function backend(options: KubernetesBackendOptions): KubernetesBackend {
  const created = createKubernetesBackend(options);
  backends.push(created);
  return created;
}

/** The preflight's refusal (fails the test when it passes). */
async function refusal(check: Promise<void>): Promise<BackendPreflightError> {
  try {
    await check;
  } catch (error) {
    if (BackendPreflightError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('the preflight passed');
}

/** A kubeconfig like the fake's, for a server at `url`. */
function kubeconfigFor(url: string): Record<string, unknown> {
  return { ...fake.kubeconfig, clusters: [{ name: 'fake', cluster: { server: url, 'insecure-skip-tls-verify': true } }] };
}

const working: () => KubernetesBackendOptions = () => ({ kubeconfig: fake.kubeconfig, namespace: 'pollinator', volume: { claimName: 'cfs', executorPath: volume } });

describe('Kubernetes preflight', () => {
  it('passes with the fake cluster, the namespace and an existing claim', async () => {
    await expect(backend(working()).preflight!()).resolves.toBeUndefined();
  });

  it('passes under exactly the Role of docs/kubernetes-rbac.yaml, and still finds a missing claim there', async () => {
    const guarded = await startFakeKubernetes({ namespaces: ['pollinator'], volumes: { cfs: volume }, rbac: { rules: role.rules! } });
    fakes.push(guarded);
    await backend({ ...working(), kubeconfig: guarded.kubeconfig }).preflight!();
    const error = await refusal(backend({ ...working(), kubeconfig: guarded.kubeconfig, volume: { claimName: 'nope', executorPath: volume } }).preflight!());
    expect(error.message).toBe('the PersistentVolumeClaim nope does not exist in namespace pollinator');
    expect(guarded.forbidden).toEqual([]);
  });

  it('refuses without any configuration (no KUBECONFIG, no ~/.kube/config, not in a pod)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'pollinator-k8s-home-'));
    try {
      const options = { namespace: 'pollinator', volume: { claimName: 'cfs', executorPath: volume } };
      const error = await refusal(preflightKubernetes(new KubernetesConnection(options), options, { env: { HOME: home } }));
      expect(error.message).toBe('no Kubernetes configuration: KUBECONFIG is not set, ~/.kube/config does not exist, and this is not a pod with a service account');
      expect(error.fix).toMatch(/^Set KUBECONFIG to a kubeconfig file/);
      expect(error.backend).toBe('k8s');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a KUBECONFIG file that does not exist', async () => {
    const path = join(volume, 'missing-kubeconfig');
    const error = await refusal(backend({ ...working(), kubeconfig: path }).preflight!());
    expect(error.message).toMatch(new RegExp(`^the Kubernetes configuration \\(${path}\\) cannot be used: `));
    expect(error.fix).toContain('KUBECONFIG');
  });

  it('refuses an API server that refuses connections', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await refusal(backend({ ...working(), kubeconfig: kubeconfigFor(`http://127.0.0.1:${port}`) }).preflight!());
    expect(error.message).toMatch(new RegExp(`^cannot reach the Kubernetes API server at http://127\\.0\\.0\\.1:${port}: `));
    expect(error.fix).toMatch(/cluster is running/);
  });

  it('gives up on an API server that accepts connections and never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const options = { ...working(), kubeconfig: kubeconfigFor(url) };
    const connection = new KubernetesConnection(options);
    try {
      const error = await refusal(preflightKubernetes(connection, options, { timeoutMs: 300 }));
      expect(error.message).toBe(`cannot reach the Kubernetes API server at ${url}: ${url} did not answer within 0.3 s`);
    } finally {
      await connection.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('names the namespace when it has no such claim (listing Jobs of a missing namespace succeeds, as on a real server)', async () => {
    const error = await refusal(backend({ ...working(), namespace: 'elsewhere' }).preflight!());
    expect(error.message).toBe('the PersistentVolumeClaim cfs does not exist in namespace elsewhere');
    expect(error.fix).toContain('POLLINATOR_K8S_NAMESPACE');
  });

  it('names the missing permission and the Role that grants it', async () => {
    const rules = role.rules!.filter((rule) => !rule.resources.includes('jobs'));
    const guarded = await startFakeKubernetes({ namespaces: ['pollinator'], volumes: { cfs: volume }, rbac: { rules } });
    fakes.push(guarded);
    const error = await refusal(backend({ ...working(), kubeconfig: guarded.kubeconfig }).preflight!());
    expect(error.message).toMatch(/^this account may not list Jobs in namespace pollinator \(403\): /);
    expect(error.fix).toContain('docs/kubernetes-rbac.yaml');
  });

  it('refuses without a shared volume', async () => {
    const error = await refusal(backend({ kubeconfig: fake.kubeconfig, namespace: 'pollinator' }).preflight!());
    expect(error.message).toMatch(/^no shared volume is configured/);
    expect(error.fix).toContain('POLLINATOR_K8S_PVC');
  });

  it('names a claim that does not exist', async () => {
    const error = await refusal(backend({ ...working(), volume: { claimName: 'missing-claim', executorPath: volume } }).preflight!());
    expect(error.message).toBe('the PersistentVolumeClaim missing-claim does not exist in namespace pollinator');
    expect(error.fix).toContain('POLLINATOR_K8S_PVC');
  });

  it('names a claim that is not mounted in the executor', async () => {
    const error = await refusal(backend({ ...working(), volume: { claimName: 'cfs', executorPath: join(volume, 'not-mounted') } }).preflight!());
    expect(error.message).toBe(`the claim's mount in the executor, ${join(volume, 'not-mounted')}, is not a directory on this machine`);
    expect(error.fix).toContain('POLLINATOR_K8S_PVC_PATH');
  });
});
