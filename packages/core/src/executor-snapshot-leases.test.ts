import { describe, expect, it } from 'vitest';
import { SnapshotDirLeases } from './executor-snapshot-leases';

const DATA = '/fs/pollinator/p/data';
const SRC = '/fs/pollinator/p/s1/src';

/** Whether `promise` has settled after the pending microtasks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('SnapshotDirLeases', () => {
  it('grants a free dir and a dir holding the same snapshot at once; another snapshot waits for every holder', async () => {
    const leases = new SnapshotDirLeases();
    await leases.acquire('a', [{ hostPath: DATA, snapshotId: 'x' }]);
    await leases.acquire('b', [{ hostPath: DATA, snapshotId: 'x' }]);
    const c = leases.acquire('c', [{ hostPath: DATA, snapshotId: 'y' }]);
    expect(leases.conflicts([{ hostPath: DATA, snapshotId: 'y' }])).toEqual([{ hostPath: DATA, inUse: 'x', holders: ['a', 'b'] }]);
    leases.release('a');
    expect(await settled(c)).toBe(false);
    leases.release('b');
    expect(await settled(c)).toBe(true);
    expect(leases.isExact(DATA)).toBe(false);
  });

  it('serves waiters in arrival order: a later job of the snapshot in use does not overtake', async () => {
    const leases = new SnapshotDirLeases();
    await leases.acquire('a', [{ hostPath: DATA, snapshotId: 'x' }]);
    const waiting = leases.acquire('b', [{ hostPath: DATA, snapshotId: 'y' }]);
    const later = leases.acquire('c', [{ hostPath: DATA, snapshotId: 'x' }]);
    expect(await settled(later)).toBe(false);
    leases.release('a');
    expect(await settled(waiting)).toBe(true);
    expect(await settled(later)).toBe(false);
    leases.release('b');
    expect(await settled(later)).toBe(true);
  });

  it('takes all dirs of a job at once, so two jobs never wait for each other', async () => {
    const leases = new SnapshotDirLeases();
    await leases.acquire('a', [{ hostPath: DATA, snapshotId: 'x' }]);
    const b = leases.acquire('b', [{ hostPath: SRC, snapshotId: 's' }, { hostPath: DATA, snapshotId: 'y' }]);
    // b holds nothing while it waits (not SRC either): no job can be waiting for b.
    expect(leases.conflicts([{ hostPath: SRC, snapshotId: 's' }])).toEqual([]);
    leases.release('a');
    expect(await settled(b)).toBe(true);
  });

  it('stops waiting when the signal aborts, holding nothing', async () => {
    const leases = new SnapshotDirLeases();
    await leases.acquire('a', [{ hostPath: DATA, snapshotId: 'x' }]);
    const controller = new AbortController();
    const b = leases.acquire('b', [{ hostPath: DATA, snapshotId: 'y' }], controller.signal);
    const c = leases.acquire('c', [{ hostPath: DATA, snapshotId: 'x' }]);
    controller.abort(new Error('shutting down'));
    await expect(b).rejects.toThrow('shutting down');
    // b's place no longer holds c back.
    expect(await settled(c)).toBe(true);
  });

  it('adopts the dirs of a re-attached job as in use and exact', async () => {
    const leases = new SnapshotDirLeases();
    leases.adopt('resumed', [{ hostPath: DATA, snapshotId: 'x' }]);
    expect(leases.isExact(DATA)).toBe(true);
    const other = leases.acquire('new', [{ hostPath: DATA, snapshotId: 'y' }]);
    expect(await settled(other)).toBe(false);
    leases.release('resumed');
    expect(await settled(other)).toBe(true);
  });
});
