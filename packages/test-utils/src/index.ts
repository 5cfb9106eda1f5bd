// Private test utilities shared by the packages' tests. Never published.
// Each utility lives in its own file; export it here.
export * from './lossless-json';
export * from './conformance-fixtures';
export * from './backend-conformance';
export * from './fake-kubernetes';
export * from './hostile-jobs';
export * from './executor-flow';
export { filesContaining, hostileSpec, processesWithMarker, snapshotTree } from './hostile-jobs-helpers';
export * from './sshd';
