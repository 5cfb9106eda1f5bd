/**
 * What an executor checks in an assigned process before running it, and how
 * it turns the FunctionSpec into a job: the rules, order and messages of the
 * original Go executors (executors.md §1.3–1.7), minus their bugs:
 *
 * - negative `nodes` / `processespernode` are rejected (the original let them
 *   through to break sbatch later);
 * - `walltime == maxexectime` passes, and the message says `>=` (the original
 *   message said `>` but let equal values pass);
 * - `"1m"`-style CPU values (`len <= 2`) are accepted when non-zero; a value
 *   that validates always parses (the original accepted `"1.5m"` here and
 *   failed later while generating the Slurm script);
 * - a non-string element of `kwargs.args` is an error, not a crash;
 * - memory in any unit the server accepts (`Ki`, `Mi`, `Gi`, `Ti`, `K`, `M`,
 *   `G`, …) is understood; the server hands processes back as `"<n>Mi"` anyway.
 */
import type { JobPlacement, JobResources } from './backend';

/** The FunctionSpec fields an executor reads (structurally compatible with the client's type). */
export interface ExecutorSpec {
  funcname: string;
  args?: unknown[] | null;
  kwargs?: Record<string, unknown> | null;
  maxexectime: number;
  maxretries: number;
  conditions: {
    nodes: number;
    processespernode: number;
    cpu: string;
    mem: string;
    walltime: number;
    gpu?: { name?: string; count?: number } | null;
  };
  fs?: {
    mount: string;
    snapshots?: { snapshotid: string; label: string; dir: string; keepfiles: boolean; keepsnapshot: boolean }[] | null;
    dirs?:
      | {
          label: string;
          dir: string;
          keepfiles: boolean;
          onconflicts?: { onstart?: { keeplocal?: boolean }; onclose?: { keeplocal?: boolean } };
        }[]
      | null;
  } | null;
  env?: Record<string, string> | null;
}

/** Prefix of every error the executor reports (kept from the original executors). */
export const ERROR_PREFIX = 'ContainerExecutor: ';

/** The original's wording: `ContainerExecutor: <error>: <context>`. */
export function executorError(error: string, context?: string): string {
  return `${ERROR_PREFIX}${error}${context ? `: ${context}` : ''}`;
}

/** Parses `"<int>m"` millicores. Returns undefined when malformed. */
export function parseCpuMillicores(cpu: string): number | undefined {
  const match = /^(\d+)m$/.exec(cpu);
  if (!match) return undefined;
  const value = Number(match[1]);
  return Number.isSafeInteger(value) ? value : undefined;
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  Ki: 1024,
  KiB: 1024,
  Mi: 1024 ** 2,
  MiB: 1024 ** 2,
  Gi: 1024 ** 3,
  GiB: 1024 ** 3,
  Ti: 1024 ** 4,
  TiB: 1024 ** 4,
  K: 1000,
  KB: 1000,
  Kb: 1000,
  M: 1000 ** 2,
  MB: 1000 ** 2,
  Mb: 1000 ** 2,
  G: 1000 ** 3,
  GB: 1000 ** 3,
  Gb: 1000 ** 3,
  TB: 1000 ** 4,
  Tb: 1000 ** 4,
};

/** Parses a memory string (`"1000Mi"`, `"2Gi"`, …) to bytes. Returns undefined when malformed. */
export function parseMemoryBytes(mem: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(mem);
  if (!match) return undefined;
  const unit = MEMORY_UNITS[match[2]!];
  if (unit === undefined || match[2] === '') return undefined;
  return Math.round(Number(match[1]) * unit);
}

function validateMemory(mem: string): string | undefined {
  if (mem.startsWith('-')) return 'Memory cannot be negative';
  if (mem === '') return 'Invalid memory value "", expected e.g. 1000Mi or 2Gi';
  if (parseMemoryBytes(mem) === undefined) return `Invalid memory value ${JSON.stringify(mem)}, expected e.g. 1000Mi or 2Gi`;
  return undefined;
}

function validateCpu(cpu: string): string | undefined {
  if (cpu.startsWith('-')) return 'CPU cannot be negative';
  const value = parseCpuMillicores(cpu);
  if (value === undefined) return `Invalid CPU value ${JSON.stringify(cpu)}, expected millicores such as 1000m`;
  if (value === 0) return 'Invalid CPU value "0m": CPU must be set (e.g. 1000m)';
  return undefined;
}

/**
 * Checks an assigned spec. Returns the rule text of the first rule that fails
 * (report it as `executorError(rule, 'Failed to validate funcspec')`), or
 * undefined when the spec is valid. The order is the original's.
 */
