import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

const STATE_DIR_LOCKED = defineErrorMarker<StateDirLockedError>('StateDirLockedError');

/** Another live executor holds the state directory: starting a second one there would steal its jobs. */
export class StateDirLockedError extends PollinatorError {
  constructor(
    readonly stateDir: string,
    readonly ownerPid: number,
  ) {
    super('EXECUTOR_STATE_DIR_LOCKED', `another executor (pid ${ownerPid}) uses the state directory ${stateDir}`, {
      details: { stateDir, ownerPid },
    });
    this.name = 'StateDirLockedError';
    STATE_DIR_LOCKED.mark(this);
  }

  /** What the operator does about it. */
  get fix(): string {
    return `Stop that executor first (kill ${this.ownerPid}), or give this one a state directory of its own (--state-dir <dir>).`;
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is StateDirLockedError {
    return STATE_DIR_LOCKED.isMarked(value);
  }
}

/**
 * One executor per state directory: a second one would re-attach to the
 * first one's jobs. The lock file holds the owner's pid; a stale lock (its
 * process is gone) is taken over.
 */
export function lockStateDir(stateDir: string): () => void {
  const path = join(stateDir, 'executor.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      let alive = false;
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid) {
        try {
          process.kill(owner, 0);
          alive = true;
        } catch (killError) {
          alive = (killError as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (alive || owner === process.pid) throw new StateDirLockedError(stateDir, owner);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock the state directory ${stateDir}`);
}
