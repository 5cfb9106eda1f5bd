import { describe, expect, it } from 'vitest';
import * as slurm from './index';

describe('@pollinator/slurm public surface', () => {
  it('exports the factory, the provider, the environment reader and the image cache (for executor warm/images), nothing internal', () => {
    expect(Object.keys(slurm).sort()).toEqual(['createSlurmBackend', 'openSlurmImageCache', 'slurmBackendProvider', 'slurmOptionsFromEnv']);
  });

  it('the provider creates the backend from the options the environment asks for', async () => {
    expect(slurm.slurmBackendProvider.name).toBe('slurm');
    const options = slurm.slurmBackendProvider.optionsFromEnv({ POLLINATOR_SLURM_RUNTIME: 'none', POLLINATOR_SLURM_PARTITION: 'gpu' });
    expect(options).toEqual({ runtime: 'none', partition: 'gpu' });
    const backend = slurm.slurmBackendProvider.create(options);
    expect(backend.name).toBe('slurm');
    await backend.close?.();
  });
});
