import type { InputDiff, RunDiff, RunRecord, ValueChange } from '@pollinator/core';
import { formatTime } from '../runtime/lookups';
import type { Colors } from './colors';
import { formatBytes, formatDuration, plural } from './format';
import { colorState, shortDigest } from './run-record';

/** A spec value in one line, cut to a readable length. */
function valueText(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function runLine(side: 'a' | 'b', record: RunRecord, duration: number | undefined, c: Colors): string {
  const marker = side === 'a' ? c.red('-') : c.green('+');
  const exit = record.exitCode === undefined ? '' : ` (exit ${record.exitCode})`;
  const ran = duration === undefined ? '' : c.dim(`  ran ${formatDuration(duration)}`);
  return `${marker} ${side}  ${record.processId}  ${colorState(c, record.state)}${exit}${ran}  ${c.dim(`submitted ${formatTime(record.submitted)}`)}`;
}

function inputLines(diff: InputDiff, c: Colors): string[] {
  if (!diff.available) return [c.dim(`not compared: ${diff.reason}`)];
  const lines = [
    ...diff.added.map((file) => `${c.green('+')} ${file.path} ${c.dim(`(${formatBytes(file.size)})`)}`),
    ...diff.removed.map((file) => `${c.red('-')} ${file.path} ${c.dim(`(${formatBytes(file.size)})`)}`),
    ...diff.changed.map((file) => `${c.yellow('~')} ${file.path} ${c.dim(`(${formatBytes(file.a.size)} → ${formatBytes(file.b.size)})`)}`),
  ].sort((x, y) => x.slice(x.indexOf(' ')).localeCompare(y.slice(y.indexOf(' '))));
  const unchanged = diff.unchanged > 0 ? c.dim(`${plural(diff.unchanged, 'file')} the same`) : '';
  if (lines.length === 0) return [unchanged === '' ? c.dim('no files') : c.dim(`same (${plural(diff.unchanged, 'file')})`)];
  return unchanged === '' ? lines : [...lines, unchanged];
}

function changeLine<T>(change: ValueChange<T>, c: Colors, show: (value: T) => string = String): string {
  const text = (value: T | undefined) => (value === undefined ? '(not recorded)' : show(value));
  if (!change.changed) return c.dim(`same${change.a === undefined ? ' (not recorded)' : `: ${text(change.a)}`}`);
  return `${c.red(text(change.a))} → ${c.green(text(change.b))}`;
}

/**
 * `pollinator diff <a> <b>`: a compact, sectioned comparison — the two runs
 * (`-` is a, `+` is b), the spec fields that differ, the src and data files
 * added (`+`), removed (`-`) and changed (`~`) between their snapshots, the
 * image and its digest, the exit codes and the run times.
 */
export function formatRunDiff(diff: RunDiff, c: Colors): string {
  const sections: Array<[string, string[]]> = [
    ['spec', diff.spec.length === 0 ? [c.dim('same')] : diff.spec.map((change) => `${c.yellow('~')} ${change.path}: ${c.red(valueText(change.a))} → ${c.green(valueText(change.b))}`)],
    ['src', inputLines(diff.src, c)],
    ['data', inputLines(diff.data, c)],
    ['image', [changeLine(diff.image, c)]],
    ['digest', [changeLine(diff.imageDigest, c, shortDigest)]],
    ['exit code', [changeLine(diff.exitCode, c)]],
    ['run time', [durationLine(diff.durationMs, c)]],
  ];
  const width = Math.max(...sections.map(([label]) => label.length));
  const lines = [runLine('a', diff.a, diff.durationMs.a, c), runLine('b', diff.b, diff.durationMs.b, c), ''];
  for (const [label, body] of sections) {
    body.forEach((line, index) => lines.push(`${index === 0 ? c.bold(label.padEnd(width)) : ' '.repeat(width)}  ${line}`));
  }
  return lines.join('\n');
}

function durationLine(durations: RunDiff['durationMs'], c: Colors): string {
  const text = (ms: number | undefined) => (ms === undefined ? '(not finished)' : formatDuration(ms));
  if (durations.a === undefined && durations.b === undefined) return c.dim('(neither finished)');
  return `${text(durations.a)} → ${text(durations.b)}`;
}
