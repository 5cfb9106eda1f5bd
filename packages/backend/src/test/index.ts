// @pollinator/backend/test: the suites every backend runs from its own tests.
// Imports vitest (a peer dependency); never imported by the `.` entry. The
// whole-flow suites load @pollinator/core, dev-server, cfs-sync,
// colonies-client and spec-builder (optional peers) only when they start.
export { readAllLogs, testBackend, waitForFinalStatus, type BackendConformanceOptions } from './backend-conformance';
export { testHostileJobs, type HostileJobOptions } from './hostile-jobs';
export { filesContaining, hostileSpec, processesWithMarker, snapshotTree } from './hostile-jobs-helpers';
export { testExecutorFlow, type ExecutorFlowOptions } from './executor-flow';
export { testJobRequest, type JobRequestOverrides } from './job-request';
export { testStopSignal, type StopSignalSuiteOptions } from './stop-signal-suite';
