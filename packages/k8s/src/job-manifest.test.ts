/**
 * Golden tests of the Job manifest: each case's manifest is pinned in
 * `__fixtures__/` (update with `vitest -u` after a deliberate change) and
 * validated against the upstream Kubernetes schema plus the API server's
 * semantic rules (the same validation the fake API server applies).
 */
import { describe, expect, it } from 'vitest';
import { kubernetesMemoryQuantity as memoryQuantity, type JobRequest } from '@pollinator/backend';
import { validateObject } from '@pollinator/test-utils';
import { buildJobManifest, jobName, jobScript, processIdLabel } from './job-manifest';
import type { KubernetesBackendOptions } from './kubernetes-backend-options';

const PROCESS_ID = '5f1c0d9a2b3e4f5061728394a5b6c7d8e9f00112233445566778899aabbccdd';

function request(overrides: Partial<JobRequest> = {}): JobRequest {
  return {
    processId: PROCESS_ID,
    image: 'python:3.12-slim',
    rebuildImage: false,
    initCommand: 'pip3 install numpy',
    command: 'python3 /cfs/pollinator/demo/snap-1/src/main.py',
    env: { PROJECT_DIR: '/cfs/pollinator/demo', COLONIES_PROCESS_ID: PROCESS_ID },
    resources: { nodes: 1, processesPerNode: 1, cpuMillicores: 1000, memoryBytes: 1000 * 2 ** 20, gpu: { count: 0, name: '' }, walltimeSeconds: 600 },
    mounts: [{ hostPath: '/var/lib/pollinator/cfs', containerPath: '/cfs' }],
    protectedPaths: [],
    placement: {},
    workDir: '/var/lib/pollinator/work/1',
    ...overrides,
  };
}

const base: KubernetesBackendOptions & { namespace: string; name: string } = {
  namespace: 'colonyos',
  name: jobName(PROCESS_ID, 'a1b2c3'),
  volume: { claimName: 'pollinator-cfs', executorPath: '/var/lib/pollinator/cfs' },
};

const cases: [string, JobRequest, Partial<KubernetesBackendOptions>][] = [
  ['default project (1 node, 1 process, cpu, mem, walltime)', request(), {}],
  [
    'multi-node MPI-style job with GPUs (2 nodes x 4 processes, 4 GPUs per node, named model)',
    request({
      resources: { nodes: 2, processesPerNode: 4, cpuMillicores: 2500, memoryBytes: 16 * 2 ** 30, gpu: { count: 4, name: 'NVIDIA-A100-SXM4-80GB' }, walltimeSeconds: 3600 },
      rebuildImage: true,
    }),
    { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }], imagePullSecrets: ['registry'], executorName: 'kube-executor-1' },
  ],
  [
    'odd GPU count on several processes, no limits, no walltime, subPath mount, quoting',
    request({
      initCommand: '',
      command: `echo "it's \\"quoted\\"" && printf '%s\\n' $HOME '<&>'`,
      env: { PROJECT_DIR: '/cfs/pollinator/demo', GREETING: 'a "b" $c & <d>', COLONIES_PRVKEY: 'must-not-appear', EXECUTOR_FS_DIR: '/x', AWS_S3_SECRET: 'nope', COLONIES_PROCESS_ID: PROCESS_ID },
      resources: { nodes: 1, processesPerNode: 2, cpuMillicores: 0, memoryBytes: 3 * 10 ** 9, gpu: { count: 3, name: '' }, walltimeSeconds: 0 },
      mounts: [{ hostPath: '/var/lib/pollinator/cfs/executors/one', containerPath: '/cfs' }],
    }),
    { cpuLimits: false, gpuNodeSelectorKey: 'accelerator', ttlSecondsAfterFinished: 120, pendingTimeoutSeconds: 30, jobServiceAccountName: 'pollinator-jobs' },
  ],
];

