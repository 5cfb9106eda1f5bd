// The JSON the dashboard's local API answers, in one home: the server modules
// build these and the page imports them type-only (nothing of this file
// reaches the bundle). Types only and no imports, so the page's compiler (no
// Node types) reads it too. The server assigns core's summaries to them, so a
// field core renames or retypes fails the build here, not in the browser.

/** ColonyOS process states by name. */
export type RunState = 'waiting' | 'running' | 'success' | 'failed' | 'cancelled';

/** Where a waiting run's job is in its scheduler's queue (core's `ProcessQueue`). */
export interface RunQueue {
  /** "Resources (waiting for nodes to become free)". */
  reason: string;
  reasonCode: string;
  partition?: string;
  position?: number;
  of?: number;
  estimatedStart?: string;
  blocked?: string;
}

/** A run as `/api/runs` lists it: core's process summary, its executor and its duration. */
export interface RunSummary {
  processId: string;
  state: RunState;
  /** The project (the spec's label). */
  label: string;
  funcName: string;
  executorType: string;
  submissionTime: string;
  startTime: string;
  endTime: string;
  retries: number;
  errors: string[];
  /** Exit code per docs/exit-codes.md, for finished runs. */
  exitCode?: number;
  /** Why the job failed, when its executor recorded it. */
  cause?: { kind: string; detail: string };
  queue?: RunQueue;
  executorId: string;
  /** Name of the executor that ran it ('' while unassigned or when it is gone). */
  executorName: string;
  /** Milliseconds from start to end (to now while running); absent before it started. */
  durationMs?: number;
}

/** `/api/runs`. */
export interface RunsListing {
  runs: RunSummary[];
  /** Processes the colony returned that could not be decoded: listed by id and reason, never hidden. */
  unreadable: { processId?: string; state: RunState; reason: string }[];
}

export interface TimelineStep {
  state: RunState;
  at: string;
}

export interface RunAttribute {
  key: string;
  value: string;
  type: 'in' | 'out' | 'err' | 'env' | 'unknown';
}

/** `/api/runs/:id`: one run in full. */
export interface RunDetail {
  run: RunSummary;
  attributes: RunAttribute[];
  /** The function spec as the colony holds it. */
  spec: Record<string, unknown>;
  timeline: TimelineStep[];
  initiatorName: string;
}

export interface LogEntry {
  message: string;
  /** The entry's exact timestamp (digits: a JSON number would round it): pass the last one as `after` to continue. */
  cursor: string;
  executorName: string;
}

/** `/api/runs/:id/log`. */
export interface LogPage {
  entries: LogEntry[];
  /** Where to continue (`after`), the given cursor when nothing was new. */
  cursor: string;
  /** True when the run has ended and this page holds the last of its log. */
  complete: boolean;
}

export interface ResultFile {
  path: string;
  size: number;
  checksum: string;
  added: string;
}

/** `/api/runs/:id/results`. */
export interface RunResults {
  /** The snapshot the files come from; absent when the executor recorded none (yet). */
  snapshotId?: string;
  files: ResultFile[];
  /** Why there is nothing to show, for the page. */
  note?: string;
}

/** `POST /api/runs/:id/rerun`: the new run. */
export interface RerunReply {
  /** The new process. */
  processId: string;
  /** The process it repeats (recorded as POLLINATOR_RERUN_OF in the new spec's env). */
  rerunOf: string;
  /** What the user should know about the new run (e.g. its data is read from the label as it is now). */
  warnings: { code?: string; message: string }[];
}

/** One executor of `/api/executors` (core's executor summary, and what it can run). */
export interface ExecutorView {
  name: string;
  type: string;
  id: string;
  state: 'pending' | 'approved' | 'rejected' | 'unregistered';
  lastHeardFrom: string;
  location: string;
  /** Projects with an allocation on this executor (Colonies `allocations.projects`). */
  projects: string[];
  /** Each project seen in the colony's recent runs: whether this executor can take its jobs, and if not, why not. */
  runnable: { project: string; canRun: boolean; reason: string }[];
  hardware: { model: string; cpu: string; memory: string; gpus: number; nodes: number }[];
}

/** `/api/files`. */
export interface FilesOverview {
  labels: { name: string; files: number }[];
  snapshots: { snapshotId: string; name: string; label: string; files: number; added: string }[];
}

/** `/api/files?label=`: the files of one label, each with every revision. */
export interface LabelFiles {
  label: string;
  files: { name: string; size: number; checksum: string; revisions: { fileId: string; size: number; checksum: string; added: string; sequence: number }[] }[];
}
