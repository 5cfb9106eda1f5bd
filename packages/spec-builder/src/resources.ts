import { SPEC_LIMITS } from './limits';

/**
 * Resource values exactly as the ColonyOS container executors understand them
 * (`../shared/docs/executors.md` §1.4–1.6) and as the Colonies server accepts
 * them on submit (§1.5 "server constraint", colonies-protocol.md §3.5, §3.8).
 *
 * Every `validate*` function returns `undefined` when the value is accepted,
 * or one sentence saying what is wrong. The conversion functions assume a
 * value that passed validation.
 */

/** The server never assigns a process with more nodes / processes per node than this (hard-coded MaxInt8). */
export const MAX_NODES = 127;
/** Same limit for `processespernode`. */
export const MAX_PROCESSES_PER_NODE = 127;

/** `"<integer>m"` with at least two digits (the executors reject anything shorter than 3 characters). */
export const CPU_PATTERN = /^[0-9]{2,}m$/;
/** `"<integer>Mi"` or `"<integer>Gi"`: the executors accept only these units, the server only integers. */
export const MEMORY_PATTERN = /^[0-9]+(Mi|Gi)$/;

/** Largest `mem` in Gi (1 PiB). */
export const MAX_MEMORY_GI = SPEC_LIMITS.memoryBytes / 2 ** 30;

export const CPU_ALLOWED = `millicores as a quoted string: an integer of at least two digits followed by a lowercase "m", e.g. "500m" (half a core) or "2000m" (two cores); at most "${SPEC_LIMITS.cpuMillicores}m"`;
export const MEMORY_ALLOWED = `an integer followed by "Mi" (mebibytes) or "Gi" (gibibytes), e.g. "1000Mi" or "4Gi"; no decimals, no other units; at most ${MAX_MEMORY_GI}Gi (1 PiB)`;
export const WALLTIME_ALLOWED = `a whole number of seconds from 1 to ${SPEC_LIMITS.walltimeSeconds} (365 days), e.g. 600 for ten minutes`;

/** Why `cpu` is not acceptable, or `undefined` when it is. */
export function validateCpu(cpu: string): string | undefined {
  if (cpu.startsWith('-')) return 'cpu cannot be negative';
  if (/^[0-9]+(\.[0-9]+)?$/.test(cpu)) {
    return `a bare number is not accepted (the server stores it as 0m); write "${String(Math.round(Number(cpu) * 1000))}m"`;
  }
  if (/^[0-9]+M$/.test(cpu)) return 'the unit is a lowercase "m" (millicores)';
  if (/^[0-9]*\.[0-9]+m$/.test(cpu)) return 'millicores must be a whole number';
  if (/^[0-9]m$/.test(cpu)) return 'the executors reject cpu values shorter than 3 characters; use at least "10m"';
  if (!CPU_PATTERN.test(cpu)) return 'not a millicore value';
  if (parseCpuMillicores(cpu) === 0) return 'cpu must be more than 0m';
  if (parseCpuMillicores(cpu) > SPEC_LIMITS.cpuMillicores) {
    return `cpu is more than ${SPEC_LIMITS.cpuMillicores}m (100,000 cores), the most a spec may ask for`;
  }
  return undefined;
}

/** `"2500m"` → 2500. */
export function parseCpuMillicores(cpu: string): number {
  return Number.parseInt(cpu.slice(0, -1), 10);
}

/**
 * Whole cores Slurm gets for `--cpus-per-task`, as the HPC executor computes
 * them: any value below one core is 1, anything else is rounded up
 * (10m→1, 1000m→1, 1001m→2, 2400m→3; "00m"→0, which drops the directive).
 */
export function cpuToSlurmCpusPerTask(cpu: string): number {
  const millicores = parseCpuMillicores(cpu);
  if (millicores > 0 && millicores < 1000) return 1;
  return Math.ceil(millicores / 1000);
}

/** Why `mem` is not acceptable, or `undefined` when it is. */
export function validateMemory(mem: string): string | undefined {
  if (mem.startsWith('-')) return 'memory cannot be negative';
  if (/^[0-9]+$/.test(mem)) return `a unit is required, e.g. "${mem}Mi"`;
  if (/^[0-9]*\.[0-9]+(Mi|Gi)$/.test(mem)) {
    return 'the Colonies server accepts only whole numbers; use Mi for fractions of a gibibyte (e.g. "1536Mi" instead of "1.5Gi")';
  }
  const unit = /^[0-9.]+([A-Za-z]+)$/.exec(mem)?.[1];
  if (unit !== undefined && unit !== 'Mi' && unit !== 'Gi') {
    return `the unit "${unit}" is not understood by the executors; use Mi or Gi`;
  }
  if (!MEMORY_PATTERN.test(mem)) return 'not a memory value';
  if (memoryToBytes(mem) === 0) return 'memory must be more than 0 (Slurm reads --mem=0 as "all memory of the node")';
  if (memoryToBytes(mem) > SPEC_LIMITS.memoryBytes) {
    return `memory is more than ${MAX_MEMORY_GI}Gi (1 PiB), the most a spec may ask for`;
  }
  return undefined;
}

/** `"1Gi"` → 1073741824. Exact for any valid value below 2^53 bytes. */
export function memoryToBytes(mem: string): number {
  const value = Number.parseInt(mem.slice(0, -2), 10);
  return mem.endsWith('Gi') ? value * 1024 * 1024 * 1024 : value * 1024 * 1024;
}

/**
 * The Slurm `--mem` value the HPC executor derives (`"<n>M"`, decimal megabytes,
 * rounded): 1000Mi → "1049M", 1Gi → "1074M", 10Gi → "10737M".
 */
export function memoryToSlurm(mem: string): string {
  const value = Number.parseFloat(mem.slice(0, -2));
  const bytes = mem.endsWith('Gi') ? value * 1024 * 1048576 : value * 1048576;
  return `${Math.round(bytes / 1e6)}M`;
}

/** Why `walltime` is not acceptable, or `undefined` when it is. */
export function validateWalltime(walltime: number): string | undefined {
  if (!Number.isInteger(walltime)) return 'walltime must be a whole number of seconds';
  if (walltime < 1) return 'walltime must be at least 1 second (the executors reject 0)';
  if (walltime > SPEC_LIMITS.walltimeSeconds) {
    return `walltime is more than ${SPEC_LIMITS.walltimeSeconds} seconds (365 days), the most a spec may ask for`;
  }
  return undefined;
}

/** Seconds → Slurm `--time` `HH:MM:SS`, hours may exceed 24 (70 → "00:01:10", 360000 → "100:00:00"). */
export function formatWalltime(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(hours)}:${two(minutes)}:${two(rest)}`;
}
