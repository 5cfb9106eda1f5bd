/**
 * Where a pending job stands in its scheduler's queue (issue #17, "why is my
 * job waiting?"): the scheduler's own reason code, the job's place among the
 * pending jobs of its partition, the scheduler's start estimate, and — for a
 * job that will not start by itself (held, partition down, bad account) —
 * what is wrong and what to do, in plain words. Every field but the reason
 * code is optional: a backend says what its platform knows.
 */
export interface JobQueue {
  /** The scheduler's reason code as it spells it: `Priority`, `Resources`, `PartitionDown`, `Unschedulable`, … */
  reasonCode: string;
  /** The partition (queue) the job waits in. */
  partition?: string;
  /** 1-based place among the pending jobs of the partition, in the order the scheduler considers them. */
  position?: number;
  /** How many jobs are pending in the partition (including this one). */
  of?: number;
  /** The scheduler's estimate of the start (ISO 8601, UTC), when it has one. */
  estimatedStart?: string;
  /**
   * Set when the job will not start unless someone acts: what is wrong and
   * what to do ("partition 'gpu' is down: ask your admins or choose another
   * partition in slurm.partition").
   */
  blocked?: string;
}

/** True when two queue readings say the same (a publisher writes only on change). */
export function sameJobQueue(a: JobQueue | undefined, b: JobQueue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.reasonCode === b.reasonCode &&
    a.partition === b.partition &&
    a.position === b.position &&
    a.of === b.of &&
    a.estimatedStart === b.estimatedStart &&
    a.blocked === b.blocked
  );
}
