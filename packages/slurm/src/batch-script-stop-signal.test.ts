/**
 * The batch script of a job with a stop signal (golden): `--signal=B:USR1@t`
 * and the launch in the background of a batch shell that passes the signal on
 * to the launch's process group. Scripts without one stay as they were (the
 * goldens of batch-script.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ignoreStopSignal, type JobRequest, type JobStopSignal } from '@pollinator/backend';
import { testJobRequest } from '@pollinator/backend/test';
import { buildBatchScript, renderBatchScript, type BatchScriptSettings } from './batch-script';

const PID = 'a3f1c0de5b7e4c2d9f8a6b1e0d3c5a7f9e2b4d6c8a0f1e3d5b7c9a1e3f5d7b9c';
const STOP: JobStopSignal = { signal: 'SIGUSR1', beforeSeconds: 120 };

function job(overrides: Partial<JobRequest> = {}): JobRequest {
  return testJobRequest(ignoreStopSignal('python3 /cfs/pollinator/proj/snap/src/train.py', STOP), '/scratch/pollinator/work/' + PID, {
    processId: PID,
    image: 'python:3.12-slim',
    env: { PROJECT_DIR: '/cfs/pollinator/proj', COLONIES_PROCESS_ID: PID },
    mounts: [{ hostPath: '/scratch/pollinator/cfs', containerPath: '/cfs' }],
    resources: { walltimeSeconds: 3600 },
    stopSignal: STOP,
    ...overrides,
  });
}

const SETTINGS: BatchScriptSettings = {
  runtime: 'singularity',
  runtimeCommand: 'singularity',
  imagePath: '/scratch/pollinator/images/python_3.12-slim-0123456789ab.sif',
  gpuOption: 'gres',
  gpuRuntimeFlag: 'nv',
  sbatchLines: [],
  modules: [],
  setupLines: [],
  siteEnv: {},
  secretPrefixes: ['COLONIES_', 'AWS_S3_', 'EXECUTOR_'],
  srun: true,
  mountWrapper: 'bwrap',
  pathKind: () => undefined,
};

describe('batch script with a stop signal', () => {
  it('asks Slurm for the signal to the batch shell and passes it on to the launch (golden)', async () => {
    const script = renderBatchScript(buildBatchScript(job(), { ...SETTINGS, partition: 'debug' }));
    expect(script).toContain('#SBATCH --signal=B:USR1@120\n');
    expect(script).toContain("trap : USR1; python3 /cfs/pollinator/proj/snap/src/train.py");
    await expect(script).toMatchFileSnapshot('./__fixtures__/singularity-stop-signal.sbatch');
  });

  it('uses the short signal name Slurm and bash take', () => {
    const script = renderBatchScript(buildBatchScript(job({ stopSignal: { signal: 'SIGTERM', beforeSeconds: 300 } }), SETTINGS));
    expect(script).toContain('#SBATCH --signal=B:TERM@300\n');
    expect(script).toContain(`trap 'kill -s TERM -- -"$pollinator_launch" 2>/dev/null' TERM`);
  });

  it('runs bubblewrap (runtime none) with the signal ignored and gives it back to the job inside', () => {
    const script = renderBatchScript(buildBatchScript(job(), { ...SETTINGS, runtime: 'none', mountWrapper: 'bwrap' }));
    expect(script).toContain('setsid srun env --ignore-signal=USR1 bwrap --dev-bind / / ');
    expect(script).toContain(" -- env --default-signal=USR1 /bin/sh -c 'trap : USR1; python3 /cfs/pollinator/proj/snap/src/train.py' &\n");
  });

  it('adds nothing to a job without one', () => {
    const script = renderBatchScript(buildBatchScript(job({ stopSignal: undefined }), SETTINGS));
    expect(script).not.toContain('--signal');
    expect(script).not.toContain('setsid');
  });
});
