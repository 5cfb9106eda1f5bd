/** What the pages show of a run. */
import type { Run } from './api';

export const TERMINAL_STATES = new Set(['success', 'failed', 'cancelled']);
export const isTerminal = (run: Run): boolean => TERMINAL_STATES.has(run.state);

export function runExecutor(run: Run): string {
  if (run.executorName) return run.executorName;
  return run.executorType ? `any ${run.executorType}` : '—';
}

export function runProject(run: Run): string {
  return run.label || run.funcName || '—';
}