describe('buildJobManifest (golden)', () => {
  it.each(cases)('%s', async (title, job, options) => {
    const manifest = buildJobManifest(job, { ...base, ...options });
    expect(validateObject('jobs', JSON.parse(JSON.stringify(manifest)))).toEqual([]);
    const file = `./__fixtures__/job-${title.split(' ')[0]!.replace(/[^a-z]/gi, '').toLowerCase()}-${cases.findIndex(([name]) => name === title)}.json`;
    await expect(`${JSON.stringify(manifest, null, 2)}\n`).toMatchFileSnapshot(file);
  });

  it('never passes the executor secrets and sorts the env', () => {
    const manifest = buildJobManifest(cases[2]![1], { ...base });
    const env = manifest.spec!.template.spec!.containers[0]!.env!.map((variable) => variable.name);
    expect(env).not.toContain('COLONIES_PRVKEY');
    expect(env).not.toContain('EXECUTOR_FS_DIR');
    expect(env).not.toContain('AWS_S3_SECRET');
    expect(env).toContain('COLONIES_PROCESS_ID');
    const declared = env.slice(0, 3);
    expect(declared).toEqual([...declared].sort());
  });

  it('refuses mounts outside the shared volume and jobs with mounts but no volume', () => {
    expect(() => buildJobManifest(request({ mounts: [{ hostPath: '/elsewhere', containerPath: '/cfs' }] }), base)).toThrow(/not on the shared volume/);
    expect(() => buildJobManifest(request(), { namespace: 'x', name: 'y' })).toThrow(/no shared volume is configured/);
    expect(buildJobManifest(request({ mounts: [] }), { namespace: 'x', name: 'y' }).spec!.template.spec!.volumes).toBeUndefined();
  });

  // Issue #13, case 2: a pod sees only its own staged directories of the claim, never the whole staging root.
  it('mounts each staged dir of the job as its own subPath of the claim, and nothing else of it', () => {
    const manifest = buildJobManifest(
      request({
        mounts: [
          { hostPath: '/var/lib/pollinator/cfs/pollinator/demo/data', containerPath: '/cfs/pollinator/demo/data' },
          { hostPath: '/var/lib/pollinator/cfs/pollinator/demo/result', containerPath: '/cfs/pollinator/demo/result' },
          { hostPath: '/var/lib/pollinator/cfs/pollinator/demo/snap-1/src', containerPath: '/cfs/pollinator/demo/snap-1/src' },
        ],
        protectedPaths: ['/var/lib/pollinator/cfs', '/var/lib/pollinator/state'],
      }),
      base,
    );
    for (const container of manifest.spec!.template.spec!.containers) {
      expect(container.volumeMounts).toEqual([
        { name: expect.any(String), mountPath: '/cfs/pollinator/demo/data', subPath: 'pollinator/demo/data' },
        { name: expect.any(String), mountPath: '/cfs/pollinator/demo/result', subPath: 'pollinator/demo/result' },
        { name: expect.any(String), mountPath: '/cfs/pollinator/demo/snap-1/src', subPath: 'pollinator/demo/snap-1/src' },
      ]);
    }
    expect(manifest.spec!.template.spec!.volumes).toEqual([{ name: expect.any(String), persistentVolumeClaim: { claimName: 'pollinator-cfs' } }]);
  });

  it('refuses nonsense layouts and a missing image', () => {
    expect(() => buildJobManifest(request({ resources: { ...request().resources, nodes: 0 } }), base)).toThrow(/nodes/);
    expect(() => buildJobManifest(request({ resources: { ...request().resources, processesPerNode: 1.5 } }), base)).toThrow(/processesPerNode/);
    expect(() => buildJobManifest(request({ image: '' }), base)).toThrow(/image/);
  });
});

describe('manifest helpers', () => {
  it('derives label-safe process ids and short job names', () => {
    expect(processIdLabel(PROCESS_ID)).toHaveLength(63);
    expect(processIdLabel('--a/b c--')).toBe('a-b-c');
    expect(jobName(PROCESS_ID, 'abc123')).toBe('pollinator-5f1c0d9a2b3e-abc123');
    expect(jobName('Weird ID!', 'x')).toBe('pollinator-weirdid-x');
  });

  it('writes memory in the largest binary unit that divides it', () => {
    expect(memoryQuantity(2 ** 30)).toBe('1Gi');
    expect(memoryQuantity(1000 * 2 ** 20)).toBe('1000Mi');
    expect(memoryQuantity(1536)).toBe('1536');
    expect(memoryQuantity(3 * 1024)).toBe('3Ki');
  });

  it('runs the init command first in the same shell, joined by a newline', () => {
    expect(jobScript({ initCommand: 'pip install x # comment', command: 'python3 main.py' })).toBe('pip install x # comment\npython3 main.py');
    expect(jobScript({ initCommand: '  ', command: 'true' })).toBe('true');
  });
});
