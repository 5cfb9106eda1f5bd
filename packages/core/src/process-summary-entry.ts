// The `@pollinator/core/process-summary` entry: what the one-request commands
// (`pollinator status`, `ps`, `logs`, `cancel`, `executors`) need: summaries,
// attempts, queue positions and following a process, without the run and
// executor machinery (cfs-sync, the AWS SDK, spec-builder's zod and yaml, ssh2),
// so such a command starts in a fraction of the time. `.` exports all of it too.
export {
  isTerminalState,
  PROCESS_STATE_NAMES,
  processStateName,
  type DoneEvent,
  type ErrorEvent,
  type LogEvent,
  type PollinatorEvent,
  type ProcessStateEvent,
  type ProcessStateName,
  type RunResult,
} from './events';
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
export { describeAttemptChain, getAttemptChain, processAttempt, retriedAs, retryOf, type AttemptChain, type ProcessAttempt } from './process-attempts';
export { describeProcessQueue, parseProcessQueue, processQueue, QUEUE_ATTRIBUTE, type ProcessQueue } from './process-queue';
export { processCause, type ProcessCause } from './process-cause';
export { followProcess, type FollowClient, type FollowProcessOptions } from './follow-process';
export { compareTimes, findLastRun, getRunRecord, runRecordOf, type RunRecord } from './run-record';
export { RunRecordKey, type RunRecordKeyName, type RunRecordKeyValue } from './run-record-keys';
