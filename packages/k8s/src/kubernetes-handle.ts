/** The Kubernetes backend's job handles: the Job's name, namespace and uid, and the job's layout. */
import { jobHandleCodec, numberField, stringField } from '@pollinator/backend';
import { BACKEND_NAME } from './job-manifest';

/** What a handle's `data` holds (all JSON). */
export type KubernetesHandleData = {
  namespace: string;
  uid: string;
  nodes: number;
  processesPerNode: number;
  walltimeSeconds: number;
};

export const kubernetesHandles = jobHandleCodec<KubernetesHandleData>({
  backend: BACKEND_NAME,
  decode(data) {
    const namespace = stringField(data, 'namespace');
    if (namespace === undefined) return undefined;
    return {
      namespace,
      uid: stringField(data, 'uid', ''),
      nodes: numberField(data, 'nodes', 1),
      processesPerNode: numberField(data, 'processesPerNode', 1),
      walltimeSeconds: numberField(data, 'walltimeSeconds', 0),
    };
  },
  invalid: (handle) => `handle of job ${handle.id} has no namespace`,
});
