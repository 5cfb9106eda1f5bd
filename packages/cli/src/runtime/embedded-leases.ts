import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from './embedded-advertisement';

/**
 * Which pollinator commands are using the embedded default's background
 * service right now: one file per command process, `<embedded dir>/clients/<pid>`,
 * made when it connects and removed when it ends. The service does not stop
 * itself for being idle while one is there (a `run` downloading its results
 * makes no job run); a file whose process died does not count.
 */
function clientsDir(dir: string): string {
  return join(dir, 'clients');
}

/** Marks this process as a client until it exits (`release`, or process exit at the latest). */
export function holdLease(dir: string): () => void {
  const file = join(clientsDir(dir), String(process.pid));
  mkdirSync(clientsDir(dir), { recursive: true });
  writeFileSync(file, `${new Date().toISOString()}\n`);
  const release = (): void => {
    process.off('exit', release);
    rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}

/** Pids of live clients; files of dead ones are removed. */
export function liveClients(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(clientsDir(dir));
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number.parseInt(name, 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) live.push(pid);
    else rmSync(join(clientsDir(dir), name), { force: true });
  }
  return live;
}
