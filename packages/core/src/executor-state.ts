/**
 * The executor's state file: which processes it is running, with the backend
 * handle of each job and how far its output was delivered. Written atomically
 * (temporary file, fsync, rename) after every change, mode 0600, so that a
 * restarted executor knows what it was doing when it stopped.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JobHandle, LogCursor } from './backend';

export const STATE_FILE_VERSION = 1;

export interface ExecutorJobRecord {
  processId: string;
  /** The backend job; null while the process is being staged (not started yet). */
  handle: JobHandle | null;
  /** Backend cursor of the output already sent as logs. */
  cursor: LogCursor;
  /** When the executor took the process (ISO time). */
  assignedAt: string;
  /** Exec deadline in ms since the epoch, or null. */
  deadline: number | null;
}

export interface ExecutorStateData {
  version: number;
  /** Set when the executor registered itself: reused after a restart so its processes stay its own. */
  executor: { name: string; id: string; privateKey: string } | null;
  jobs: Record<string, ExecutorJobRecord>;
}

export function emptyState(): ExecutorStateData {
  return { version: STATE_FILE_VERSION, executor: null, jobs: {} };
}

/** Reads the state file; a missing file is an empty state. A corrupt one is an error (never silently dropped). */
export function readStateFile(path: string): ExecutorStateData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  let data: ExecutorStateData;
  try {
    data = JSON.parse(text) as ExecutorStateData;
  } catch (error) {
    throw new Error(`executor state file ${path} is not valid JSON; move it away to start afresh`, { cause: error });
  }
  if (data.version !== STATE_FILE_VERSION || typeof data.jobs !== 'object' || data.jobs === null) {
    throw new Error(`executor state file ${path} has an unknown format (version ${String(data.version)})`);
  }
  data.executor ??= null;
  return data;
}

export function writeStateFile(path: string, data: ExecutorStateData): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(data, null, 2));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** In-memory state mirrored to the file on every change. */
export class ExecutorStateFile {
  readonly path: string;
  #data: ExecutorStateData;

  constructor(path: string) {
    this.path = path;
    this.#data = readStateFile(path);
  }

  get executor(): ExecutorStateData['executor'] {
    return this.#data.executor;
  }

  setExecutor(executor: ExecutorStateData['executor']): void {
    this.#data.executor = executor;
    this.#save();
  }

  jobs(): ExecutorJobRecord[] {
    return Object.values(this.#data.jobs);
  }

  get(processId: string): ExecutorJobRecord | undefined {
    return this.#data.jobs[processId];
  }

  put(record: ExecutorJobRecord): void {
    this.#data.jobs[record.processId] = record;
    this.#save();
  }

  update(processId: string, change: Partial<ExecutorJobRecord>): void {
    const record = this.#data.jobs[processId];
    if (!record) return;
    this.#data.jobs[processId] = { ...record, ...change };
    this.#save();
  }

  remove(processId: string): void {
    if (!(processId in this.#data.jobs)) return;
    delete this.#data.jobs[processId];
    this.#save();
  }

  #save(): void {
    writeStateFile(this.path, this.#data);
  }
}
