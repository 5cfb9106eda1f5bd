import { describe, expect, it } from 'vitest';
import { stateNotice, type NoticeInput, type NoticeMemory } from './state-notices';

const pending = (slurmReason: string | undefined, pendedMs = 10_000): NoticeInput => ({
  jobId: '77',
  status: { state: 'pending', reason: 'whatever' },
  slurmReason,
  pendedMs,
  pendingNoticeDelayMs: 5000,
});

describe('stateNotice', () => {
  it('notices each pending reason once, after the delay, and the start after a reason', () => {
    const memory: NoticeMemory = {};
    expect(stateNotice(memory, pending('Priority', 1000))).toBeUndefined();
    expect(stateNotice(memory, pending('None'))).toBeUndefined();
    expect(stateNotice(memory, pending(undefined))).toBeUndefined();
    expect(stateNotice(memory, pending('Priority'))).toBe('[pollinator] Slurm job 77 is pending: Priority (waiting for higher-priority jobs)\n');
    expect(stateNotice(memory, pending('Priority'))).toBeUndefined();
    expect(stateNotice(memory, pending('Resources'))).toBe('[pollinator] Slurm job 77 is pending: Resources (waiting for nodes to become free)\n');
    const started = { ...pending(undefined), status: { state: 'running', nodes: ['nid001'] } } satisfies NoticeInput;
    expect(stateNotice(memory, started)).toBe('[pollinator] Slurm job 77 started on nid001\n');
    expect(stateNotice(memory, started)).toBeUndefined();
  });

  it('says nothing about a start no pending notice came before', () => {
    expect(stateNotice({}, { ...pending(undefined), status: { state: 'running', nodes: [] } })).toBeUndefined();
  });
});
