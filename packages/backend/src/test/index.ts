// @pollinator/backend/test: the suites every backend runs from its own tests.
// Imports vitest (a peer dependency); never imported by the `.` entry.
export { readAllLogs, testBackend, waitForFinalStatus, type BackendConformanceOptions } from './backend-conformance';
