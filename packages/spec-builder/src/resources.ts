import { parseCpuMillicores, parseMemoryBytes } from '@pollinator/backend';
import { SPEC_LIMITS } from './limits';

/**
 * Resource values exactly as the ColonyOS container executors understand them
 * (`../shared/docs/executors.md` §1.4–1.6) and as the Colonies server accepts
 * them on submit (§1.5 "server constraint", colonies-protocol.md §3.5, §3.8).
 *
 * Every `validate*` function returns `undefined` when the value is accepted,
 * or one sentence saying what is wrong. The numbers come from the one resource
 * grammar of `@pollinator/backend` (the backends convert the same numbers to
 * Slurm and Kubernetes units), so what is validated here is what they run.
 */

// The numbers of the one resource grammar, under the names spec-builder has
// always exported (each is `undefined` for a malformed value).
/** `"2500m"` → 2500. */
export { parseCpuMillicores };
/** `"1Gi"` → 1073741824 (exact for any valid value below 2^53 bytes). */
export const memoryToBytes: (mem: string) => number | undefined = parseMemoryBytes;

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
  // Past 2^53 the grammar gives no number: that is more than the bound too.
  const millicores = parseCpuMillicores(cpu);
  if (millicores === 0) return 'cpu must be more than 0m';
  if (millicores === undefined || millicores > SPEC_LIMITS.cpuMillicores) {
    return `cpu is more than ${SPEC_LIMITS.cpuMillicores}m (100,000 cores), the most a spec may ask for`;
  }
  return undefined;
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
  const bytes = memoryToBytes(mem);
  if (bytes === 0) return 'memory must be more than 0 (Slurm reads --mem=0 as "all memory of the node")';
  if (bytes === undefined || bytes > SPEC_LIMITS.memoryBytes) {
    return `memory is more than ${MAX_MEMORY_GI}Gi (1 PiB), the most a spec may ask for`;
  }
  return undefined;
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
