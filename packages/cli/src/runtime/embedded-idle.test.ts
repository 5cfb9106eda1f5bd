import { describe, expect, it } from 'vitest';
import { DEFAULT_IDLE_TIMEOUT_MS, idleTimeoutFromEnv, watchIdle } from './embedded-idle';

describe('idleTimeoutFromEnv', () => {
  it('reads seconds, or a number with ms, s, m or h; unset or empty is the default; 0 never stops', () => {
    expect(idleTimeoutFromEnv({})).toBe(DEFAULT_IDLE_TIMEOUT_MS);
    expect(DEFAULT_IDLE_TIMEOUT_MS).toBe(600_000);
    expect(idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: '' })).toBe(DEFAULT_IDLE_TIMEOUT_MS);
    expect(idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: '90' })).toBe(90_000);
    expect(idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: '30s' })).toBe(30_000);
    expect(idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: '10m' })).toBe(600_000);
    expect(idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: '1h' })).toBe(3_600_000);
    expect(idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: '250ms' })).toBe(250);
    expect(idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: '0' })).toBe(0);
  });

  it('refuses anything else, naming the variable (a configuration error)', () => {
    expect(() => idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: 'ten minutes' })).toThrow(/POLLINATOR_DEV_IDLE_TIMEOUT must be a duration, got "ten minutes"/);
    expect(() => idleTimeoutFromEnv({ POLLINATOR_DEV_IDLE_TIMEOUT: '-5' })).toThrow(/POLLINATOR_DEV_IDLE_TIMEOUT/);
  });
});

describe('watchIdle', () => {
  it('stops only after a stretch with nothing going on, and says when it will', async () => {
    const answers = [true, true, false];
    const changes: Array<Date | null> = [];
    let checks = 0;
    await new Promise<void>((resolve) => {
      watchIdle({
        timeoutMs: 2000,
        busy: async () => {
          checks += 1;
          return answers.shift() ?? false;
        },
        onChange: (at) => changes.push(at),
        onIdle: async () => {
          resolve();
          return true;
        },
      });
    });
    // Busy for two checks, then idle until the timeout ran out: one change to busy, one to "stops at".
    expect(checks).toBeGreaterThan(3);
    expect(changes[0]).toBeNull();
    expect(changes[1]).toBeInstanceOf(Date);
    expect(changes).toHaveLength(2);
  });

  it('keeps going when something started just before the stop (onIdle says false)', async () => {
    let idles = 0;
    await new Promise<void>((resolve) => {
      watchIdle({
        timeoutMs: 1000,
        busy: async () => false,
        onChange: () => undefined,
        onIdle: async () => {
          idles += 1;
          if (idles === 2) resolve();
          return idles === 2;
        },
      });
    });
    expect(idles).toBe(2);
  });

  it('counts a failing check as busy, and never stops with a timeout of 0', async () => {
    let stopped = false;
    const stop = watchIdle({ timeoutMs: 0, busy: async () => false, onChange: () => undefined, onIdle: async () => (stopped = true) });
    stop();
    const changes: Array<Date | null> = [];
    await new Promise<void>((resolve) => {
      let calls = 0;
      const stopWatching = watchIdle({
        timeoutMs: 2000,
        busy: async () => {
          calls += 1;
          if (calls >= 3) {
            stopWatching();
            resolve();
          }
          throw new Error('server slow');
        },
        onChange: (at) => changes.push(at),
        onIdle: async () => (stopped = true),
      });
    });
    expect(stopped).toBe(false);
    expect(changes).toEqual([null]);
  });
});
