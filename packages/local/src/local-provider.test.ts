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

  it('reads POLLINATOR_LOCAL_ISOLATION, so an operator can require bubblewrap', () => {
    expect(localOptionsFromEnv({ POLLINATOR_LOCAL_ISOLATION: 'bwrap' })).toEqual({ isolation: 'bwrap' });
    expect(localOptionsFromEnv({ POLLINATOR_LOCAL_ISOLATION: ' rewrite ' })).toEqual({ isolation: 'rewrite' });
    expect(localOptionsFromEnv({ POLLINATOR_LOCAL_ISOLATION: '' })).toEqual({});
    expect(() => localOptionsFromEnv({ POLLINATOR_LOCAL_ISOLATION: 'chroot' })).toThrow(/POLLINATOR_LOCAL_ISOLATION must be one of auto, bwrap, rewrite, got "chroot"/);
  });

  it('is what the package exports, with the factory, and no internals', () => {
    expect(Object.keys(local).sort()).toEqual(['bwrapUsable', 'createLocalBackend', 'localBackendProvider', 'localOptionsFromEnv']);
  });
});
