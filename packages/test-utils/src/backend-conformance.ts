// Moved to @pollinator/backend/test, next to the contract it checks; re-exported so existing imports keep working.
export {
  readAllLogs,
  testBackend,
  waitForFinalStatus,
  type BackendConformanceOptions,
} from '@pollinator/backend/test';
