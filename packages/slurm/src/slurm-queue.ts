/**
 * "Why is my job waiting?" (issue #17): where a pending Slurm job stands in
 * its partition's queue. Slurm's reason code, the job's place among the
 * pending jobs of its partition (by priority, ties by job id: `squeue -t
 * PENDING -p <partition> -S -p,i`), the estimate of `squeue --start`, and for
 * a job that will not start unless someone acts (held, partition down, bad
 * account or QoS, nodes unavailable) what is wrong and what to do.
 *
 * Two small `squeue` calls, at most once per `refreshMs` per job (and again at
 * once when Slurm's reason changes): a busy cluster's slurmctld is asked
 * little, whatever the executor's watch interval.
 */
import type { JobQueue } from '@pollinator/backend';
import type { CommandRunner } from './runner';

const QUERY_TIMEOUT_MS = 60_000;
/** Default time between two queue readings of one job. */
export const DEFAULT_QUEUE_REFRESH_MS = 15_000;
/** The `squeue --start -o` fields asked for (`|`-separated, in this order). */
export const START_FORMAT = '%i|%P|%S|%r|%a|%q';

/** One line of `squeue --start -h -o START_FORMAT`. */
export interface StartListing {
  jobId: string;
  /** First partition of the job (a job may name several). */
  partition: string;
  /** ISO 8601 UTC, when Slurm has an estimate. */
  estimatedStart?: string;
  /** Slurm's whole reason (`ReqNodeNotAvail, UnavailableNodes:vm`). */
  reason: string;
  account: string;
  qos: string;
}

/**
 * A time as squeue prints it (`2026-12-03T12:46:32`, the cluster's local time
 * without a zone, as this login node's clock) → ISO 8601 UTC; undefined for
 * `N/A`, `Unknown`, `None` and anything else that is not a time.
 */
export function parseSqueueTime(text: string, now = Date.now()): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = match.slice(1).map(Number);
  const time = new Date(year, month - 1, day, hour, minute, second).getTime();
  // Slurm's "end of time" placeholders (year 2106 and the like) are no estimate.
  if (!Number.isFinite(time) || time - now > 366 * 24 * 3600 * 1000) return undefined;
  return new Date(time).toISOString();
}

/** The job's line of `squeue --start -h -j <id> -o START_FORMAT`; undefined when it is not listed (not pending). */
export function parseStartListing(output: string, jobId: string, now = Date.now()): StartListing | undefined {
  for (const line of output.split('\n')) {
    const [id, partitions, start, reason, account, qos] = line.split('|');
    if (id?.trim() !== jobId || partitions === undefined) continue;
    const estimatedStart = parseSqueueTime(start ?? '', now);
    return {
      jobId,
      partition: partitions.trim().split(',')[0] ?? '',
      ...(estimatedStart === undefined ? {} : { estimatedStart }),
      reason: (reason ?? '').trim(),
      account: (account ?? '').trim(),
      qos: (qos ?? '').trim(),
    };
  }
  return undefined;
}

/** The job ids of `squeue -h -t PENDING -p <partition> -S -p,i -o %i`, in that order. */
export function parsePendingIds(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+(?:_\d+)?$/.test(line));
}

/** `ReqNodeNotAvail, UnavailableNodes:vm` → `ReqNodeNotAvail`; `None` → ''. */
export function reasonCode(reason: string): string {
  const code = /^[A-Za-z_]+/.exec(reason.trim())?.[0] ?? '';
  return code === 'None' ? '' : code;
}

/** What is known of a pending job when its blocking reason is put in words. */
export interface BlockedContext {
  jobId: string;
  /** Slurm's whole reason (`ReqNodeNotAvail, UnavailableNodes:vm`). */
  reason: string;
  partition: string;
  account: string;
  qos: string;
}

function named(thing: string, value: string): string {
  return value ? `${thing} '${value}'` : `the job's ${thing}`;
}

