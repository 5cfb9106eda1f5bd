/**
 * One pull per image at a time across executor processes on the same login
 * node (and, on a filesystem with working `O_EXCL`, across nodes): a lock file
 * next to the image, created with `O_EXCL`, holding who took it. A lock whose
 * holder died (same host, pid gone), or another host's older than
 * `staleAfterMs` (a pull that cannot still be running), is taken over, so a
 * crash never blocks a pull for good. The executor's own concurrent jobs already share one pull in
 * memory (`ImageCache`); this lock covers the other executors.
 */
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';

export interface ImageLockOptions {
  /** A lock of another host older than this is abandoned (its pull would have timed out); on this host, a lock is abandoned when its process is gone. */
  staleAfterMs: number;
  /** Called once when the lock is held by someone else and we wait. */
  onWait?: (holder: string) => void;
  /** How often to look again while waiting (default 250 ms). */
  pollMs?: number;
}

interface LockHolder {
  pid: number;
  host: string;
  since: number;
}

/** Takes the lock at `path` (waiting while another live process holds it); resolves to its release. */
export async function acquireImageLock(path: string, options: ImageLockOptions): Promise<() => Promise<void>> {
  let told = false;
  for (;;) {
    const release = await tryCreate(path);
    if (release) return release;
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (holder === undefined || isStale(holder, options.staleAfterMs)) {
      await takeOver(path, holder);
      continue;
    }
    if (!told) {
      told = true;
      options.onWait?.(`process ${holder.pid} on ${holder.host}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}

async function tryCreate(path: string): Promise<(() => Promise<void>) | undefined> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  const holder: LockHolder = { pid: process.pid, host: hostname(), since: Date.now() };
  try {
    await handle.writeFile(`${JSON.stringify(holder)}\n`);
  } finally {
    await handle.close();
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await rm(path, { force: true });
  };
}

/** The holder; 'gone' when the lock disappeared meanwhile; undefined when unreadable (a holder that died while writing it). */
async function readHolder(path: string): Promise<LockHolder | 'gone' | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.since === 'number') return parsed as LockHolder;
  } catch {
    // A holder is between creating the file and writing it: give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await readFile(path, 'utf8').catch(() => '');
    if (again !== text) return 'gone';
  }
  return undefined;
}

/** On this host: whether the holder died (a live one may still hash a large SIF). Elsewhere: older than `staleAfterMs`. */
function isStale(holder: LockHolder, staleAfterMs: number): boolean {
  if (holder.host !== hostname()) return Date.now() - holder.since > staleAfterMs;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Moves the abandoned lock aside first: of several waiters only one takes it
 * over, the others see it gone. A waiter that was slower than another's new
 * lock moved that live lock instead: it puts it back.
 */
async function takeOver(path: string, seen: LockHolder | undefined): Promise<void> {
  const aside = `${path}.abandoned-${process.pid}-${Date.now()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (seen !== undefined && moved !== '' && moved !== `${JSON.stringify(seen)}\n`) {
    // link, not rename: never replaces a lock taken meanwhile.
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
}
