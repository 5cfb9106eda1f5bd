import type { FunctionSpec, ProjectIssue } from '@pollinator/spec-builder';
import type { ProcessCause } from './process-cause';
import type { ProcessQueue } from './process-queue';

/**
 * The events `runProject()` (and `followProcess()` / `pullResults()`) yield,
 * in order. One discriminated union on `type`; every event is plain JSON
 * (int64 log timestamps are decimal strings), so a CLI can print it as NDJSON
 * with `JSON.stringify` unchanged.
 *
 * A normal run: `project.loaded` → (`sync.plan` → [`sync.symlinks`] → `sync.progress`/`sync.file`…
 * → `sync.done`) for src, then data → `snapshot.created` → `spec.built` →
 * `process.submitted` → `process.state`/`log`… → (`sync.plan` … for result)
 * → `result.synced` → `done`. (Both `sync.plan`s come before either upload:
 * when a remote file changed since the last sync, the run stops before
 * anything is uploaded with the error `REMOTE_CHANGED`.) A dry run stops after `spec.built` (no
 * `sync.progress`, nothing written), then `done`.
 */
export type PollinatorEvent =
  | ProjectLoadedEvent
  | SyncPlanEvent
  | SyncSymlinksEvent
  | SyncProgressEvent
  | SyncFileEvent
  | SyncDoneEvent
  | SnapshotCreatedEvent
  | SpecBuiltEvent
  | ProcessSubmittedEvent
  | ProcessStateEvent
  | ProcessRetriedEvent
  | LogEvent
  | ResultSyncedEvent
  | WarningEvent
  | ErrorEvent
  | DoneEvent;

/** Which project directory a sync event is about. */
export type SyncTarget = 'src' | 'data' | 'result';

/** Process states by name (ColonyOS numbers 0–4). */
export type ProcessStateName = 'waiting' | 'running' | 'success' | 'failed' | 'cancelled';

export type { PollinatorRun } from './event-channel';

export interface ProjectLoadedEvent {
  type: 'project.loaded';
  dir: string;
  projectName: string;
  /** Non-fatal findings in project.yaml (already formatted `file:line:col path: message`). */
  warnings: string[];
  /** The same warnings, structured. */
  issues: ProjectIssue[];
}

export interface SyncCounts {
  files: number;
  bytes: number;
}

export interface SyncPlanEvent {
  type: 'sync.plan';
  target: SyncTarget;
  dir: string;
  label: string;
  upload: SyncCounts;
  download: SyncCounts;
  conflict: SyncCounts;
  unchanged: SyncCounts;
  /**
   * Files whose remote side changed since this machine last synced them: without
   * `force` they are conflicts and the run stops (REMOTE_CHANGED); with it they
   * are counted in `upload`.
   */
  stale: SyncCounts;
  ignored: number;
  /**
   * Every file that would move, with why (all files in a dry run; omitted
   * otherwise when there are many). A conflict the local side wins is listed as
   * an `upload`; `code` is a stable reason code where there is one (`remote-changed`).
   */
  entries?: SyncPlanEventEntry[];
}

export interface SyncPlanEventEntry {
  path: string;
  action: string;
  size: number;
  reason: string;
  code?: string;
}

/**
 * Symbolic links a sync found and did not follow (after `sync.plan`, only when
 * there are some): `sync.symlinks` in project.yaml decides (default `skip`:
 * none is uploaded). Each entry says why and how to opt in.
 */
export interface SyncSymlinksEvent {
  type: 'sync.symlinks';
  target: SyncTarget;
  dir: string;
  /** The policy in force (`sync.symlinks`). */
  policy: 'skip' | 'inside' | 'follow';
  skipped: {
    /** Relative to `dir`. */
    path: string;
    /** Where the link points, as written in it. */
    target: string;
    /** Short why (`symbolic links are skipped by default`, `target outside the project`, `broken symbolic link`, …). */
    why: string;
    /** The full sentence, with how to opt in. */
    reason: string;
  }[];
}

