/**
 * The exit-code contract of `pollinator run` (and of `runProject`'s result).
 * When the job ran and its executor reported an exit code (process attribute
 * `EXITCODE`, see `EXIT_CODE_ATTRIBUTE`), that code is passed through.
 * Everything else that can end a run has a reserved code. The numbers follow
 * sysexits(3) and the conventions of `timeout(1)` and shells so that scripts can
 * tell a Pollinator problem from a job's own failure.
 */
export const ExitCode = {
  /** The job ran and exited 0. */
  SUCCESS: 0,
  /** The job failed and its executor reported no exit code. */
  JOB_FAILED: 1,
  /** Bad command-line usage. */
  USAGE: 64,
  /** project.yaml is missing or invalid; nothing was uploaded or submitted. */
  INVALID_PROJECT: 65,
  /** The executor lost the job (node failure, executor crash, process re-queued for ever). */
  EXECUTOR_LOST: 69,
  /** Uploading or downloading CFS files failed. */
  SYNC_FAILED: 74,
  /** The connection to the Colonies server was lost while following. */
  CONNECTION_LOST: 75,
  /** The server refused the submission (auth, colony, invalid spec). */
  SUBMISSION_REJECTED: 77,
  /** The job exceeded its wall time (as `timeout(1)` does). */
  TIME_LIMIT: 124,
  /** The process was cancelled (as a shell reports SIGINT). */
  CANCELLED: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

/** Process attribute an executor sets (type OUT = 1, decimal value) before closing. */
export const EXIT_CODE_ATTRIBUTE = 'EXITCODE';
