/**
 * Which snapshot each snapshot-staging directory holds, and which running
 * processes use it. Jobs of one project share the directory a snapshot is
 * staged in (`/pollinator/<p>/data` is the same for every run): a job sees
 * exactly its snapshot there (nothing an earlier run left), so the directory
 * is made exact before a job uses it — and never while another running job
 * uses it with a different snapshot. A job whose snapshot differs from the
 * one in use waits until every job using the directory has let go.
 *
 * A process takes all of its directories at once (never some while it waits
 * for others), so two jobs can never wait for each other. Waiters are served
 * in arrival order: a later job of the snapshot in use does not overtake an
 * earlier one waiting for another snapshot.
 */

/** One snapshot-staging directory a process asks for. */
export interface SnapshotLeaseRequest {
  /** `<fsDir><dir>`. */
  hostPath: string;
  snapshotId: string;
  /**
   * What the snapshot holds (its file revisions), when known: two snapshots of
   * an unchanged label hold the same files, so their jobs can share the
   * directory (two runs of one project with the same data run side by side).
   */
  content?: string;
}

/** Jobs whose requests have the same key may share a directory. */
const keyOf = (request: SnapshotLeaseRequest): string => request.content ?? request.snapshotId;

interface Lease {
  /** The first holder's snapshot (named in why-it-waits messages). */
  snapshotId: string;
  key: string;
  holders: Set<string>;
  /** True once the directory was made exactly the snapshot for the current holders. */
  exact: boolean;
}

interface Waiter {
  processId: string;
  requests: SnapshotLeaseRequest[];
  grant: () => void;
}

/** Why a process waits: the directory and the snapshot in use there. */
export interface LeaseConflict {
  hostPath: string;
  inUse: string;
  holders: string[];
}

export class SnapshotDirLeases {
  readonly #leases = new Map<string, Lease>();
  #queue: Waiter[] = [];

  /** The conflicts `requests` would wait for now (empty: granted at once). */
  conflicts(requests: readonly SnapshotLeaseRequest[]): LeaseConflict[] {
    return requests.flatMap((request) => {
      const lease = this.#leases.get(request.hostPath);
      if (!lease || lease.key === keyOf(request)) return [];
      return [{ hostPath: request.hostPath, inUse: lease.snapshotId, holders: [...lease.holders] }];
    });
  }

  /**
   * Resolves once `processId` holds every directory of `requests` with its
   * snapshot. Rejects with the signal's reason when `signal` aborts first
   * (then it holds none of them).
   */
  acquire(processId: string, requests: readonly SnapshotLeaseRequest[], signal?: AbortSignal): Promise<void> {
    if (requests.length === 0) return Promise.resolve();
    if (this.#grantable(requests, this.#queue.length)) {
      this.#take(processId, requests);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#queue = this.#queue.filter((entry) => entry !== waiter);
        reject(signal!.reason as Error);
        // Its place in the queue may have held back others.
        this.#serve();
      };
      const waiter: Waiter = {
        processId,
        requests: [...requests],
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /**
   * Registers the directories of a job re-attached after a restart: it uses
   * them already (whatever they hold), so they count as in use and exact.
   */
  adopt(processId: string, requests: readonly SnapshotLeaseRequest[]): void {
    for (const request of requests) {
      const lease = this.#leases.get(request.hostPath);
      if (lease) lease.holders.add(processId);
      else this.#leases.set(request.hostPath, { snapshotId: request.snapshotId, key: keyOf(request), holders: new Set([processId]), exact: true });
    }
  }

  /** Whether the directory was already made exactly its snapshot for its current holders. */
  isExact(hostPath: string): boolean {
    return this.#leases.get(hostPath)?.exact === true;
  }

  markExact(hostPath: string): void {
    const lease = this.#leases.get(hostPath);
    if (lease) lease.exact = true;
  }

  /** Lets go of every directory `processId` holds; waiters whose turn it is are granted. */
  release(processId: string): void {
    for (const [hostPath, lease] of this.#leases) {
      lease.holders.delete(processId);
      if (lease.holders.size === 0) this.#leases.delete(hostPath);
    }
    this.#serve();
  }

  /** Every request is free or holds the same snapshot, and no earlier waiter (before `position`) waits for the same directory. */
  #grantable(requests: readonly SnapshotLeaseRequest[], position: number): boolean {
    const earlier = this.#queue.slice(0, position);
    return requests.every((request) => {
      const lease = this.#leases.get(request.hostPath);
      if (lease && lease.key !== keyOf(request)) return false;
      return !earlier.some((waiter) => waiter.requests.some((other) => other.hostPath === request.hostPath));
    });
  }

  #take(processId: string, requests: readonly SnapshotLeaseRequest[]): void {
    for (const request of requests) {
      const lease = this.#leases.get(request.hostPath);
      if (lease) lease.holders.add(processId);
      else this.#leases.set(request.hostPath, { snapshotId: request.snapshotId, key: keyOf(request), holders: new Set([processId]), exact: false });
    }
  }

  #serve(): void {
    for (let index = 0; index < this.#queue.length; ) {
      const waiter = this.#queue[index]!;
      if (this.#grantable(waiter.requests, index)) {
        this.#queue.splice(index, 1);
        this.#take(waiter.processId, waiter.requests);
        waiter.grant();
      } else {
        index += 1;
      }
    }
  }
}