/** Reason codes of a job that does not start unless someone acts, each put in words with what to do. */
const BLOCKED: Record<string, (context: BlockedContext) => string> = {
  PartitionDown: ({ partition }) => `${named('partition', partition)} is down: ask your admins or choose another partition in slurm.partition`,
  PartitionInactive: ({ partition }) => `${named('partition', partition)} is inactive: ask your admins or choose another partition in slurm.partition`,
  PartitionNodeLimit: ({ partition }) =>
    `the job asks for more nodes than ${named('partition', partition)} allows: lower conditions.nodes or choose another partition in slurm.partition`,
  PartitionTimeLimit: ({ partition }) =>
    `the job's time limit is above the maximum of ${named('partition', partition)}: lower conditions.walltime or choose another partition in slurm.partition`,
  InvalidAccount: ({ account }) =>
    `${named('account', account)} is not valid on this cluster: set slurm.account to an account of yours ('sacctmgr show associations user=$USER' lists them)`,
  InvalidQOS: ({ qos }) => `${named('QoS', qos)} is not valid for this job: set slurm.qos to one of yours ('sacctmgr show associations user=$USER format=account,qos' lists them)`,
  JobHeldUser: ({ jobId }) => `Slurm job ${jobId} is held: release it with 'scontrol release ${jobId}', or cancel the run`,
  JobHeldAdmin: ({ jobId }) => `Slurm job ${jobId} is held by an administrator: ask your admins to release it, or cancel the run`,
  ReqNodeNotAvail: ({ reason, partition }) => {
    const nodes = /UnavailableNodes:(\S*)/.exec(reason)?.[1] ?? '';
    const which = nodes ? ` (unavailable: ${nodes})` : '';
    return `the nodes the job needs in ${named('partition', partition)} are down, drained or reserved${which}: it starts only when they return; ask your admins or choose another partition in slurm.partition`;
  },
  DependencyNeverSatisfied: ({ jobId }) => `the dependency of Slurm job ${jobId} can never be satisfied: cancel the run`,
  BadConstraints: () => 'no node of the cluster satisfies the job\'s constraints: change the slurm options or conditions (gpu, mem) it asks for',
};

/** What is wrong and what to do, when the reason means the job does not start by itself; undefined otherwise. */
export function blockedAdvice(context: BlockedContext): string | undefined {
  const code = reasonCode(context.reason);
  return BLOCKED[code]?.(context);
}

/** What the last reading of a job found, and when. */
interface Reading {
  at: number;
  code: string;
  queue: JobQueue;
}

/** Reads (and briefly remembers) the queue of pending jobs. */
export class SlurmQueue {
  readonly #readings = new Map<string, Reading>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly env: () => Record<string, string>,
    private readonly refreshMs: number = DEFAULT_QUEUE_REFRESH_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The queue of pending job `jobId`, whose scontrol `Reason` is `reason`.
   * Never throws: when squeue does not answer, the reason code alone.
   */
  async read(jobId: string, reason: string): Promise<JobQueue> {
    const code = reasonCode(reason) || 'None';
    const last = this.#readings.get(jobId);
    if (last && last.code === code && this.now() - last.at < this.refreshMs) return last.queue;
    const queue = await this.#query(jobId, reason, code).catch((): JobQueue => ({ reasonCode: code }));
    this.#readings.set(jobId, { at: this.now(), code, queue });
    return queue;
  }

  /** Forgets a job (it started or ended). */
  forget(jobId: string): void {
    this.#readings.delete(jobId);
  }

  async #query(jobId: string, reason: string, code: string): Promise<JobQueue> {
    const env = this.env();
    const started = await this.runner.run('squeue', ['--start', '-h', '-j', jobId, '-o', START_FORMAT], { env, timeoutMs: QUERY_TIMEOUT_MS });
    const listing = started.exitCode === 0 ? parseStartListing(started.stdout, jobId, this.now()) : undefined;
    const partition = listing?.partition ?? '';
    const blocked = blockedAdvice({ jobId, reason: listing?.reason || reason, partition, account: listing?.account ?? '', qos: listing?.qos ?? '' });
    const queue: JobQueue = {
      reasonCode: code,
      ...(partition ? { partition } : {}),
      ...(listing?.estimatedStart && !blocked ? { estimatedStart: listing.estimatedStart } : {}),
      ...(blocked ? { blocked } : {}),
    };
    if (!partition) return queue;
    const pending = await this.runner.run('squeue', ['-h', '-t', 'PENDING', '-p', partition, '-S', '-p,i', '-o', '%i'], { env, timeoutMs: QUERY_TIMEOUT_MS });
    if (pending.exitCode !== 0) return queue;
    const ids = parsePendingIds(pending.stdout);
    const index = ids.indexOf(jobId);
    return index < 0 ? queue : { ...queue, position: index + 1, of: ids.length };
  }
}
