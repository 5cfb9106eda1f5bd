// Moved to @pollinator/backend; re-exported so core's public API is unchanged.
export { BackendError, BackendPreflightError } from '@pollinator/backend';
