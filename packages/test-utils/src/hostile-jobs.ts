// Moved to @pollinator/backend/test, next to the contract it checks; re-exported so existing imports keep working.
export { testHostileJobs, type HostileJobOptions } from '@pollinator/backend/test';
