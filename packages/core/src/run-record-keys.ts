/**
 * The names under which a run's provenance is kept on its process record (issue #14, "every run is a
 * record"). Submitter-side names travel in `spec.env` (the server copies env entries into ENV attributes,
 * so they are on the record and the job sees them as environment variables); executor-side names are
 * attributes the executor adds (type OUT) while the process runs, before it is closed.
 */
export const RunRecordKey = {
  /** Snapshot id of the project's src label taken at submit. */
  srcSnapshot: 'POLLINATOR_SRC_SNAPSHOT',
  /** Snapshot id of the project's data label taken at submit (metadata only). */
  dataSnapshot: 'POLLINATOR_DATA_SNAPSHOT',
  /** Version of the tool that submitted the run. */
  cliVersion: 'POLLINATOR_CLI_VERSION',
  /** `git rev-parse HEAD` of the project dir, only when it is inside a git work tree. */
  gitCommit: 'POLLINATOR_GIT_COMMIT',
  /** `"true"` when the work tree had uncommitted changes at submit, `"false"` otherwise. */
  gitDirty: 'POLLINATOR_GIT_DIRTY',
  /** The original process id, on a rerun. */
  rerunOf: 'POLLINATOR_RERUN_OF',
  /** Executor side: snapshot id of the result label(s) taken after the results were uploaded. */
  resultSnapshot: 'POLLINATOR_RESULT_SNAPSHOT',
  /** Executor side: the image reference the job ran. */
  image: 'POLLINATOR_IMAGE',
  /** Executor side: the image digest when the runtime resolves one (e.g. `sha256:…`). */
  imageDigest: 'POLLINATOR_IMAGE_DIGEST',
  /** Executor side: `"false"` when the executor ran the job without containers, so `POLLINATOR_IMAGE` was asked for, not used. */
  imageUsed: 'POLLINATOR_IMAGE_USED',
  /** Executor side: why the job did not succeed, one of `JOB_CAUSE_KINDS` (`out-of-memory`, `time-limit`, `node-failure`, …). */
  failureCause: 'POLLINATOR_FAILURE_CAUSE',
  /** Executor side: the cause in one line a researcher acts on ("killed: out of memory (peak 15.8 GiB of 16 GiB requested) — raise conditions.mem"). */
  failureDetail: 'POLLINATOR_FAILURE_DETAIL',
  /** Spec env of a retry: which attempt this process is (1 = the submitted one; absent means 1). */
  attempt: 'POLLINATOR_ATTEMPT',
  /** Spec env of a retry: the process whose failure it retries. */
  retryOf: 'POLLINATOR_RETRY_OF',
  /** Executor side: the process submitted to retry this failed one. */
  retriedAs: 'POLLINATOR_RETRIED_AS',
} as const;

export type RunRecordKeyName = keyof typeof RunRecordKey;
export type RunRecordKeyValue = (typeof RunRecordKey)[RunRecordKeyName];
