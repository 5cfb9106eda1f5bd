import { describe, expect, it } from 'vitest';
import {
  deadlineMargin,
  parseDeadline,
  PROCESS_CANCELLED,
  PROCESS_RUNNING,
  shutdownStop,
  watchDecision,
  type ProcessObservation,
  type WatchFacts,
} from './executor-stop';

const ME = 'e'.repeat(64);
const NOW = Date.parse('2026-12-03T08:00:00Z');
const facts = (overrides: Partial<WatchFacts> = {}): WatchFacts => ({ deadline: null, now: NOW, maxexectime: 60, executorId: ME, ...overrides });
const seen = (state: number, assignedexecutorid = ME, execdeadline?: string): ProcessObservation => ({
  kind: 'process',
  process: { state, assignedexecutorid, ...(execdeadline ? { execdeadline } : {}) },
});

describe('watchDecision', () => {
  const table: [string, ProcessObservation, Partial<WatchFacts>, string | undefined, number | null][] = [
    ['running and ours: go on', seen(PROCESS_RUNNING), {}, undefined, null],
    ['cancelled', seen(PROCESS_CANCELLED), {}, 'cancelled', null],
    ['closed by the server', seen(2), {}, 'lost', null],
    ['re-assigned to another executor', seen(PROCESS_RUNNING, 'f'.repeat(64)), {}, 'lost', null],
    ['no assigned executor: still ours', seen(PROCESS_RUNNING, ''), {}, undefined, null],
    ['removed from the colony (404)', { kind: 'missing' }, { deadline: NOW - 1 }, 'lost', NOW - 1],
    ['server out of reach, before the deadline', { kind: 'unreachable' }, { deadline: NOW + 10_000 }, undefined, NOW + 10_000],
    ['server out of reach, past the deadline: the deadline still holds', { kind: 'unreachable' }, { deadline: NOW + 1000 }, 'deadline', NOW + 1000],
    ['the server\'s deadline, within the margin', seen(PROCESS_RUNNING, ME, new Date(NOW + 1999).toISOString()), {}, 'deadline', NOW + 1999],
    ['the server\'s deadline, beyond the margin', seen(PROCESS_RUNNING, ME, new Date(NOW + 2001).toISOString()), {}, undefined, NOW + 2001],
    ['Go\'s zero time keeps the known deadline', seen(PROCESS_RUNNING, ME, '0001-01-01T00:00:00Z'), { deadline: NOW + 500 }, 'deadline', NOW + 500],
    ['cancelled wins over the deadline', seen(PROCESS_CANCELLED), { deadline: NOW - 1 }, 'cancelled', NOW - 1],
  ];
  it.each(table)('%s', (_name, observation, overrides, stop, deadline) => {
    const decision = watchDecision(observation, facts(overrides));
    expect(decision.stop?.reason).toBe(stop);
    expect(decision.deadline).toBe(deadline);
  });

  it('names maxexectime in the deadline stop', () => {
    expect(watchDecision({ kind: 'unreachable' }, facts({ deadline: NOW })).stop?.message).toBe('maxexectime of 60 s exceeded, the job was stopped');
  });
});

describe('deadline helpers', () => {
  it('stops 10% of maxexectime early, at least 1 s but at most half of it, at most 2 s, never for a negative maxexectime', () => {
    expect([deadlineMargin(1), deadlineMargin(5), deadlineMargin(15), deadlineMargin(60), deadlineMargin(-1), deadlineMargin(0)]).toEqual([500, 1000, 1500, 2000, 0, 0]);
  });

  it("parses the server's deadline; none for empty, Go's zero time or garbage", () => {
    expect(parseDeadline('2026-12-03T08:00:00Z')).toBe(NOW);
    expect([parseDeadline(undefined), parseDeadline(''), parseDeadline('0001-01-01T00:00:00Z'), parseDeadline('soon')]).toEqual([null, null, null, null]);
  });

  it('a shutdown stops jobs by mode: finish lets them run', () => {
    expect(shutdownStop('finish')).toBeUndefined();
    expect(shutdownStop('detach')?.reason).toBe('detach');
    expect(shutdownStop('cancel')?.reason).toBe('shutdown-cancel');
  });
});
