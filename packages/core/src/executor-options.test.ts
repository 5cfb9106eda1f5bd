import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realClock } from './executor-clock';
import { resolveExecutorOptions } from './executor-options';
import type { RunExecutorOptions } from './executor-types';
import { FakeBackend, FakeClient } from './run-executor.test-helpers';

const base = (): RunExecutorOptions => ({ client: new FakeClient(), backend: new FakeBackend(), fsDir: '/srv/fs', stateDir: '/srv/state' });

describe('resolveExecutorOptions', () => {
  it('fills the defaults', () => {
    const settings = resolveExecutorOptions(base());
    expect(settings).toMatchObject({
      colonyName: 'dev',
      maxConcurrency: 4,
      assignTimeoutSeconds: 3,
      heartbeatIntervalMs: 240_000,
      watchIntervalMs: 2000,
      assignBackoff: { initialMs: 1000, maxMs: 30_000 },
      shutdown: 'finish',
      handleSignals: false,
      executorName: undefined,
      cfs: undefined,
    });
    expect(settings.clock).toBe(realClock);
    expect(settings.protectedPaths).toEqual(['/srv/state', '/srv/fs']);
  });

  it('folds the aliases into their canonical options', () => {
    const store = { kind: 'blob store' } as unknown as NonNullable<RunExecutorOptions['blobStore']>;
    // stateDir is required by the type; an empty one is what JavaScript callers of the alias leave out.
    const settings = resolveExecutorOptions({ ...base(), stateDir: '', stateFile: '/var/lib/pollinator/state.json', concurrency: 2, name: 'worker', blobStore: store });
    expect(settings).toMatchObject({ stateDir: '/var/lib/pollinator', maxConcurrency: 2, executorName: 'worker', cfs: { store } });
  });

  it('prefers a canonical option over its alias, and the registered name over both', () => {
    const settings = resolveExecutorOptions({ ...base(), stateFile: '/elsewhere/state.json', maxConcurrency: 3, concurrency: 9, executorName: 'a', name: 'b' });
    expect(settings).toMatchObject({ stateDir: '/srv/state', maxConcurrency: 3, executorName: 'a' });
    const registered = resolveExecutorOptions({ ...base(), executorName: 'a', register: { colonyPrivateKey: 'k', name: 'self' } });
    expect(registered.executorName).toBe('self');
  });

  it('clamps the concurrency and the assign timeout to at least 1', () => {
    expect(resolveExecutorOptions({ ...base(), maxConcurrency: 0, assignTimeoutSeconds: 0.2 })).toMatchObject({ maxConcurrency: 1, assignTimeoutSeconds: 1 });
  });

  it('protects each path once, absolute', () => {
    const settings = resolveExecutorOptions({ ...base(), protectedPaths: ['/srv/state', 'keys/executor.key'] });
    expect(settings.protectedPaths).toEqual(['/srv/state', '/srv/fs', resolve('keys/executor.key')]);
  });

  it('refuses options without stateDir or fsDir', () => {
    expect(() => resolveExecutorOptions({ ...base(), stateDir: '' })).toThrow(new TypeError('runExecutor: stateDir is required'));
    expect(() => resolveExecutorOptions({ ...base(), fsDir: '' })).toThrow(new TypeError('runExecutor: fsDir is required'));
  });
});
