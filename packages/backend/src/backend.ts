/**
 * The contract between the executor runtime (`runExecutor`) and a platform
 * backend (local processes, Slurm, Kubernetes). Everything platform-specific
 * lives behind it; everything ColonyOS-specific (assign, logs, CFS staging,
 * close) lives in the runtime. Keep it small: every method here is one more
 * thing each backend must get right, and the shared conformance suite
 * (`testBackend`) checks each of them.
 */
import type { JobCause } from './job-cause';
import type { JobQueue } from './job-queue';
import type { JobStopSignal } from './stop-signal';

/** Resources a job asks for, already parsed from the FunctionSpec conditions. */
export interface JobResources {
  /** Number of nodes (Slurm `--nodes`, Kubernetes parallelism). At least 1. */
  nodes: number;
  /** Processes (tasks) per node. At least 1. */
  processesPerNode: number;
  /** CPU per process in millicores (`"2000m"` → 2000); 0 when the spec gave none. */
  cpuMillicores: number;
  /** Memory per node in bytes; 0 when the spec gave none. */
  memoryBytes: number;
  /** GPUs per node and their model name ('' = any). */
  gpu: { count: number; name: string };
  /** Wall-clock limit in seconds; 0 means no limit. */
  walltimeSeconds: number;
}

/** A directory of the executor's filesystem made visible inside the job. */
export interface JobMount {
  /** Absolute path on the executor (e.g. `<fsDir>`). */
  hostPath: string;
  /** Absolute path the job sees (the spec's `fs.mount`, e.g. `/cfs`). */
  containerPath: string;
}

/** Scheduler placement options a project may set (all optional). */
export interface JobPlacement {
  partition?: string;
  account?: string;
  qos?: string;
}

/** Everything a backend needs to start one ColonyOS process as a job. */
export interface JobRequest {
  /** ColonyOS process id; backends name the job after it (Slurm job name, Kubernetes label). */
  processId: string;
  /** Container image (`kwargs["docker-image"]`), e.g. `python:3.12-slim`. */
  image: string;
  /** Rebuild / re-pull the image even if a cached copy exists (`kwargs["rebuild-image"]`). */
  rebuildImage: boolean;
  /** Shell command run before `command` in the same environment ('' = none). */
  initCommand: string;
  /** Shell command line (`cmd` + ' ' + `args`), run with `/bin/sh -c`. */
  command: string;
  /**
   * The job's environment: the spec's `env`, `PROJECT_DIR`, `COLONIES_PROCESS_ID`.
   * Never contains the executor's own secrets (`COLONIES_*` keys, `AWS_S3_*`);
   * backends must also not leak their own process environment into the job
   * beyond what a container would see (PATH, HOME and the like).
   */
  env: Record<string, string>;
  resources: JobResources;
  /**
   * Directories to bind into the job: one per staged directory of THIS job
   * (`<fsDir><dir>` → `<fs.mount><dir>`), never the whole staging root, so a
   * job cannot see or plant anything in another project's staging.
   */
  mounts: JobMount[];
  /**
   * Host paths the job must never see or reach: the executor's state
   * directory (its key, the state file), key files and identities, and the
   * whole staging root (`fsDir`) except the job's own `mounts`. A backend
   * that isolates the filesystem hides them (an empty tmpfs over each one
   * that exists, before the mounts are bound); one that cannot must say so
   * in its documentation (see docs/security.md).
   */
  protectedPaths: string[];
  placement: JobPlacement;
  /**
   * A signal the job gets `beforeSeconds` ahead of its wall-time limit
   * (`environment.stopSignal`), to every process of the job (`stop-signal.ts`).
   * Absent: none.
   */
  stopSignal?: JobStopSignal;
  /**
   * A private, existing directory on the executor for this job's own files
   * (batch script, output file, exit-code file). Removed by the runtime after close.
   */
  workDir: string;
}

/**
 * A started job. Must be JSON-serialisable: the runtime writes handles to its
 * state file so a restarted executor can `reattach` to jobs still running.
 */
export interface JobHandle {
  /** Backend name that created it. */
  backend: string;
  processId: string;
  /** The backend's own id (pid, Slurm job id, Kubernetes Job name). */
  id: string;
  /** Anything else the backend needs to find the job again (JSON values only). */
  data: Record<string, unknown>;
}

/**
 * Where a job is. `succeeded`, `failed` and `cancelled` are final; their
 * optional `cause` says why in the one vocabulary of every backend
 * (`job-cause.ts`). A job the platform will run again (Slurm requeued it after
 * a preemption) is `pending` with that as its reason, not failed.
 */
export type JobStatus =
  | {
      state: 'pending';
      reason: string;
      /** Where the job stands in the scheduler's queue, when the backend can tell (`job-queue.ts`). */
      queue?: JobQueue;
    }
  | { state: 'running'; nodes: string[] }
  | { state: 'succeeded'; exitCode: 0; nodes?: string[]; cause?: JobCause }
  | {
      state: 'failed';
      /** The job's own exit code when known (null when killed by the platform without one). */
      exitCode: number | null;
      /** One line for humans: "exit code 3", "TIMEOUT: time limit reached", "ImagePullBackOff: …". */
      reason: string;
      /** True when the platform stopped the job for exceeding its wall time. */
      timeLimit?: boolean;
      /** Why, with its details (peak and requested memory, elapsed and limit). */
      cause?: JobCause;
    }
  | { state: 'cancelled'; reason: string; cause?: JobCause };

