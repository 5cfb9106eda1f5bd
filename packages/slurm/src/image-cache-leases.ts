/**
 * Which cached images jobs use, so `executor images --prune` never removes one
 * a job still needs (a queued job opens its SIF only when it starts). Each job
 * of a container runtime leaves a lease in `<imageDir>/.in-use/`: the SIF's
 * file name, the Slurm job id once sbatch gave one, and the executor process
 * that wrote it. The backend removes it when the job is cleaned up. A lease
 * counts while Slurm still lists its job (`squeue`), or, before sbatch
 * answered, while its executor process lives; the lease of a job Slurm
 * forgot (an executor that died) no longer protects anything.
 */
import { readdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { CommandRunner } from './runner';

export const LEASE_DIR_NAME = '.in-use';

export interface ImageLease {
  /** File name of the SIF in the image directory. */
  file: string;
  slurmJobId?: string;
  host: string;
  pid: number;
  since: string;
}

function leasePath(imageDir: string, processId: string): string {
  return `${imageDir}/${LEASE_DIR_NAME}/${processId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

/** Writes (or rewrites, once the job id is known) the lease of one job; atomic (temporary file, rename). */
export async function writeImageLease(runner: CommandRunner, imageDir: string, processId: string, lease: { file: string; slurmJobId?: string }): Promise<void> {
  const path = leasePath(imageDir, processId);
  const record: ImageLease = { ...lease, host: hostname(), pid: process.pid, since: new Date().toISOString() };
  await runner.mkdir(`${imageDir}/${LEASE_DIR_NAME}`);
  await runner.writeFile(`${path}.tmp`, `${JSON.stringify(record)}\n`);
  await runner.rename(`${path}.tmp`, path);
}

export async function removeImageLease(runner: CommandRunner, imageDir: string, processId: string): Promise<void> {
  await runner.remove(leasePath(imageDir, processId));
}

/** Every lease in `imageDir` (unreadable ones left out). */
export async function readImageLeases(imageDir: string): Promise<ImageLease[]> {
  const directory = `${imageDir}/${LEASE_DIR_NAME}`;
  const names = await readdir(directory).catch(() => [] as string[]);
  const leases: ImageLease[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json'))) {
    try {
      const lease = JSON.parse(await readFile(`${directory}/${name}`, 'utf8')) as ImageLease;
      if (typeof lease.file === 'string') leases.push(lease);
    } catch {
      // Being rewritten, or not ours: the next look sees it.
    }
  }
  return leases;
}

/**
 * File names of the SIFs a live lease holds. `queuedJobIds` are the jobs Slurm
 * lists (any state squeue shows: pending, running, completing).
 */
export function imagesInUse(leases: readonly ImageLease[], queuedJobIds: ReadonlySet<string>): Set<string> {
  const used = new Set<string>();
  for (const lease of leases) {
    if (lease.slurmJobId !== undefined ? queuedJobIds.has(lease.slurmJobId) : executorAlive(lease)) used.add(lease.file);
  }
  return used;
}

/** Before sbatch answered: the executor that wrote the lease still runs (always assumed for another host). */
function executorAlive(lease: ImageLease): boolean {
  if (lease.host !== hostname()) return true;
  try {
    process.kill(lease.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
