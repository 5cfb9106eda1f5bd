import { describe, expect, it } from 'vitest';
import { followSchedule, nextFollowStep, type FollowObservation } from './follow-process-schedule';

const settings = followSchedule(500);
const RUNNING = 1;
const WAITING = 0;

function observed(overrides: Partial<FollowObservation>): FollowObservation {
  return { mode: 'poll', state: RUNNING, lines: 0, sinceLinesMs: Infinity, sinceLogReadMs: 0, sinceProcessMs: 0, ...overrides };
}

/** Requests per second of a schedule followed for `steps` steps, each step's reads taking no time. */
function requestRate(start: FollowObservation, lines: (step: number) => number, steps: number): number {
  let clock = 0;
  let requests = 0;
  let linesAt = -Infinity;
  let processAt = -Infinity;
  let logReadAt = -Infinity;
  let observation = start;
  for (let index = 0; index < steps; index += 1) {
    const step = nextFollowStep(observation, settings);
    clock += step.delayMs;
    const found = step.logs === 'none' ? 0 : lines(index);
    if (step.logs !== 'none') {
      requests += 1;
      logReadAt = clock;
    }
    if (found > 0) linesAt = clock;
    if (step.process) {
      requests += 1;
      processAt = clock;
    }
    observation = observed({ ...start, lines: found, sinceLinesMs: clock - linesAt, sinceLogReadMs: clock - logReadAt, sinceProcessMs: clock - processAt });
  }
  return requests / (clock / 1000);
}

describe('nextFollowStep', () => {
  it('reads everything at once the first time, in either mode', () => {
    for (const mode of ['poll', 'wait'] as const) {
      expect(nextFollowStep(observed({ mode, state: undefined }), settings)).toEqual({ delayMs: 0, logs: 'get', process: true });
    }
  });

  it('polling, idle: log and process every 500 ms, as the original', () => {
    expect(nextFollowStep(observed({ sinceLinesMs: 60_000 }), settings)).toEqual({ delayMs: 500, logs: 'get', process: true });
  });

  it('polling, while lines flow: the log sooner, the process about once a second', () => {
    const justNow = nextFollowStep(observed({ lines: 3, sinceLinesMs: 0, sinceProcessMs: 0 }), settings);
    expect(justNow).toEqual({ delayMs: 375, logs: 'get', process: false });
    const later = nextFollowStep(observed({ lines: 0, sinceLinesMs: 700, sinceProcessMs: 700 }), settings);
    expect(later).toEqual({ delayMs: 375, logs: 'get', process: true });
    // Flowing ends after the window: back to the idle pace.
    expect(nextFollowStep(observed({ sinceLinesMs: 2000 }), settings).delayMs).toBe(500);
  });

  it('polling, while the process waits for an executor: only the process (nothing can be logged yet)', () => {
    expect(nextFollowStep(observed({ state: WAITING }), settings)).toEqual({ delayMs: 500, logs: 'none', process: true });
  });

  it('polling never sends more requests per second than the old loop (two per 500 ms)', () => {
    const old = 2 / 0.5;
    const steady = requestRate(observed({}), () => 1, 200);
    const idle = requestRate(observed({}), () => 0, 200);
    const everyThird = requestRate(observed({}), (step) => (step % 3 === 0 ? 1 : 0), 200);
    for (const rate of [steady, idle, everyThird]) expect(rate).toBeLessThanOrEqual(old);
    expect(requestRate(observed({ state: WAITING }), () => 0, 50)).toBe(2);
  });

  it('waiting on the dev-server: at once after no line, spaced after lines; the process only when a wait found none', () => {
    const wait = observed({ mode: 'wait' });
    expect(nextFollowStep({ ...wait, lines: 0 }, settings)).toEqual({ delayMs: 0, logs: 'wait', process: true });
    expect(nextFollowStep({ ...wait, lines: 5, sinceLogReadMs: 10 }, settings)).toEqual({ delayMs: 265, logs: 'wait', process: false });
    expect(nextFollowStep({ ...wait, lines: 5, sinceLogReadMs: 400 }, settings)).toEqual({ delayMs: 0, logs: 'wait', process: false });
    // Lines for a long time: the process is still looked at now and then.
    expect(nextFollowStep({ ...wait, lines: 5, sinceLogReadMs: 400, sinceProcessMs: 6000 }, settings).process).toBe(true);
  });

  it('waiting on the dev-server, a job logging without pause: no more log reads than the old loop', () => {
    // Every wait finds lines at once (the worst case): reads are spaced minLogReadIntervalMs apart.
    expect(requestRate(observed({ mode: 'wait' }), () => 1, 200)).toBeLessThanOrEqual(2 / 0.5);
  });

  it('scales every pause with the idle interval', () => {
    expect(followSchedule(50)).toEqual({
      idleIntervalMs: 50,
      flowingIntervalMs: 38,
      flowWindowMs: 200,
      processIntervalMs: 100,
      minLogReadIntervalMs: 28,
      waitMs: 100,
    });
  });
});
