import { describe, expect, it } from 'vitest';
import { slurmOptionsFromEnv } from './options-from-env';

describe('slurmOptionsFromEnv', () => {
  it('reads the POLLINATOR_SLURM_* variables', () => {
    expect(
      slurmOptionsFromEnv({
        POLLINATOR_SLURM_RUNTIME: 'apptainer',
        POLLINATOR_SLURM_RUNTIME_COMMAND: '/opt/apptainer/bin/apptainer',
        POLLINATOR_SLURM_IMAGE_DIR: '/scratch/images',
        POLLINATOR_SLURM_PARTITION: 'gpu',
        POLLINATOR_SLURM_ACCOUNT: 'proj42',
        POLLINATOR_SLURM_QOS: 'normal',
        POLLINATOR_SLURM_MODULES: 'apptainer/1.3, cuda/12',
        POLLINATOR_SLURM_SBATCH_LINES: '--constraint=a100\n#SBATCH --exclusive\n',
        POLLINATOR_SLURM_SETUP: 'source /etc/profile.d/site.sh',
        POLLINATOR_SLURM_GPU_OPTION: 'gpus-per-node',
        POLLINATOR_SLURM_SRUN: 'false',
        POLLINATOR_SLURM_ENV_APPTAINER_CACHEDIR: '/scratch/cache',
        COLONIES_PRVKEY: 'not an option',
      }),
    ).toEqual({
      runtime: 'apptainer',
      runtimeCommand: '/opt/apptainer/bin/apptainer',
      imageDir: '/scratch/images',
      partition: 'gpu',
      account: 'proj42',
      qos: 'normal',
      modules: ['apptainer/1.3', 'cuda/12'],
      sbatchLines: ['--constraint=a100', '#SBATCH --exclusive'],
      setupLines: ['source /etc/profile.d/site.sh'],
      gpuOption: 'gpus-per-node',
      srun: false,
      siteEnv: { APPTAINER_CACHEDIR: '/scratch/cache' },
    });
  });

  it("reads the original HPC executor's names", () => {
    expect(
      slurmOptionsFromEnv({ SLURM_PARTITION: 'boost_usr_prod', SLURM_ACCOUNT: 'euhpc', SLURM_MODULE: 'singularity/3.8.7', EXECUTOR_IMAGE_DIR: '/s/images', EXECUTOR_ROCM: 'true' }),
    ).toEqual({
      partition: 'boost_usr_prod',
      account: 'euhpc',
      modules: ['singularity/3.8.7'],
      imageDir: '/s/images',
      gpuOption: 'gpus-per-node',
      gpuRuntimeFlag: 'rocm',
    });
  });

  it('reads the pull timeout in seconds or with a unit, and names a bad one', () => {
    expect(slurmOptionsFromEnv({ POLLINATOR_SLURM_PULL_TIMEOUT: '90' }).pullTimeoutMs).toBe(90_000);
    expect(slurmOptionsFromEnv({ POLLINATOR_SLURM_PULL_TIMEOUT: '45m' }).pullTimeoutMs).toBe(2_700_000);
    expect(slurmOptionsFromEnv({ POLLINATOR_SLURM_PULL_TIMEOUT: '2h' }).pullTimeoutMs).toBe(7_200_000);
    expect(() => slurmOptionsFromEnv({ POLLINATOR_SLURM_PULL_TIMEOUT: 'soon' })).toThrow(
      'POLLINATOR_SLURM_PULL_TIMEOUT="soon" is not valid: use seconds or a duration such as 90s, 45m, 2h',
    );
  });

  it('says which value is wrong', () => {
    expect(() => slurmOptionsFromEnv({ POLLINATOR_SLURM_RUNTIME: 'docker' })).toThrow('POLLINATOR_SLURM_RUNTIME="docker" is not valid: use singularity, apptainer, none');
    expect(() => slurmOptionsFromEnv({ POLLINATOR_SLURM_SRUN: 'maybe' })).toThrow(/use true or false/);
  });
});
