/**
 * The types of `runExecutor()`: the client methods it calls, its options,
 * its events and the handle it returns.
 */
import type { CfsClientLike, BlobStore, CfsMetadata } from '@pollinator/cfs-sync';
import type { FunctionSpecInput, JsonValue } from '@pollinator/colonies-client';
import type { Backend, JobHandle, JobStatus } from './backend';
import type { ExecutorClock } from './executor-clock';
import type { ExecutorSpec } from './validate-spec';

/** The process fields the runtime reads (structurally a `@pollinator/colonies-client` Process). */
export interface ExecutorProcess {
  processid: string;
  state: number;
  assignedexecutorid: string;
  isassigned?: boolean;
  execdeadline?: string;
  /** How often the server re-queued it after its exec deadline (each re-queue is an attempt). */
  retries?: number;
  spec: ExecutorSpec & { conditions: ExecutorSpec['conditions'] & { colonyname?: string } };
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * The client methods the runtime calls: a `ColoniesClient` from
 * `@pollinator/colonies-client` fits (structural, so tests can pass a fake).
 */
export interface ExecutorClient extends CfsClientLike {
  readonly id: string | undefined;
  readonly colonyName?: string | undefined;
  as(privateKey: string): ExecutorClient;
  assign(
    request: { timeout?: number; availableCpu?: string; availableMem?: string; colonyName?: string },
    options?: CallOptions,
  ): Promise<ExecutorProcess | null>;
  getProcess(processId: string, options?: CallOptions): Promise<ExecutorProcess>;
  addLog(processId: string, message: string, options?: CallOptions): Promise<void>;
  closeSuccessful(processId: string, out?: JsonValue[], options?: CallOptions): Promise<void>;
  closeFailed(processId: string, errors: string[] | string, options?: CallOptions): Promise<void>;
  addAttribute(
    attribute: { processId: string; key: string; value: string; type?: 0 | 1 | 2 | 3; colonyName?: string },
    options?: CallOptions,
  ): Promise<unknown>;
  addExecutor(
    executor: {
      executorid: string;
      executorname: string;
      executortype: string;
      colonyname?: string;
      locationname?: string;
      capabilities?: ExecutorCapabilities;
    },
    options?: CallOptions,
  ): Promise<unknown>;
  approveExecutor(executorName: string, options?: CallOptions & { colonyName?: string }): Promise<void>;
  removeExecutor(executorName: string, options?: CallOptions & { colonyName?: string }): Promise<void>;
  getExecutor(executorName: string, options?: CallOptions & { colonyName?: string }): Promise<{ state: number; executorid: string }>;
  addFunction(fn: { funcname: string; executorname?: string; colonyname?: string }, options?: CallOptions): Promise<unknown>;
  removeSnapshot(query: { snapshotId: string; colonyName?: string }, options?: CallOptions): Promise<void>;
  /** Submits the next attempt of a failed process (retries); a client without it retries nothing. */
  submit?(spec: FunctionSpecInput, options?: CallOptions): Promise<{ processid: string }>;
}

/** Executor capabilities, v1.9.6+ shape (arrays). */
export interface ExecutorCapabilities {
  hardware?: {
    model?: string;
    nodes?: number;
    cpu?: string;
    cores?: number;
    mem?: string;
    storage?: string;
    gpu?: { name?: string; mem?: string; count?: number; nodecount?: number };
    platform?: string;
    architecture?: string;
    network?: string[];
  }[];
  software?: { name: string; type: string; version: string }[];
}

/** Self-registration with the colony owner key (add + approve at start, remove at shutdown). */
export interface ExecutorRegistration {
  /** Colony owner private key (COLONIES_COLONY_PRVKEY). */
  colonyPrivateKey: string;
  /** Executor name, unique in the colony. */
  name: string;
  /** Executor type; `container-executor` (what Pollinator submits to) by default. */
  type?: string;
  capabilities?: ExecutorCapabilities;
  locationName?: string;
  /** Remove the executor from the colony on shutdown (default true; never in `detach` mode). */
  removeOnShutdown?: boolean;
}

/** What happens to running jobs on shutdown (SIGTERM, `stop()`, the abort signal). */
export type ShutdownMode =
  /** Stop assigning; let running jobs finish, upload and close them; then exit (default). */
  | 'finish'
  /** Stop assigning and following; leave the jobs running in the backend, recorded in the state file; a restarted executor re-attaches to them. */
  | 'detach'
  /** Stop assigning; cancel running jobs and close them failed ("executor shut down"). */
  | 'cancel';

export type ExecutorEvent =
  | { type: 'registered'; executorName: string; executorId: string; selfRegistered: boolean }
  | { type: 'assigned'; processId: string; funcname: string }
  | { type: 'job.started'; processId: string; handle: JobHandle }
  | { type: 'job.reattached'; processId: string; handle: JobHandle }
  | { type: 'job.finished'; processId: string; status: JobStatus }
  | { type: 'process.closed'; processId: string; success: boolean; error?: string; exitCode?: number }
  | { type: 'process.abandoned'; processId: string; reason: string }
  /** A failed attempt was retried: `retryProcessId` is attempt `attempt` of `attempts` (submitted before the failed one was closed). */
  | { type: 'process.retried'; processId: string; retryProcessId: string; attempt: number; attempts: number; cause: string }
  | { type: 'warning'; message: string; processId?: string; cause?: unknown }
  /** A port-forward relayed for a running job: one line (connection opened, refused, closed; the forward ended). */
  | { type: 'forward'; processId: string; message: string }
  | { type: 'shutdown'; mode: ShutdownMode };

export interface RunExecutorOptions {
  /**
   * A Colonies client. Without `register`, its key is the executor's own
   * (pre-registered: `colonies executor add … --approve`). With `register`, it
   * only provides the connection and colony; the executor's key is generated.
   */
  client: ExecutorClient;
  backend: Backend;
  /** CFS access for staging: the blob store, and metadata (default: through `client`). */
  cfs?: { store: BlobStore; metadata?: CfsMetadata };
  /** Directory where CFS dirs are staged (`<fsDir><dir>`, mounted at `fs.mount`). */
  fsDir: string;
  /** Directory for the state file and the jobs' work dirs (must be visible to the backend's jobs). */
  stateDir: string;
  /**
   * Further host paths no job may see or reach (besides `stateDir` and
   * `fsDir`, which are always protected): key files, the embedded
   * dev-server's data directory with `identities.json`, … They reach the
   * backend as `JobRequest.protectedPaths`.
   */
  protectedPaths?: string[];
  colonyName?: string;
  register?: ExecutorRegistration;
  /** Name of a pre-registered executor (used to register the `execute` function; optional). */
  executorName?: string;
  /** Jobs run at once (default 4). */
  maxConcurrency?: number;
  /** What this executor may hand out in total; assign then carries availablecpu/availablemem. */
  resources?: { cpuMillicores?: number; memoryBytes?: number };
  /** Long-poll of one assign call in seconds (default 3: bounds how long a job targeted at this executor may wait; also how long shutdown may wait for it). */
  assignTimeoutSeconds?: number;
  /** While at capacity, an assign that cannot match is still sent this often (heartbeat; default 240 000 ms). */
  heartbeatIntervalMs?: number;
  /** Delay after a failed assign, doubling up to `maxMs` (default 1000 → 30 000 ms). */
  assignBackoff?: { initialMs?: number; maxMs?: number };
  /**
   * How often a running process is checked for cancel (default 2000 ms). The
   * exec deadline has its own timer: the job is stopped 10% of maxexectime
   * (at most 2 s) before the server's deadline.
   */
  watchIntervalMs?: number;
  /** Log batching (see LogBatcher). */
  logs?: { maxBatchBytes?: number; flushIntervalMs?: number; partialLineMs?: number };
  /** Shutdown behaviour (default `finish`). */
  shutdown?: ShutdownMode;
  /** Aborting it shuts the executor down (with `shutdown` mode). */
  signal?: AbortSignal;
  /** Install SIGTERM / SIGINT handlers that shut down (default false; the CLI turns it on). */
  handleSignals?: boolean;
  onEvent?: (event: ExecutorEvent) => void;
  /**
   * Time as the executor sees it: deadlines, back-off, heartbeats and polls
   * (default: real time). Tests pass their own to drive deadlines.
   */
  clock?: ExecutorClock;
  /** Alias of `cfs.store` (accepted for callers that pass the blob store directly). */
  blobStore?: BlobStore;
  /** Alias: the state file's directory becomes `stateDir`. */
  stateFile?: string;
  /** Alias of `maxConcurrency`. */
  concurrency?: number;
  /** Alias of `executorName` (a pre-registered executor's name). */
  name?: string;
  /** Executor type of a pre-registered executor (informational). */
  type?: string;
}

export interface RunningExecutor {
  /** Resolves once registered and re-attached; rejects when startup fails. */
  readonly ready: Promise<{ executorName: string | undefined; executorId: string }>;
  /** Resolves when the executor has shut down. */
  readonly done: Promise<void>;
  /** Shut down (idempotent); resolves with `done`. */
  stop(mode?: ShutdownMode): Promise<void>;
  /** Ids of the processes being run now. */
  running(): string[];
}
