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
