// Lives in @pollinator/backend/test with the other backend suites; re-exported for the packages' tests.
export { testExecutorFlow, type ExecutorFlowOptions } from '@pollinator/backend/test';