export function validateFunctionSpec(spec: ExecutorSpec): string | undefined {
  const c = spec.conditions;
  if (c.processespernode === 0) return 'Invalid funcspec, processespernode cannot be 0';
  if (c.processespernode < 0 || !Number.isInteger(c.processespernode)) {
    return `Invalid funcspec, processespernode must be a positive integer, got ${c.processespernode}`;
  }
  if (c.nodes === 0) return 'Invalid funcspec, nodes cannot be 0';
  if (c.nodes < 0 || !Number.isInteger(c.nodes)) return `Invalid funcspec, nodes must be a positive integer, got ${c.nodes}`;
  if (c.walltime === 0) return 'Invalid funcspec, walltime cannot be 0';
  if (c.walltime < 0) return `Invalid funcspec, walltime must be positive, got ${c.walltime}`;
  if (spec.maxexectime <= 0) return 'Invalid funcspec, maxexectime must be set to a larger value than 0';
  if (c.walltime < spec.maxexectime) return 'Invalid funcspec, walltime must be >= maxexectime';
  if (spec.maxretries <= 0) return 'Invalid funcspec, maxretries must be set to a larger value than 0';
  const memoryError = validateMemory(c.mem);
  if (memoryError) return memoryError;
  const cpuError = validateCpu(c.cpu);
  if (cpuError) return cpuError;
  return undefined;
}

/** The kwargs of an `execute` process, parsed. */
export interface ParsedKwargs {
  image: string;
  cmd: string;
  initCommand: string;
  rebuildImage: boolean;
  args: string[];
}

/** Replaces the first `{processid}` (the original's substitution: first occurrence only). */
export function substituteProcessId(text: string, processId: string): string {
  return text.replace('{processid}', processId);
}

/**
 * Parses `kwargs` (executors.md §1.7). Returns `{ error }` with the original's
 * message when `docker-image` or `cmd` is not a string, or an element of
 * `args` is not a string.
 */
export function parseKwargs(spec: Pick<ExecutorSpec, 'kwargs'>): ParsedKwargs | { error: string } {
  const kwargs = spec.kwargs ?? {};
  const image = kwargs['docker-image'];
  if (typeof image !== 'string') return { error: 'Failed to parse docker image flag' };
  const cmd = kwargs.cmd;
  if (typeof cmd !== 'string') return { error: 'Failed to parse cmd kwarg' };
  const init = kwargs['init-cmd'];
  const rawArgs = kwargs.args;
  const args: string[] = [];
  if (Array.isArray(rawArgs)) {
    for (const [index, arg] of rawArgs.entries()) {
      if (typeof arg !== 'string') {
        return { error: `Failed to parse args: kwargs.args[${index}] must be a string, got ${JSON.stringify(arg)}` };
      }
      args.push(arg);
    }
  }
  return {
    image,
    cmd,
    initCommand: typeof init === 'string' ? init : '',
    rebuildImage: kwargs['rebuild-image'] === true,
    args,
  };
}

/**
 * The job's shell command: `cmd` plus each arg with its first `{processid}`
 * replaced, joined by single spaces (the original's ExecCmd; nothing quoted,
 * as the original: args are shell words).
 */
export function buildCommand(kwargs: ParsedKwargs, processId: string): string {
  const cmd = substituteProcessId(kwargs.cmd, processId);
  const args = kwargs.args.map((arg) => substituteProcessId(arg, processId));
  return [cmd, ...args].join(' ');
}

/** Resources from the conditions of a valid spec. */
export function jobResources(spec: ExecutorSpec): JobResources {
  const c = spec.conditions;
  return {
    nodes: c.nodes,
    processesPerNode: c.processespernode,
    cpuMillicores: parseCpuMillicores(c.cpu) ?? 0,
    memoryBytes: parseMemoryBytes(c.mem) ?? 0,
    gpu: { count: c.gpu?.count ?? 0, name: c.gpu?.name ?? '' },
    walltimeSeconds: c.walltime > 0 ? c.walltime : 0,
  };
}

/** Scheduler placement from kwargs (`slurm-partition`, `slurm-account`, `slurm-qos`). */
export function jobPlacement(spec: Pick<ExecutorSpec, 'kwargs'>): JobPlacement {
  const placement: JobPlacement = {};
  const kwargs = spec.kwargs ?? {};
  for (const [field, key] of [
    ['partition', 'slurm-partition'],
    ['account', 'slurm-account'],
    ['qos', 'slurm-qos'],
  ] as const) {
    const value = kwargs[key];
    if (typeof value === 'string' && value !== '') placement[field] = value;
  }
  return placement;
}

/**
 * A CFS directory of the spec (`fs.snapshots[].dir`, `fs.dirs[].dir`) on the
 * executor: `<fsDir><dir>` after `{processid}` substitution. Refuses a dir that
 * would escape `fsDir` (`..`) or is not absolute.
 */
export function stagingPath(fsDir: string, dir: string, processId: string): string {
  const substituted = substituteProcessId(dir, processId);
  if (!substituted.startsWith('/')) throw new Error(`CFS dir ${JSON.stringify(dir)} must be an absolute path`);
  const parts = substituted.split('/');
  if (parts.some((part) => part === '..' || part.includes('\0'))) {
    throw new Error(`CFS dir ${JSON.stringify(dir)} escapes the executor's filesystem directory`);
  }
  const base = fsDir.endsWith('/') ? fsDir.slice(0, -1) : fsDir;
  return base + substituted;
}
