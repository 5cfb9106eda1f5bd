/**
 * `runExecutor()`'s options, resolved once: the aliases folded into their
 * canonical names and every default filled in, so the rest of the runtime
 * reads one `ExecutorSettings` and never `??` an option again.
 *
 * The aliases (kept for callers that predate the canonical names):
 * | alias         | canonical          |
 * |---------------|--------------------|
 * | `blobStore`   | `cfs.store`        |
 * | `stateFile`   | `stateDir` (its directory) |
 * | `concurrency` | `maxConcurrency`   |
 * | `name`        | `executorName`     |
 * | `type`        | informational only (a pre-registered executor's type) |
 * A canonical option wins over its alias.
 */
import { dirname, join, resolve } from 'node:path';
import type { BlobStore, CfsMetadata } from '@pollinator/cfs-sync';
import type { Backend } from './backend';
import { realClock, type ExecutorClock } from './executor-clock';
import type {
  ExecutorClient,
  ExecutorEvent,
  ExecutorRegistration,
  RunExecutorOptions,
  ShutdownMode,
} from './executor-types';

export const DEFAULT_MAX_CONCURRENCY = 4;
/**
 * The assign long-poll. A real v1.9.12 server wakes ONE waiting executor per
 * submit, whatever the spec's `executornames`, so a job targeted at this
 * executor may wait until this poll ends and the next one finds it: the poll
 * bounds that wait. 3 s starts a targeted job within 3 s (bench/targeted-assign.ts:
 * p95 2.1 s, max 2.4 s; with the former 10 s p95 7.0 s, max 8.8 s) for 20
 * assigns per minute per idle executor, one cheap query each
 * (docs/running-an-executor.md).
 */
export const DEFAULT_ASSIGN_TIMEOUT_SECONDS = 3;
/** While at capacity, an assign that matches nothing is still sent this often (the server's liveness check). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 240_000;
export const DEFAULT_WATCH_INTERVAL_MS = 2000;
export const DEFAULT_ASSIGN_BACKOFF_INITIAL_MS = 1000;
export const DEFAULT_ASSIGN_BACKOFF_MAX_MS = 30_000;

/** The resolved options every part of the runtime reads. */
export interface ExecutorSettings {
  /** The connection client (with `register`, not the executor's own key). */
  client: ExecutorClient;
  backend: Backend;
  cfs: { store: BlobStore; metadata?: CfsMetadata } | undefined;
  fsDir: string;
  stateDir: string;
  /** Absolute host paths no job may see: `stateDir`, `fsDir` and the caller's `protectedPaths`, once each. */
  protectedPaths: string[];
  colonyName: string | undefined;
  register: ExecutorRegistration | undefined;
  /** The registered name, or the pre-registered executor's name if given. */
  executorName: string | undefined;
  maxConcurrency: number;
  resources: { cpuMillicores?: number; memoryBytes?: number } | undefined;
  assignTimeoutSeconds: number;
  heartbeatIntervalMs: number;
  /** Delay after a failed assign, doubling from `initialMs` up to `maxMs`. */
  assignBackoff: { initialMs: number; maxMs: number };
  watchIntervalMs: number;
  logs: RunExecutorOptions['logs'];
  shutdown: ShutdownMode;
  signal: AbortSignal | undefined;
  handleSignals: boolean;
  onEvent: ((event: ExecutorEvent) => void) | undefined;
  clock: ExecutorClock;
}

/** Folds the aliases, fills the defaults, and refuses options without `stateDir` or `fsDir`. */
export function resolveExecutorOptions(input: RunExecutorOptions): ExecutorSettings {
  const stateDir = input.stateDir || (input.stateFile ? dirname(input.stateFile) : undefined);
  if (!stateDir) throw new TypeError('runExecutor: stateDir is required');
  if (!input.fsDir) throw new TypeError('runExecutor: fsDir is required');
  return {
    client: input.client,
    backend: input.backend,
    cfs: input.cfs ?? (input.blobStore ? { store: input.blobStore } : undefined),
    fsDir: input.fsDir,
    stateDir,
    protectedPaths: [...new Set([stateDir, input.fsDir, ...(input.protectedPaths ?? [])].map((path) => resolve(path)))],
    colonyName: input.colonyName ?? input.client.colonyName,
    register: input.register,
    executorName: input.register?.name ?? input.executorName ?? input.name,
    maxConcurrency: Math.max(1, input.maxConcurrency ?? input.concurrency ?? DEFAULT_MAX_CONCURRENCY),
    resources: input.resources,
    assignTimeoutSeconds: Math.max(1, Math.round(input.assignTimeoutSeconds ?? DEFAULT_ASSIGN_TIMEOUT_SECONDS)),
    heartbeatIntervalMs: input.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    assignBackoff: {
      initialMs: input.assignBackoff?.initialMs ?? DEFAULT_ASSIGN_BACKOFF_INITIAL_MS,
      maxMs: input.assignBackoff?.maxMs ?? DEFAULT_ASSIGN_BACKOFF_MAX_MS,
    },
    watchIntervalMs: input.watchIntervalMs ?? DEFAULT_WATCH_INTERVAL_MS,
    logs: input.logs,
    shutdown: input.shutdown ?? 'finish',
    signal: input.signal,
    handleSignals: input.handleSignals ?? false,
    onEvent: input.onEvent,
    clock: input.clock ?? realClock,
  };
}

/** A job's work directory (inside the state dir, visible to the backend's jobs). */
export function jobWorkDir(settings: Pick<ExecutorSettings, 'stateDir'>, processId: string): string {
  return join(settings.stateDir, 'jobs', processId);
}

/** `{ colonyName }` when the executor has one (else undefined: the client's own), for the calls that take it as an option. */
export function colonyOption(settings: Pick<ExecutorSettings, 'colonyName'>): { colonyName: string } | undefined {
  return settings.colonyName ? { colonyName: settings.colonyName } : undefined;
}
