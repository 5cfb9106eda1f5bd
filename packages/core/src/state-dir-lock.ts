import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
      if (alive || owner === process.pid) {
        throw new Error(`another executor (pid ${owner}) uses the state directory ${stateDir}`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock the state directory ${stateDir}`);
}
