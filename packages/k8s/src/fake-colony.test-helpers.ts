/**
 * A colony whose executor runs the k8s backend on the fake API server, for
 * tests through the whole executor: an in-process dev-server, `runExecutor()`
 * with the backend (jobs' files staged in the claim's directory), and the
 * user's client. `close()` stops all of it and removes the directories.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBlobStore } from '@pollinator/cfs-sync';
import { createColoniesClient, type ColoniesClient, type FunctionSpecInput, type Process } from '@pollinator/colonies-client';
import { runExecutor, type RunningExecutor } from '@pollinator/core';
import { startDevServer, type DevServer } from '@pollinator/dev-server';
import { startFakeKubernetes, type FakeKubernetes, type FakeNode, type KubeObject } from '@pollinator/test-utils';
import { createKubernetesBackend } from './kubernetes-backend';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';

export const NAMESPACE = 'pollinator';
export const PROCESS_ID_ANNOTATION = 'pollinator.dev/process-id';
const OUT = 1;

export interface FakeColony {
  fake: FakeKubernetes;
  server: DevServer;
  user: ColoniesClient;
  executor: RunningExecutor;
  /** Submits a shell script as an `execute` process for the executor. */
  submit(script: string, extra?: { env?: Record<string, string>; maxretries?: number; mem?: string }): Promise<string>;
  /** The process's log. */
  logText(processId: string): Promise<string>;
  close(): Promise<void>;
}

/** The value of the executor-side (type OUT) attribute `key`. */
export function outValue(process: Process, key: string): string | undefined {
  return (process.attributes ?? []).find((attribute) => attribute.key === key && attribute.attributetype === OUT)?.value;
}

/** Matches the pods of one process. */
export function podsOf(processId: string): (pod: KubeObject) => boolean {
  return (pod) => pod.metadata.annotations?.[PROCESS_ID_ANNOTATION] === processId;
}

export async function startFakeColony(options: { nodes?: FakeNode[]; backend?: KubernetesBackendOptions } = {}): Promise<FakeColony> {
  const root = mkdtempSync(join(tmpdir(), 'pollinator-k8s-colony-'));
  const volume = join(root, 'volume');
  mkdirSync(volume, { recursive: true });
  const fake = await startFakeKubernetes({ namespaces: [NAMESPACE], volumes: { 'pollinator-cfs': volume }, ...(options.nodes ? { nodes: options.nodes } : {}) });
  const server = await startDevServer({ dataDir: join(root, 'server') });
  const { colony, executor: identity } = server.identities;
  const client = (privateKey: string): ColoniesClient => createColoniesClient({ url: server.url, privateKey, colonyName: colony.name });
  const user = client(server.identities.user.privateKey);
  const executor = runExecutor({
    client: client(identity.privateKey),
    backend: createKubernetesBackend({ kubeconfig: fake.kubeconfigPath, volume: { claimName: 'pollinator-cfs', executorPath: volume }, ...options.backend }),
    cfs: { store: createLocalBlobStore({ dir: server.blobDir }) },
    fsDir: join(volume, 'fs'),
    stateDir: join(root, 'state'),
    executorName: identity.name,
    assignTimeoutSeconds: 1,
    watchIntervalMs: 100,
  });
  await executor.ready;
  return {
    fake,
    server,
    user,
    executor,
    async submit(script, extra = {}) {
      const spec: FunctionSpecInput = {
        funcname: 'execute',
        kwargs: { cmd: 'sh', args: ['-c', script], 'docker-image': 'busybox', 'init-cmd': '' },
        maxexectime: 120,
        maxretries: extra.maxretries ?? 2,
        maxwaittime: -1,
        conditions: { executortype: identity.type, nodes: 1, processespernode: 1, cpu: '100m', mem: extra.mem ?? '100Mi', walltime: 120 },
        env: extra.env ?? {},
        fs: { mount: '/cfs', snapshots: [], dirs: [] },
      };
      return (await user.submit(spec)).processid;
    },
    async logText(processId) {
      return (await user.getLogs({ processId, count: 200 })).map((entry) => entry.message).join('');
    },
    async close() {
      await executor.stop('cancel');
      await server.close();
      await fake.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
