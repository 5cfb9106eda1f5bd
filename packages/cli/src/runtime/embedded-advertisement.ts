import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How the process serving the embedded default tells other pollinator
 * processes where it is: `<embedded dir>/server.json`, written once the server
 * (and its executor) are ready, removed when it stops. `server.lock` holds the
 * pid of the one process allowed to serve the data directory.
 */
export interface Advertisement {
  pid: number;
  url: string;
  blobDir: string;
  colonyName: string;
  /** What serves: `dev` (foreground) or `dev --service` (the background service). */
  command: string;
  /** A local executor runs in the serving process. */
  executor: boolean;
  env: Record<string, string>;
  /** RFC 3339. */
  startedAt?: string;
  /** The background service (stops itself when idle). */
  service?: boolean;
  /** Jobs the executor runs side by side. */
  concurrency?: number;
  /** How the executor runs jobs: `process` (no containers), `docker` or `podman`. */
  jobRuntime?: string;
  /** Idle time after which the service stops itself, ms (0: never). */
  idleTimeoutMs?: number;
  /** RFC 3339: when the service stops itself if nothing happens before; null while busy. */
  idleStopAt?: string | null;
  /** The service's log file. */
  logFile?: string;
  /**
   * The dashboard the serving process serves on 127.0.0.1: `link` carries its
   * session token, which is why this file is the user's only (0600), like the
   * keys in `env`. `pollinator ui` and `pollinator dev status` print it.
   */
  dashboard?: { url: string; link: string };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export function readAdvertisement(dir: string): Advertisement | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'server.json'), 'utf8')) as Advertisement;
  } catch {
    return undefined;
  }
}

/** The advertisement of a live, answering server of `dir`, if any. */
export async function liveAdvertisement(dir: string): Promise<Advertisement | undefined> {
  const advertisement = readAdvertisement(dir);
  if (advertisement === undefined || advertisement.pid === process.pid || !pidAlive(advertisement.pid)) return undefined;
  return (await healthy(advertisement.url)) ? advertisement : undefined;
}

/** Writes `server.json` whole (temporary file + rename): a reader never sees half of it. */
export function writeAdvertisement(dir: string, advertisement: Advertisement): void {
  const file = join(dir, 'server.json');
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(advertisement, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/** The pid holding `server.lock`, when that process is alive. */
export function lockHolder(dir: string): number | undefined {
  try {
    const holder = Number.parseInt(readFileSync(join(dir, 'server.lock'), 'utf8').trim(), 10);
    return Number.isInteger(holder) && holder > 0 && pidAlive(holder) ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the serve lock; false when a live process holds it. */
export function tryLock(dir: string): boolean {
  const lock = join(dir, 'server.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder(dir);
      if (holder !== undefined && holder !== process.pid) return false;
      // Left behind by a process that died: take it over.
      rmSync(lock, { force: true });
    }
  }
  return false;
}

/** Removes the advertisement and the lock (only this process's own). */
export function releaseServe(dir: string): void {
  if (readAdvertisement(dir)?.pid === process.pid) rmSync(join(dir, 'server.json'), { force: true });
  let holder: number | undefined;
  try {
    holder = Number.parseInt(readFileSync(join(dir, 'server.lock'), 'utf8').trim(), 10);
  } catch {
    return;
  }
  if (holder === process.pid) rmSync(join(dir, 'server.lock'), { force: true });
}