/** True for `succeeded`, `failed` and `cancelled`: the job will not change any more. */
export function isFinalJobStatus(status: JobStatus): boolean {
  return status.state === 'succeeded' || status.state === 'failed' || status.state === 'cancelled';
}

/** Opaque log position; '' means "from the start". */
export type LogCursor = string;

/** A piece of job output and the cursor just after it. */
export interface LogChunk {
  text: string;
  cursor: LogCursor;
}

/** A backend's answer to "could this job run here?" (`Backend.preflightJob`). */
export interface JobPreflight {
  ok: boolean;
  /** One line for humans, in the platform's words where it gave any. */
  message: string;
  /** The scheduler's estimate of the earliest start (ISO 8601 or the scheduler's own time format), when it gave one. */
  earliestStart?: string;
}

export interface Backend {
  /** `"local"`, `"slurm"`, `"k8s"`, … */
  readonly name: string;
  /**
   * Start the job and return as soon as the platform has accepted it (the job
   * may still be pending). Throws `BackendError` with a clear message when the
   * platform refuses it (bad image, bad partition, …).
   */
  start(job: JobRequest): Promise<JobHandle>;
  /** Current state of the job. Cheap enough to call every second. */
  status(handle: JobHandle): Promise<JobStatus>;
  /**
   * The job's output (stdout and stderr interleaved) from `from` on. Yields
   * chunks as they appear and completes once the job has reached a final
   * state and all of its output has been yielded; stops early when `signal`
   * aborts. Resuming from a cursor never repeats or skips output.
   */
  logs(handle: JobHandle, from: LogCursor, signal?: AbortSignal): AsyncIterable<LogChunk>;
  /** Stop the job. Resolves only when the platform confirms it is gone. Idempotent. */
  cancel(handle: JobHandle): Promise<void>;
  /**
   * Find a job again after an executor restart, from a handle saved in the
   * state file. Resolves `undefined` when the platform no longer knows it
   * (then the runtime fails the process with a clear error).
   */
  reattach?(saved: JobHandle): Promise<JobHandle | undefined>;
  /** Extra process attributes to record once running (e.g. `SLURM-JOBID`). */
  attributes?(handle: JobHandle): Promise<Record<string, string>>;
  /**
   * `false` when this backend runs jobs without containers, so the spec's
   * image is not used (local plain processes, Slurm runtime `none`): the
   * runtime records that next to the image, and a run's record does not claim
   * an image it never ran in. Absent: images are used.
   */
  readonly usesImages?: boolean;
  /**
   * The digest of the image the job ran (`sha256:<64 hex>`), when the
   * platform's runtime resolves one: the sha256 of a pulled Singularity/Apptainer
   * image file, a pod's `containerStatuses[].imageID`, a container engine's
   * image digest. Undefined when there is none (a plain process, an image not
   * pulled). Asked once the job has ended, before the close and before
   * `cleanup`; the runtime records it as `POLLINATOR_IMAGE_DIGEST`, and a
   * failure is only a warning.
   */
  imageDigest?(handle: JobHandle): Promise<string | undefined>;
  /**
   * The host name or IP address a TCP connection reaches the running job at,
   * for a port-forward: `127.0.0.1` for a local process, the first node of a
   * Slurm allocation, the pod's IP on Kubernetes. Undefined while the job has
   * no address yet (pending). Throws `BackendError` when the running job can
   * never be reached (a container without a network address of its own): the
   * forward passes the message on. Never an address that reaches more than
   * the job itself can (not this machine's loopback for a container). Absent:
   * the runtime uses the first of the running status's `nodes`.
   */
  jobAddress?(handle: JobHandle): Promise<string | undefined>;
  /**
   * Checks, before the executor registers, that this backend can run jobs at
   * all (KUBECONFIG and the PVC there, `sbatch` on the PATH, Docker
   * reachable). Throws `BackendError` with the reason and what to do; the
   * executor then exits 78 without registering. Absent: nothing to check.
   */
  preflight?(): Promise<void>;
  /**
   * Asks the platform whether `job` could run, without running it (`pollinator
   * plan --check`): Slurm's `sbatch --test-only` (validity and earliest
   * start), a server-side dry run on Kubernetes. Nothing is pulled, staged or
   * started; `job.workDir` exists and is removed after. Resolves `ok: false`
   * with the platform's own words when it refuses the job; throws only when
   * the platform could not be asked. Absent: the runtime answers that the job
   * is valid for this backend, which has no scheduler to ask.
   */
  preflightJob?(job: JobRequest): Promise<JobPreflight>;
  /** Remove what the backend keeps for a finished job (containers, pods). */
  cleanup?(handle: JobHandle): Promise<void>;
  /** Release connections and timers when the executor shuts down. */
  close?(): Promise<void>;
}
