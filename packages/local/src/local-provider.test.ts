import { describe, expect, it } from 'vitest';
import * as local from './index';
import { localBackendProvider, localOptionsFromEnv } from './local-provider';

describe('localBackendProvider', () => {
  it('creates the local backend with the options the environment gives (none: the defaults)', async () => {
    expect(localBackendProvider.name).toBe('local');
    expect(localOptionsFromEnv({ POLLINATOR_SLURM_PARTITION: 'x', PATH: '/bin' })).toEqual({});
    const backend = localBackendProvider.create({ mode: 'process', isolation: 'rewrite', onWarning: () => undefined });
    expect(backend.name).toBe('local');
    expect(backend.mode).toBe('process');
    await backend.close?.();
  });

  it('is what the package exports, with the factory, and no internals', () => {
    expect(Object.keys(local).sort()).toEqual(['bwrapUsable', 'createLocalBackend', 'localBackendProvider', 'localOptionsFromEnv']);
  });
});
