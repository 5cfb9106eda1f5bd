/**
 * Reading squeue's answers about pending jobs (issue #17), from outputs in `__fixtures__/queue/` (see its
 * README: which were recorded on the test cluster and which this cluster cannot produce).
 * `slurm-queue-real.test.ts` runs the same against the real Slurm.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockedAdvice, parsePendingIds, parseSqueueTime, parseStartListing, reasonCode } from './slurm-queue';

const fixture = (name: string) => readFileSync(join(__dirname, '__fixtures__', 'queue', name), 'utf8');
const NOW = new Date(2026, 11, 3, 12, 48, 21).getTime();

/** The blocking advice for a job listed in `name`, as the backend builds it. */
function adviceFor(name: string, jobId: string): string | undefined {
  const listing = parseStartListing(fixture(name), jobId, NOW)!;
  return blockedAdvice({ jobId, reason: listing.reason, partition: listing.partition, account: listing.account, qos: listing.qos });
}

describe('squeue --start listings', () => {
  it('a job waiting for the node: Resources, its partition and the estimate as an ISO time (squeue prints local time)', () => {
    const listing = parseStartListing(fixture('squeue-start-resources.txt'), '1287', NOW);
    expect(listing).toEqual({
      jobId: '1287',
      partition: 'debug',
      estimatedStart: new Date(2026, 11, 3, 12, 49, 47).toISOString(),
      reason: 'Resources',
      account: 'root',
      qos: 'normal',
    });
    expect(reasonCode(listing!.reason)).toBe('Resources');
    expect(blockedAdvice({ jobId: '1287', reason: 'Resources', partition: 'debug', account: '', qos: '' })).toBeUndefined();
  });

  it('a job behind a higher-priority one: Priority with its own estimate, not blocked', () => {
    const listing = parseStartListing(fixture('squeue-start-priority.txt'), '1288', NOW);
    expect(listing).toMatchObject({ reason: 'Priority', estimatedStart: new Date(2026, 11, 3, 12, 50, 0).toISOString() });
    expect(adviceFor('squeue-start-priority.txt', '1288')).toBeUndefined();
  });

  it('N/A, Unknown and far-future placeholders are no estimate; another job id is not this job', () => {
    expect(parseStartListing(fixture('squeue-start-held-user.txt'), '1289', NOW)?.estimatedStart).toBeUndefined();
    expect(parseSqueueTime('Unknown', NOW)).toBeUndefined();
    expect(parseSqueueTime('2106-02-07T06:28:15', NOW)).toBeUndefined();
    expect(parseStartListing(fixture('squeue-start-held-user.txt'), '128', NOW)).toBeUndefined();
    expect(parseStartListing('', '1289', NOW)).toBeUndefined();
  });

  it('a job for several partitions counts in the first; the reason keeps its node list', () => {
    const listing = parseStartListing(fixture('squeue-start-reqnodenotavail.txt'), '4128', NOW);
    expect(listing).toMatchObject({ partition: 'gpu', reason: 'ReqNodeNotAvail, UnavailableNodes:gpu[01-04]' });
    expect(reasonCode(listing!.reason)).toBe('ReqNodeNotAvail');
  });
});

describe('place in the partition', () => {
  it('the pending ids in squeue order (by priority: the held job, priority 0, last)', () => {
    expect(parsePendingIds(fixture('squeue-pending-debug.txt'))).toEqual(['1287', '1288', '1289']);
    expect(parsePendingIds('1287\n4500_3\nslurm_load_jobs error: Socket timed out\n')).toEqual(['1287', '4500_3']);
  });
});

describe('jobs that will not start by themselves', () => {
  it('held by the user: how to release it', () => {
    expect(adviceFor('squeue-start-held-user.txt', '1289')).toBe("Slurm job 1289 is held: release it with 'scontrol release 1289', or cancel the run");
  });

  it('partition down: ask the admins or choose another partition', () => {
    expect(adviceFor('squeue-start-partition-down.txt', '1290')).toBe("partition 'down' is down: ask your admins or choose another partition in slurm.partition");
  });

  it('an account the cluster does not know: which one, and how to list yours', () => {
    expect(adviceFor('squeue-start-invalid-account.txt', '4127')).toBe(
      "account 'physics-old' is not valid on this cluster: set slurm.account to an account of yours ('sacctmgr show associations user=$USER' lists them)",
    );
  });

  it('a QoS not allowed: which one, and how to list yours', () => {
    expect(adviceFor('squeue-start-invalid-qos.txt', '4130')).toMatch(/^QoS 'gold' is not valid for this job: set slurm\.qos/);
  });

  it('nodes unavailable: which ones, and that it waits for them', () => {
    expect(adviceFor('squeue-start-reqnodenotavail.txt', '4128')).toBe(
      "the nodes the job needs in partition 'gpu' are down, drained or reserved (unavailable: gpu[01-04]): it starts only when they return; ask your admins or choose another partition in slurm.partition",
    );
  });

  it('a per-user QoS limit is a wait, not a block', () => {
    expect(adviceFor('squeue-start-qos-limit.txt', '4129')).toBeUndefined();
    expect(parseStartListing(fixture('squeue-start-qos-limit.txt'), '4129', NOW)?.estimatedStart).toBe(new Date(2026, 11, 4, 9, 0, 0).toISOString());
  });

  it('an unknown partition name is not invented', () => {
    expect(blockedAdvice({ jobId: '7', reason: 'PartitionDown', partition: '', account: '', qos: '' })).toBe(
      "the job's partition is down: ask your admins or choose another partition in slurm.partition",
    );
  });
});
