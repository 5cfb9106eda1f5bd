import type { ProcessCause } from '@pollinator/core';
import type { Colors } from './colors';

/**
 * The failure cause an executor recorded (issue #17), as `status`, `show`
 * and the end of `run` print it: the executor's own line, which says the
 * cause and what to do ("killed: out of memory (peak 15.8 GiB of 16 GiB
 * requested) — raise conditions.mem"). The fix after the dash is set off so
 * the eye finds it.
 */
export function formatCause(cause: ProcessCause, c: Colors, options: { retriedAsAttempt?: number } = {}): string {
  const [what, recordedFix] = splitFix(cause.detail);
  // Already retried by its executor: "run it again" would send the reader to do what is being done.
  const fix = options.retriedAsAttempt === undefined ? recordedFix : `retried as attempt ${options.retriedAsAttempt}`;
  const colour = cause.kind === 'cancelled' ? c.yellow : c.red;
  return fix === undefined ? colour(what) : `${colour(what)} ${c.dim('—')} ${c.bold(fix)}`;
}

function splitFix(detail: string): [string, string | undefined] {
  const at = detail.indexOf(' — ');
  return at < 0 ? [detail, undefined] : [detail.slice(0, at), detail.slice(at + 3)];
}
