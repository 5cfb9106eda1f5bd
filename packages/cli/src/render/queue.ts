import { describeProcessQueue, type ProcessQueue } from '@pollinator/core/process-summary';
import type { Colors } from './colors';

/**
 * Where a pending job waits (issue #17), as `status` and `run` print it: the
 * executor's line ("Resources (waiting for nodes to become free); 2 of 3
 * pending in partition 'debug'; estimated start 2026-12-03 12:46 UTC"). A job
 * that will not start by itself is said in red, with what to do in bold.
 */
export function formatQueue(queue: ProcessQueue, c: Colors): string {
  if (queue.blocked === undefined) return c.cyan(describeProcessQueue(queue));
  const at = queue.blocked.lastIndexOf(': ');
  const [what, fix] = at < 0 ? [queue.blocked, undefined] : [queue.blocked.slice(0, at), queue.blocked.slice(at + 2)];
  return `${c.red(`will not start: ${what}`)}${fix === undefined ? '' : `${c.dim(':')} ${c.bold(fix)}`}`;
}
