// The backend contract lives in @pollinator/backend (the contracts layer that
// backends depend on without pulling in all of core); core re-exports it so
// its public API is unchanged.
export {
  isFinalJobStatus,
  type Backend,
  type JobHandle,
  type JobMount,
  type JobPlacement,
  type JobRequest,
  type JobResources,
  type JobStatus,
  type LogChunk,
  type LogCursor,
} from '@pollinator/backend';
