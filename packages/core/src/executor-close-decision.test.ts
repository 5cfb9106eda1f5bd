import { describe, expect, it } from 'vitest';
import type { JobStatus } from './backend';
import { decideClose, keepsProcess, type CloseDecision } from './executor-close-decision';
import { StopJob, type StopReason } from './executor-stop';

const succeeded: JobStatus = { state: 'succeeded', exitCode: 0 };
const failedWithCode: JobStatus = { state: 'failed', exitCode: 7, reason: 'exit code 7' };
const failedNoCode: JobStatus = { state: 'failed', exitCode: null, reason: 'OOMKilled' };
const timeLimit: JobStatus = { state: 'failed', exitCode: 137, reason: 'TIMEOUT: time limit reached', timeLimit: true };
const platformCancel: JobStatus = { state: 'cancelled', reason: 'scancel by root' };
const neverFinal: JobStatus = { state: 'running', nodes: [] };

const stop = (reason: StopReason) => new StopJob(reason, `stopped: ${reason}`);
const UPLOAD = 'ContainerExecutor: upload refused (label /result): Failed to sync to filesystem, onProcessStart=false';

/** [case, why following stopped, final status, upload failure, decision] */
const table: [string, StopReason | undefined, JobStatus, string | undefined, CloseDecision][] = [
  ['cancelled by the user: abandoned', 'cancelled', succeeded, undefined, { action: 'abandon', reason: 'stopped: cancelled' }],
  ['lost (re-queued): abandoned, even when failed', 'lost', failedWithCode, undefined, { action: 'abandon', reason: 'stopped: lost' }],
  [
    'past the deadline: failed, 124',
    'deadline',
    platformCancel,
    undefined,
    { action: 'close-failed', message: 'ContainerExecutor: stopped: deadline: Failed to execute process', exitCode: 124 },
  ],
  [
    'shut down in cancel mode: failed, no exit code',
    'shutdown-cancel',
    platformCancel,
    undefined,
    { action: 'close-failed', message: 'ContainerExecutor: the executor was shut down, the job was cancelled: Failed to execute process' },
  ],
  ['succeeded and uploaded: successful', undefined, succeeded, undefined, { action: 'close-successful' }],
  ['succeeded, upload failed: failed, 74', undefined, succeeded, UPLOAD, { action: 'close-failed', message: UPLOAD, exitCode: 74 }],
  [
    'failed with an exit code',
    undefined,
    failedWithCode,
    undefined,
    { action: 'close-failed', message: 'ContainerExecutor: Exit with an error, exit code = 7: Failed to execute process', exitCode: 7 },
  ],
  [
    'failed with an exit code, upload failed too',
    undefined,
    failedWithCode,
    UPLOAD,
    { action: 'close-failed', message: `ContainerExecutor: Exit with an error, exit code = 7: Failed to execute process (and: ${UPLOAD})`, exitCode: 7 },
  ],
  [
    'killed without an exit code: the reason, no exit code',
    undefined,
    failedNoCode,
    undefined,
    { action: 'close-failed', message: 'ContainerExecutor: OOMKilled: Failed to execute process' },
  ],
  [
    "the platform's time limit: the reason, 124",
    undefined,
    timeLimit,
    undefined,
    { action: 'close-failed', message: 'ContainerExecutor: TIMEOUT: time limit reached: Failed to execute process', exitCode: 124 },
  ],
  [
    'cancelled by the platform',
    undefined,
    platformCancel,
    undefined,
    { action: 'close-failed', message: 'ContainerExecutor: the job was cancelled outside Pollinator (fake: scancel by root): Failed to execute process' },
  ],
  [
    'a status that is not final names its state',
    undefined,
    neverFinal,
    undefined,
    { action: 'close-failed', message: 'ContainerExecutor: the job was cancelled outside Pollinator (fake: running): Failed to execute process' },
  ],
  [
    'detached, then the job ended by itself: by its status',
    'detach',
    succeeded,
    undefined,
    { action: 'close-successful' },
  ],
];

describe('decideClose (the close decision table)', () => {
  it.each(table)('%s', (_name, reason, status, uploadError, expected) => {
    expect(decideClose({ stop: reason ? stop(reason) : undefined, status, uploadError, backendName: 'fake' })).toEqual(expected);
  });

  it('keeps the process (upload, attributes, close) unless it was cancelled or lost', () => {
    expect(keepsProcess(undefined)).toBe(true);
    expect(['deadline', 'shutdown-cancel', 'detach', 'cancelled', 'lost'].map((reason) => keepsProcess(stop(reason as StopReason)))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
