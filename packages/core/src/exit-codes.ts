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
  /** A local input file cannot be read (sysexits EX_NOINPUT); nothing was uploaded or submitted. */
  NO_INPUT: 66,
  /** The executor lost the job (node failure, executor crash, process re-queued for ever). */
  EXECUTOR_LOST: 69,
  /**
   * A file changed on the remote side since this machine last synced it, and
   * locally too: nothing was uploaded (`pull --inputs` takes the remote copies,
   * `run --force` uploads the local ones over them).
   */
  REMOTE_CHANGED: 73,
  /** Uploading or downloading CFS files failed. */
  SYNC_FAILED: 74,
  /** A server (Colonies or S3) could not be reached, or the connection was lost while following. */
  CONNECTION_LOST: 75,
  /** A server answered with something this client cannot read (sysexits EX_PROTOCOL). */
  PROTOCOL: 76,
  /** A server refused the request: the key is not a member of the colony, S3 refused the credentials, or the spec is invalid. */
  SUBMISSION_REJECTED: 77,
  /** The configuration (COLONIES_*, AWS_S3_* variables) is invalid (sysexits EX_CONFIG). */
  CONFIG: 78,
  /** The job exceeded its wall time (as `timeout(1)` does). */
  TIME_LIMIT: 124,
  /** The process was cancelled (as a shell reports SIGINT). */
  CANCELLED: 130,
} as const;

export type ExitCodeName = keyof typeof ExitCode;

/** Process attribute an executor sets (type OUT = 1, decimal value) before closing. */
export const EXIT_CODE_ATTRIBUTE = 'EXITCODE';
