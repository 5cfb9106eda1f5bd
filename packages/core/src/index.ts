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
export { EXIT_CODE_ATTRIBUTE, ExitCode, type ExitCodeName } from './exit-codes';
export { BackendError } from './backend-error';
export {
  runExecutor,
  type ExecutorCapabilities,
  type ExecutorClient,
  type ExecutorEvent,
  type ExecutorProcess,
  type ExecutorRegistration,
  type RunExecutorOptions,
  type RunningExecutor,
  type ShutdownMode,
} from './run-executor';
export { LogBatcher, type LogBatch, type LogBatcherOptions } from './executor-log-batcher';
export { ExecutorStateFile, readStateFile, type ExecutorJobRecord, type ExecutorStateData } from './executor-state';
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
