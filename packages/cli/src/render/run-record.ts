import type { RunRecord } from '@pollinator/core';
import { between, formatTime } from '../runtime/lookups';
import { formatCause } from './cause';
import type { Colors } from './colors';
import { formatDuration } from './format';

/** Colours a state name the way `ps` and `status` do. */
export function colorState(c: Colors, state: string): string {
  if (state === 'success') return c.green(state);
  if (state === 'failed') return c.red(state);
  if (state === 'cancelled') return c.yellow(state);
  return c.cyan(state);
}

/** `sha256:0123…` → its first 19 characters (algorithm + 12 hex), enough to tell digests apart. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) : ['', digest];
  return `${algorithm === '' ? '' : `${algorithm}:`}${(hex ?? '').slice(0, 12)}`;
}

/**
 * `pollinator show <id>`: the record of one run as labelled lines — what
 * ran (image, snapshots, commit), where and when, and how it ended. A field
 * the run did not record says so and why it matters, instead of being left
 * out: an absent result snapshot is what makes `pull` fall back to the
 * shared label.
 */
export function formatRunRecord(record: RunRecord, c: Colors): string {
  const none = (text: string) => c.dim(text);
  const rows: Array<[string, string]> = [];
  rows.push(['Run', record.processId]);
  rows.push(['Project', record.projectName === '' ? none('(none)') : record.projectName]);
  rows.push(['State', `${colorState(c, record.state)}${record.exitCode === undefined ? '' : ` (exit code ${record.exitCode})`}`]);
  if (record.cause !== undefined) rows.push(['Cause', formatCause(record.cause, c)]);
  rows.push(['Submitted', formatTime(record.submitted)]);
  if (record.started !== undefined && formatTime(record.started) !== '') {
    const queued = between(record.submitted, record.started);
    rows.push(['Started', `${formatTime(record.started)}${queued === undefined ? '' : c.dim(` (after ${formatDuration(queued)} in the queue)`)}`]);
  }
  if (record.ended !== undefined && formatTime(record.ended) !== '') {
    const ran = record.started === undefined ? undefined : between(record.started, record.ended);
    rows.push(['Ended', `${formatTime(record.ended)}${ran === undefined ? '' : c.dim(` (ran ${formatDuration(ran)})`)}`]);
  }
  rows.push(['Executor', `${record.executorName ?? none('(not assigned)')} ${c.dim(`type ${record.executorType}`)}`]);
  rows.push(['Image', imageText(record, c)]);
  rows.push(['Src', record.srcSnapshotId ?? none('not recorded (submitted by a tool that does not record runs)')]);
  rows.push(['Data', record.dataSnapshotId ?? none('not recorded (the job read the shared data label)')]);
  rows.push(['Result', resultText(record, c)]);
  if (record.gitCommit !== undefined) {
    rows.push(['Commit', `${record.gitCommit}${record.gitDirty === true ? c.yellow(' (with uncommitted changes)') : ''}`]);
  }
  if (record.cliVersion !== undefined) rows.push(['Tool', `pollinator ${record.cliVersion}`]);
  if (record.rerunOf !== undefined) rows.push(['Rerun of', record.rerunOf]);
  if (record.retries > 0) rows.push(['Retries', String(record.retries)]);
  for (const error of record.errors) rows.push(['Error', c.red(error)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${c.dim(label.padEnd(width))}  ${value}`).join('\n');
}

function imageText(record: RunRecord, c: Colors): string {
  const image = record.image ?? c.dim('(not recorded)');
  if (record.imageUsed === false) return `${image} ${c.dim('(asked for, not used: the executor ran the job without containers)')}`;
  return record.imageDigest === undefined ? image : `${image} ${c.dim(record.imageDigest)}`;
}

function resultText(record: RunRecord, c: Colors): string {
  if (record.resultSnapshotId !== undefined) return record.resultSnapshotId;
  if (record.state === 'waiting' || record.state === 'running') return c.dim('not yet (taken when the job has uploaded its results)');
  return c.dim('not recorded: `pollinator pull` of this run falls back to the shared result label');
}
