/**
 * Exit codes of the `pollinator` command. The run-related ones are
 * `@pollinator/core`'s `ExitCode` contract (the job's own exit code is passed
 * through; see docs/exit-codes.md); they are repeated here as literals so
 * that `pollinator --help` does not have to load `@pollinator/core`. A test
 * checks that the two tables agree. The CLI adds two sysexits(3) codes for
 * problems that happen before any run: a bad configuration and an internal
 * error.
 */
export const CliExitCode = {
  SUCCESS: 0,
  JOB_FAILED: 1,
  USAGE: 64,
  INVALID_PROJECT: 65,
  /** A local file cannot be read (sysexits EX_NOINPUT); nothing was uploaded. */
  NO_INPUT: 66,
  EXECUTOR_LOST: 69,
  /** An unexpected error inside pollinator (a bug: please report it). */
  INTERNAL: 70,
  REMOTE_CHANGED: 73,
  SYNC_FAILED: 74,
  CONNECTION_LOST: 75,
  /** A server answered with something pollinator cannot read (sysexits EX_PROTOCOL). */
  PROTOCOL: 76,
  SUBMISSION_REJECTED: 77,
  /**
   * The configuration (environment variables, profile file) is invalid, or
   * `executor start`'s backend cannot run jobs here (its preflight: no
   * KUBECONFIG, no sbatch, no Docker engine); such an executor registers nothing.
   */
  CONFIG: 78,
  TIME_LIMIT: 124,
  CANCELLED: 130,
} as const;

export type CliExitCodeName = keyof typeof CliExitCode;
