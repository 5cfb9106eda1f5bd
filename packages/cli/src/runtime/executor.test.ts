import { describe, expect, it } from 'vitest';
import { backendOptionsFromEnv, BACKEND_NAMES, installedBackends, loadBackendProvider } from './executor';

describe('the backend registry', () => {
  it('loads every backend of the workspace, each provider named as --backend spells it', async () => {
    expect(await installedBackends()).toEqual(['local', 'slurm', 'k8s']);
    for (const name of BACKEND_NAMES) {
      const provider = await loadBackendProvider(name);
      expect(provider.name).toBe(name);
      expect(typeof provider.create).toBe('function');
    }
  });

  it('creates a backend from its typed options', async () => {
    const provider = await loadBackendProvider('local');
    const backend = provider.create({ mode: 'process', isolation: 'rewrite', onWarning: () => undefined });
    expect(backend.name).toBe('local');
    await backend.close?.();
  });

  it('reads each backend’s options from the environment, with the command’s own settings', async () => {
    const warnings: string[] = [];
    const settings = { home: '/data/executors/e1', onWarning: (message: string) => warnings.push(message) };
    const local = await backendOptionsFromEnv('local', { POLLINATOR_SLURM_PARTITION: 'ignored' }, settings);
    expect(Object.keys(local)).toEqual(['onWarning']);
    local.onWarning?.('no bubblewrap');
    expect(warnings).toEqual(['no bubblewrap']);

    const slurm = await backendOptionsFromEnv('slurm', { POLLINATOR_SLURM_PARTITION: 'gpu' }, settings);
    expect(slurm.partition).toBe('gpu');
    expect(slurm.imageDir).toBe('/data/executors/e1/images');
    const ownImages = await backendOptionsFromEnv('slurm', { POLLINATOR_SLURM_IMAGE_DIR: '/scratch/sif' }, settings);
    expect(ownImages.imageDir).toBe('/scratch/sif');

    const k8s = await backendOptionsFromEnv('k8s', { POLLINATOR_K8S_NAMESPACE: 'jobs' }, settings);
    expect(k8s.namespace).toBe('jobs');
  });
});
