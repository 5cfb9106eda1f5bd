export type {
  Backend,
  JobHandle,
  JobMount,
  JobPlacement,
  JobRequest,
  JobResources,
  JobStatus,
  LogChunk,
  LogCursor,
} from './backend';
export { isFinalJobStatus } from './backend';
export type { BackendProvider, EnvironmentVariables } from '@pollinator/backend';
export { EXIT_CODE_ATTRIBUTE, ExitCode, type ExitCodeName } from './exit-codes';
export { describeFailure, type FailureCause, type FailureStep } from './failure-cause';
export { RunRecordKey, type RunRecordKeyName, type RunRecordKeyValue } from './run-record-keys';
export { BackendError, BackendPreflightError } from './backend-error';
export { DEFAULT_ASSIGN_TIMEOUT_SECONDS } from './executor-options';
export {
  isTerminalState,
  PROCESS_STATE_NAMES,
  processStateName,
  type DoneEvent,
  type ErrorEvent,
  type LogEvent,
  type PollinatorEvent,
  type PollinatorRun,
  type ProcessRetriedEvent,
  type ProcessStateEvent,
  type ProcessStateName,
  type ProcessSubmittedEvent,
  type ProjectLoadedEvent,
  type RemoteChangedFile,
  type ResultSource,
  type ResultSyncedEvent,
  type RunResult,
  type SnapshotCreatedEvent,
  type SpecBuiltEvent,
  type SyncCounts,
  type SyncDoneEvent,
  type SyncFileEvent,
  type SyncPlanEvent,
  type SyncPlanEventEntry,
  type SyncProgressEvent,
  type SyncSymlinksEvent,
  type SyncTarget,
  type WarningEvent,
} from './events';
export { DRY_RUN_SNAPSHOT_ID, PROJECT_IGNORE_FILE, REMOTE_CHANGED_FIX, runProject, type RunProjectOptions } from './run-project';
export { followProcess, type FollowClient, type FollowProcessOptions } from './follow-process';
export { waitForNewLogs, type WaitLogsQuery } from './follow-process-wait';
export { followAttempts } from './follow-attempts';
export { describeAttemptChain, getAttemptChain, processAttempt, retriedAs, retryOf, type AttemptChain, type ProcessAttempt } from './process-attempts';
export { pullResults, type ProjectDownloadOptions, type PullResultsOptions } from './pull-results';
export { pullInputs, type PullInputsOptions } from './pull-inputs';
export { RESULT_LABEL_FALLBACK } from './result-download';
export { compareTimes, findLastRun, getRunRecord, runRecordOf, type RunRecord } from './run-record';
export { processCause, type ProcessCause } from './process-cause';
export { describeProcessQueue, parseProcessQueue, processQueue, QUEUE_ATTRIBUTE, type ProcessQueue } from './process-queue';
export { gitProvenance, type GitProvenance } from './git-provenance';
export { rerunProcess, type RerunProcessOptions } from './rerun-process';
export { diffRunRecords, type InputDiff, type RunDiff, type SpecChange, type ValueChange } from './run-diff';
export { diffFiles, snapshotFiles, type FilesDiff, type SnapshotFile } from './snapshot-files';
export {
  cancelProcess,
  getProcessSummary,
  listExecutors,
  listProcesses,
  summarizeExecutor,
  summarizeProcess,
  type ExecutorSummary,
  type ListProcessesOptions,
  type ProcessSummary,
  type UnreadableProcessSummary,
} from './process-commands';
export { processExitCode, recordedExitCode, type ProcessOutcomeInput } from './process-outcome';
export {
  defaultCapabilities,
  runExecutor,
  type ExecutorCapabilities,
  type ExecutorClient,
  type ExecutorClock,
  type ExecutorEvent,
  type ExecutorProcess,
  type ExecutorRegistration,
  type ExecutorTimer,
  type RunExecutorOptions,
  type RunningExecutor,
  type ShutdownMode,
} from './run-executor';
export { LogBatcher, type LogBatch, type LogBatcherOptions } from './executor-log-batcher';
export { ExecutorStateFile, readStateFile, type ExecutorJobRecord, type ExecutorStateData } from './executor-state';
export { MAX_TIMER_DELAY_MS, setChunkedTimeout, sleepChunked, type ChunkedTimer } from './chunked-timer';
export { quoteShellWord } from './shell-word';
export { checkSpecNumbers, checkSpecStrings } from './spec-bounds';
export {
  confinedCfsPath,
  isAncestorPath,
  MIN_STAGING_DIR_COMPONENTS,
  SpecFieldError,
  stagedDirectories,
  type StagedDirectory,
} from './staging-paths';
export {
  ensureConfinedDirectory,
  removeConfinedDirectory,
  removeSymlinksBelow,
  SymlinkRefusedError,
  type RemovedSymlink,
} from './confined-directory';
export { StateDirLockedError } from './state-dir-lock';
export {
  buildCommand,
  executorError,
  jobResources,
  parseCpuMillicores,
  parseKwargs,
  parseMemoryBytes,
  stagingPath,
  validateFunctionSpec,
  type ExecutorSpec,
  type ParsedKwargs,
} from './validate-spec';
export { PREFLIGHT_FUNCNAME, preflightOutput, readPreflightOutput, type PreflightAnswer } from './preflight-answer';
export { DEFAULT_PREFLIGHT_WAIT_SECONDS, preflightProject, preflightSpec, type PreflightOptions, type PreflightResult } from './preflight-project';
