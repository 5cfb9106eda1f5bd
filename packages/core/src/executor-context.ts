/**
 * What the parts of a running executor share, as one explicit object (no
 * closure-shared variables): the resolved options, the client it acts with,
 * the state file, the reporter, CFS staging, the running jobs and whether it
 * is shutting down.
 */
import type { ExecutorSettings } from './executor-options';
import type { ExecutorConnection, ExecutorReporter } from './executor-reporter';
import type { RunningJobs } from './executor-running-jobs';
import type { ExecutorStaging } from './executor-staging';
import type { ExecutorStateFile } from './executor-state';
import type { ShutdownMode } from './executor-types';

export interface ExecutorContext {
  readonly settings: ExecutorSettings;
  readonly connection: ExecutorConnection;
  readonly state: ExecutorStateFile;
  readonly reporter: ExecutorReporter;
  readonly staging: ExecutorStaging;
  readonly jobs: RunningJobs;
  /** The shutdown mode once a shutdown was requested. */
  shutdownMode(): ShutdownMode | undefined;
}
