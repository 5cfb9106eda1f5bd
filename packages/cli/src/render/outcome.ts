import type { ErrorEvent, ProcessCause, RunResult } from '@pollinator/core';
import { formatProjectIssue } from '@pollinator/spec-builder/project-issues';
import { CliError } from '../errors';
import { CliExitCode } from '../exit-codes';
import { formatBytes, formatDuration } from './format';
import { formatTime } from '../runtime/lookups';
import { formatCause } from './cause';
import { renderError } from './error';
import type { Output } from './output';

function clean(message: string): string {
  return message.replace(/^(\[[^\]]+\]\s*)+/, '').trim();
}

/** Turns an `error` event of a run into an explained CLI error (what, why, what to do). */
export function errorFromEvent(event: ErrorEvent, processId: string | undefined): CliError {
  const base = { exitCode: event.exitCode, code: event.code };
  switch (event.code) {
    case 'INVALID_PROJECT': {
      const issues = event.issues ?? [];
      const details = issues.length > 0 ? issues.map(formatProjectIssue) : clean(event.message).split('\n').slice(issues.length > 0 ? 1 : 0).map((line) => line.trim()).filter((line) => line !== '');
      const count = issues.length > 0 ? ` (${issues.length === 1 ? '1 problem' : `${issues.length} problems`})` : '';
      return new CliError(`project.yaml is invalid${count}`, {
        ...base,
        why: 'nothing was uploaded or submitted',
        fix: 'Fix the file and run again; `pollinator new` shows a valid example and docs/project-yaml.md has the reference.',
        details: details.length > 0 && details[0] !== undefined && /invalid project/i.test(details[0]) ? details.slice(1) : details,
      });
    }
    case 'SYNC_FAILED':
      // Core classifies by cause (describeFailure); what is left here has no better advice than core's.
      return new CliError('Uploading the project failed', {
        ...base,
        why: clean(event.message),
        fix: `Nothing was submitted and nothing half-written was kept. ${eventFix(event) ?? 'Run again with -v to see the whole error.'}`,
      });
    case 'SUBMISSION_REJECTED':
      return new CliError('The colony refused the job', {
        ...base,
        why: clean(event.message),
        fix: 'Check that COLONIES_PRVKEY is a member of COLONIES_COLONY_NAME (`pollinator config`) and that the project\'s conditions can be met (`pollinator executors`).',
      });
    case 'CONNECTION_LOST':
      return new CliError('Lost the connection to the Colonies server', {
        ...base,
        why: clean(event.message),
        fix: processId === undefined ? 'Check the server and `pollinator ps`.' : `The job may still be running: \`pollinator status ${processId}\`, \`pollinator logs ${processId} --follow\`.`,
      });
    case 'RESULT_SYNC_FAILED':
      return new CliError('Downloading cfs/result failed', {
        ...base,
        why: clean(event.message),
        fix: `The results are still in CFS: \`pollinator pull${processId === undefined ? '' : ` ${processId}`}\` downloads them. ${eventFix(event) ?? ''}`.trim(),
      });
    case 'ABORTED':
      return new CliError('Interrupted', { ...base, why: clean(event.message) });
    default: {
      // Core's classified failures carry their own advice (`fix`) and facts (`details`).
      const { fix, details } = event as ErrorEvent & { fix?: string; details?: Record<string, unknown> };
      const [what = event.code, ...more] = clean(event.message).split('\n');
      return new CliError(what, {
        ...base,
        ...(fix === undefined ? {} : { fix }),
        details: [...more.map((line) => line.trim()).filter((line) => line !== ''), ...detailLines(details)],
      });
    }
  }
}

/** The advice core put into the event (describeFailure's `fix`), when it did. */
function eventFix(event: ErrorEvent): string | undefined {
  const { fix } = event as ErrorEvent & { fix?: string };
  return typeof fix === 'string' && fix !== '' ? fix : undefined;
}

interface FileFacts {
  localSize?: unknown;
  remoteSize?: unknown;
  remoteAdded?: unknown;
}

