/**
 * Asks Slurm why a job ended, once it has: `sacct` (the allocation line and
 * its steps: states, exit codes, MaxRSS, ReqMem, Elapsed, Timelimit) when
 * accounting is on — it answers as well after the job has left slurmctld's
 * memory (`MinJobAge`) — else `scontrol show job` while slurmctld still knows
 * the job. And, for a job Slurm requeued, why it is pending again.
 */
import type { JobHandle, JobStatus } from '@pollinator/backend';
import { isFinalSlurmState, type SlurmJobInfo } from './job-state';
import type { CommandRunner } from './runner';
import {
  causeFromSacct,
  causeFromScontrol,
  parseSacctJob,
  parseSacctRuns,
  requeuedReason,
  SACCT_CAUSE_FORMAT,
  withCause,
  type SacctRow,
} from './slurm-cause';

const QUERY_TIMEOUT_MS = 60_000;
/**
 * How long a job slurmctld calls COMPLETED waits for sacct's record of it:
 * slurmdbd lags a moment behind, and only sacct knows that a step failed
 * (DerivedExitCode). Past this, scontrol's word stands.
 */
export const SACCT_CATCH_UP_MS = 15_000;
const REQUEUE_STATES = new Set(['REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED']);

export class SlurmCauseReader {
  /** Per job id and restart count: why its previous run ended (asked once per requeue). */
  readonly #previousRuns = new Map<string, SacctRow[]>();
  /** Per job id: when its success was first seen without a sacct record to confirm it. */
  readonly #unconfirmed = new Map<string, number>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly env: () => Record<string, string>,
    private readonly accountingEnabled: () => Promise<boolean>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The status with its cause (final), or with the requeue as its reason
   * (pending after a restart). Any other status, and any query that fails,
   * leaves the status as it is: a cause is an explanation, never a reason
   * for a status read to fail.
   */
  async explain(handle: JobHandle, info: SlurmJobInfo, status: JobStatus): Promise<JobStatus> {
    try {
      if (status.state === 'pending') return await this.#pending(handle, info, status);
      if (status.state === 'running' || !isFinalSlurmState(info.state)) return status;
      const accounted = await this.#fromSacct(handle.id);
      if (!accounted && status.state === 'succeeded' && (await this.accountingEnabled()) && this.#waitForSacct(handle.id)) {
        // Not final yet: a step may have failed, and only sacct will say (desispec#2744).
        return { state: 'running', nodes: status.nodes ?? [] };
      }
      this.#unconfirmed.delete(handle.id);
      const cause = accounted ?? (await this.#fromScontrol(handle.id));
      return cause ? withCause(status, cause) : status;
    } catch {
      return status;
    }
  }

  async #pending(handle: JobHandle, info: SlurmJobInfo, status: JobStatus): Promise<JobStatus> {
    const restarts = info.restarts ?? 0;
    if (restarts === 0 && !REQUEUE_STATES.has(info.state)) return status;
    const key = `${handle.id}/${restarts}`;
    let runs = this.#previousRuns.get(key);
    if (!runs) {
      runs = [];
      if (await this.accountingEnabled()) {
        const listed = await this.#run('sacct', ['-D', '-n', '-P', '-o', SACCT_CAUSE_FORMAT, '-j', handle.id]);
        if (listed.exitCode === 0) runs = parseSacctRuns(listed.stdout, handle.id);
      }
      this.#previousRuns.set(key, runs);
    }
    return { state: 'pending', reason: requeuedReason(info, restarts, runs) };
  }

  /** True while a success may still wait for sacct's record (SACCT_CATCH_UP_MS from the first look). */
  #waitForSacct(jobId: string): boolean {
    const first = this.#unconfirmed.get(jobId) ?? this.now();
    this.#unconfirmed.set(jobId, first);
    return this.now() - first < SACCT_CATCH_UP_MS;
  }

  async #fromSacct(jobId: string) {
    if (!(await this.accountingEnabled())) return undefined;
    const listed = await this.#run('sacct', ['-n', '-P', '-o', SACCT_CAUSE_FORMAT, '-j', jobId]);
    if (listed.exitCode !== 0) return undefined;
    const record = parseSacctJob(listed.stdout, jobId);
    // slurmdbd may lag behind slurmctld by a moment: only an ended record explains the end.
    if (!record || !isFinalSlurmState(record.job.state)) return undefined;
    return causeFromSacct(record);
  }

  async #fromScontrol(jobId: string) {
    const shown = await this.#run('scontrol', ['show', 'job', '-o', jobId]);
    return shown.exitCode === 0 ? causeFromScontrol(shown.stdout) : undefined;
  }

  #run(command: string, args: string[]) {
    return this.runner.run(command, args, { env: this.env(), timeoutMs: QUERY_TIMEOUT_MS });
  }
}
