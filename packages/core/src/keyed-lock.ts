/**
 * Runs async work one at a time per key. The executor keys it by staging
 * directory: two jobs of one project share its `data` directory, and two syncs
 * of the same directory at once would see each other's downloads as local
 * changes ("changed during the sync") and fail a job.
 */
export type KeyedLock = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<void>>();
  return async function withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => turn);
    tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // The last holder of a key leaves nothing behind.
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