export interface SyncProgressEvent {
  type: 'sync.progress';
  target: SyncTarget;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface SyncFileEvent {
  type: 'sync.file';
  target: SyncTarget;
  path: string;
  action: 'upload' | 'download';
  size: number;
  /** Where a local edit was kept when the remote version won. */
  backup?: string;
}

export interface SyncDoneEvent {
  type: 'sync.done';
  target: SyncTarget;
  uploaded: SyncCounts;
  downloaded: SyncCounts;
  unchanged: number;
  durationMs: number;
}

export interface SnapshotCreatedEvent {
  type: 'snapshot.created';
  /** Which label was frozen: `src` and `data` at submit (metadata only). */
  target: SyncTarget;
  snapshotId: string;
  name: string;
  label: string;
  files: number;
}

export interface SpecBuiltEvent {
  type: 'spec.built';
  spec: FunctionSpec;
}

export interface ProcessSubmittedEvent {
  type: 'process.submitted';
  processId: string;
  colonyName: string;
}

export interface ProcessStateEvent {
  type: 'process.state';
  processId: string;
  state: ProcessStateName;
  /** Errors the executor or server reported (failed processes). */
  errors: string[];
  /** Times the server re-queued the process after an exec timeout. */
  retries: number;
  /** Why the job failed, once its executor recorded it (process-cause.ts). */
  cause?: ProcessCause;
  /** Where its job waits in the scheduler's queue (process-queue.ts); a new event is emitted when it changes. */
  queue?: ProcessQueue;
}

/** A followed attempt failed and its executor submitted the next one (issue #17, retries): following continues with `retryProcessId`. */
export interface ProcessRetriedEvent {
  type: 'process.retried';
  /** The attempt that failed. */
  processId: string;
  /** The next attempt, followed from now on. */
  retryProcessId: string;
  /** Which attempt `retryProcessId` is (2 for the first retry)… */
  attempt: number;
  /** … of how many the spec allows. */
  attempts: number;
  /** Why the failed attempt failed (`node-failure`, `out-of-memory`, …), when its executor recorded it. */
  cause?: string;
  /** The executor's words for it ("killed: node failure (nid007)"). */
  causeText?: string;
}

export interface LogEvent {
  type: 'log';
  processId: string;
  /** Verbatim, including its own trailing newline when the job printed one. */
  message: string;
  /** Server timestamp, Unix nanoseconds as a decimal string (exact int64). */
  timestamp: string;
  executorName: string;
}

export interface ResultSyncedEvent {
  type: 'result.synced';
  dir: string;
  label: string;
  /**
   * Where the files came from: the run's own result snapshot (the executor
   * recorded `POLLINATOR_RESULT_SNAPSHOT`), or the shared result label's latest
   * files (`fallback: true` when a process was named but its executor recorded
   * no snapshot, e.g. the original Go executor).
   */
  source: ResultSource;
  downloaded: SyncCounts;
  /** Local edits kept aside because the remote version won. */
  backups: { path: string; backup: string }[];
  /** Remote files that could not be downloaded (bad record, missing object): the sync is partial. */
  skipped: { path: string; reason: string }[];
}

export type ResultSource =
  | { kind: 'snapshot'; snapshotId: string; processId: string }
  | { kind: 'label'; label: string; fallback: boolean };

export interface WarningEvent {
  type: 'warning';
  /** Stable code when a caller may want to tell warnings apart (`RESULT_LABEL_FALLBACK`, …). */
  code?: string;
  message: string;
}

export interface ErrorEvent {
  type: 'error';
  /** Stable code: `INVALID_PROJECT`, `SYNC_FAILED`, `SUBMISSION_REJECTED`, `CONNECTION_LOST`, `RESULT_SYNC_FAILED`, … */
  code: string;
  message: string;
  /** The exit code this error leads to (see exit-codes.ts). */
  exitCode: number;
  /** project.yaml problems, for INVALID_PROJECT. */
  issues?: ProjectIssue[];
  /** What to do about it, when there is something to do. */
  fix?: string;
  /**
   * Structured facts for a program (plain JSON). `REMOTE_CHANGED`:
   * `{ files: [{ target, path, localSize, remoteSize, remoteAdded? }] }`.
   */
  details?: Record<string, unknown>;
}

export interface DoneEvent {
  type: 'done';
  result: RunResult;
}

/** One file of a `REMOTE_CHANGED` stop: changed locally, and remotely since this machine last synced it. */
export interface RemoteChangedFile {
  target: SyncTarget;
  path: string;
  localSize: number;
  remoteSize: number;
  /** RFC 3339 time the remote revision was added, when known. */
  remoteAdded?: string;
}

/** How a run (or a follow) ended. */
export interface RunResult {
  /** Undefined when nothing was submitted (invalid project, sync failure, dry run). */
  processId: string | undefined;
  /**
   * The process's last known state; `dry-run` for a dry run and `not-submitted`
   * when the run stopped before submitting.
   */
  state: ProcessStateName | 'dry-run' | 'not-submitted';
  /** The job's exit code, or a reserved code (exit-codes.ts, docs/exit-codes.md). */
  exitCode: number;
  /** True when the run returned without waiting for the end (follow: false, or aborted while following). */
  detached: boolean;
  /** Why the run failed, when it did not end with the job's own exit code. */
  error?: { code: string; message: string };
}

export const PROCESS_STATE_NAMES: readonly ProcessStateName[] = ['waiting', 'running', 'success', 'failed', 'cancelled'];

/** ColonyOS state number → name (unknown numbers count as waiting). */
export function processStateName(state: number): ProcessStateName {
  return PROCESS_STATE_NAMES[state] ?? 'waiting';
}

export function isTerminalState(state: ProcessStateName | number): boolean {
  const name = typeof state === 'number' ? processStateName(state) : state;
  return name === 'success' || name === 'failed' || name === 'cancelled';
}
