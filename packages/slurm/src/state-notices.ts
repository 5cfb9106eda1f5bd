/**
 * The `[pollinator]` notices about a job's state that users see in its log:
 * why a job is still pending (once per reason, after it has pended a while)
 * and where it started once it runs after such a notice. Deciding is pure;
 * the backend writes them where the log is read (`logs()`), never from a
 * `status()` query, so asking for a job's status has no effect on its log.
 */
import type { JobStatus } from '@pollinator/backend';
import { describeReason } from './job-state';

/** What the notices remember of one job. */
export interface NoticeMemory {
  /**
   * The reason last noticed: `undefined` before any, `''` after the "started"
   * notice (so it is written once).
   */
  noticedReason?: string;
}

export interface NoticeInput {
  jobId: string;
  status: JobStatus;
  /** Slurm's own `Reason` of a pending job (`None` when there is none); `undefined` when Slurm did not say. */
  slurmReason: string | undefined;
  /** How long the job has been waiting since submission, ms. */
  pendedMs: number;
  /** A pending reason is noticed once the job has pended this long, ms. */
  pendingNoticeDelayMs: number;
}

/** The notice (a whole line) the job's state calls for now, if any; records it in `memory`. */
export function stateNotice(memory: NoticeMemory, input: NoticeInput): string | undefined {
  const { jobId, status, slurmReason } = input;
  if (status.state === 'pending') {
    if (slurmReason === undefined || slurmReason === 'None' || slurmReason === memory.noticedReason) return undefined;
    if (input.pendedMs < input.pendingNoticeDelayMs) return undefined;
    memory.noticedReason = slurmReason;
    return `[pollinator] Slurm job ${jobId} is pending: ${describeReason(slurmReason)}\n`;
  }
  if (status.state === 'running' && memory.noticedReason !== undefined && memory.noticedReason !== '') {
    memory.noticedReason = '';
    return `[pollinator] Slurm job ${jobId} started on ${status.nodes.join(',') || 'its nodes'}\n`;
  }
  return undefined;
}
