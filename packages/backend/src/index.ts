// @pollinator/backend: the contract between the executor runtime and its
// platform backends, and the small kit every backend shares. Its only runtime
// dependency is @pollinator/errors: a backend depends on this, not on all of core.
export {
  isFinalJobStatus,
  type Backend,
  type JobHandle,
  type JobMount,
  type JobPreflight,
  type JobPlacement,
  type JobRequest,
  type JobResources,
  type JobStatus,
  type LogChunk,
  type LogCursor,
} from './backend';
export { BACKEND_ERROR_CODE, BackendError } from './backend-error';
export { BackendPreflightError } from './backend-preflight-error';
export {
  describeJobCause,
  describeJobCauseShort,
  formatDuration,
  formatMemory,
  isJobCauseKind,
  JOB_CAUSE_KINDS,
  jobCauseFix,
  type JobCause,
  type JobCauseKind,
  type StartProblem,
} from './job-cause';
export { jobCauseOf } from './job-cause-of';
export { sameJobQueue, type JobQueue } from './job-queue';
export { defineBackendProvider, type BackendProvider, type EnvironmentVariables } from './backend-provider';
export {
  jobHandleCodec,
  numberField,
  stringField,
  type JobHandleCodec,
  type JobHandleCodecOptions,
  type JobHandleData,
} from './job-handle';
export { MAX_TIMER_DELAY_MS, setChunkedTimeout, sleepChunked, type ChunkedTimer } from './chunked-timer';
export { delay } from './delay';
export { completeUtf8Length } from './utf8-boundary';
export { byteOffsetCursor, fileRangeReader, tailFile, type ReadRange, type TailFileOptions } from './tail-file';
export { JobStatusMemo, type JobStatusMemoOptions } from './status-memo';
export { waitUntilGone, type WaitUntilGoneOptions } from './wait-until-gone';
export {
  DEFAULT_PATH,
  HOST_ENVIRONMENT_NAMES,
  isSecretEnvironmentName,
  pickEnvironment,
  SECRET_ENVIRONMENT_PREFIXES,
} from './environment';
export { backoffDelay, retry, type BackoffOptions, type RetryOptions } from './retry';
export { parseCpuMillicores, parseMemoryBytes } from './resource-units';
export { slurmCpusPerTask, slurmMemoryPerNode, slurmTimeLimit } from './slurm-resources';
export { kubernetesCpuQuantity, kubernetesMemoryQuantity } from './kubernetes-resources';
export { shellJoin, shellQuote } from './shell-quote';
export {
  ignoreStopSignal,
  shortSignalName,
  stopSignalDelayMs,
  type JobStopSignal,
  type JobStopSignalName,
} from './stop-signal';