/** ` (yours 1.2 kB; the remote one 3.4 kB, uploaded 2026-12-03 09:21:58)` for a file a stale-copy stop names. */
function fileFacts(file: FileFacts): string {
  const yours = typeof file.localSize === 'number' ? `yours ${formatBytes(file.localSize)}` : undefined;
  const remoteParts = [
    typeof file.remoteSize === 'number' ? formatBytes(file.remoteSize) : undefined,
    typeof file.remoteAdded === 'string' && formatTime(file.remoteAdded) !== '' ? `uploaded ${formatTime(file.remoteAdded)}` : undefined,
  ].filter((part) => part !== undefined);
  const remote = remoteParts.length > 0 ? `the remote one ${remoteParts.join(', ')}` : undefined;
  const facts = [yours, remote].filter((part) => part !== undefined);
  return facts.length > 0 ? ` (${facts.join('; ')})` : '';
}

/** `details` of a core error event as lines: lists of files one per line, other facts as `key: value`. */
function detailLines(details: Record<string, unknown> | undefined): string[] {
  if (details === undefined) return [];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (Array.isArray(value)) {
      for (const item of value.slice(0, 20)) {
        const record = item as { target?: unknown; path?: unknown } | null;
        lines.push(typeof item === 'string' ? item : record !== null && typeof record.path === 'string' ? `${typeof record.target === 'string' ? `cfs/${record.target}/` : ''}${record.path}${fileFacts(item as FileFacts)}` : JSON.stringify(item));
      }
      if (value.length > 20) lines.push(`… and ${value.length - 20} more ${key}`);
    } else if (value !== undefined) {
      lines.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return lines;
}

/** Prints the errors of a run (one paragraph each) without repeating them as JSON events. */
export function renderRunErrors(output: Output, errors: ErrorEvent[], processId: string | undefined): void {
  for (const event of errors) renderError(output, errorFromEvent(event, processId), { jsonEvent: false });
}

/** How to get back to a process that is still running. */
export function reattachHints(output: Output, processId: string, embedded: boolean): void {
  const c = output.colors;
  output.line(`  ${c.dim('follow   ')} pollinator logs ${processId} --follow`);
  output.line(`  ${c.dim('status   ')} pollinator status ${processId}`);
  output.line(`  ${c.dim('cancel   ')} pollinator cancel ${processId}`);
  output.line(`  ${c.dim('results  ')} pollinator pull ${processId}`);
  if (embedded) {
    output.line(
      c.dim('  On the embedded default, jobs make progress only while an executor runs: keep `pollinator dev` running in another terminal.'),
    );
  }
}

/** The last line of a followed run: what happened and the exit code, then the failure cause the executor recorded. */
export function renderOutcome(output: Output, result: RunResult, elapsedMs: number, processErrors: string[], cause?: ProcessCause): void {
  const c = output.colors;
  switch (result.state) {
    case 'success':
      output.line(`${c.green('✔')} ${c.bold('Succeeded')} in ${formatDuration(elapsedMs)}`);
      break;
    case 'failed': {
      const reason = processErrors.filter((error) => error.trim() !== '').join('; ');
      const what =
        result.exitCode === CliExitCode.TIME_LIMIT
          ? 'Stopped at its time limit'
          : result.exitCode === CliExitCode.EXECUTOR_LOST
            ? 'Lost by its executor'
            : `Failed with exit code ${result.exitCode}`;
      output.line(`${c.red('✖')} ${c.bold(what)}${reason === '' ? '' : `: ${reason}`}`);
      // A plain non-zero exit says nothing the line above does not; the other causes (out of memory, node failure…) do.
      if (cause !== undefined && cause.kind !== 'failed') output.line(`  ${formatCause(cause, c)}`);
      break;
    }
    case 'cancelled':
      output.line(`${c.yellow('✖')} ${c.bold('Cancelled')}`);
      break;
    default:
      break;
  }
}
