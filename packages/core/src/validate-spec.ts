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
import type { Conditions, FunctionSpec, Gpu, SnapshotMount, SyncDirMount } from '@pollinator/colonies-client';
import type { JobPlacement, JobResources } from './backend';
import { quoteShellWord } from './shell-word';
import { substituteProcessId } from './staging-paths';

import { parseCpuMillicores, parseMemoryBytes } from './resource-units';
import { checkSpecNumbers, checkSpecStrings } from './spec-bounds';

export { parseCpuMillicores, parseMemoryBytes } from './resource-units';
export { stagingPath, substituteProcessId } from './staging-paths';

/**
 * The FunctionSpec fields an executor reads: the wire type of
 * `@pollinator/colonies-client` (one definition), narrowed to those fields and
 * widened where a server may send less than the type promises (`null` lists,
 * missing optional parts, elements of any JSON type): the executor checks
 * them one by one instead of trusting them. A `FunctionSpec` is an `ExecutorSpec`.
 */
export interface ExecutorSpec extends Pick<FunctionSpec, 'funcname' | 'maxexectime' | 'maxretries'> {
  args?: unknown[] | null;
  kwargs?: Record<string, unknown> | null;
  conditions: Pick<Conditions, 'nodes' | 'processespernode' | 'cpu' | 'mem' | 'walltime'> &
    Partial<Pick<Conditions, 'executortype'>> & { gpu?: Partial<Pick<Gpu, 'name' | 'count'>> | null };
  fs?:
    | (Pick<FunctionSpec['fs'], 'mount'> & {
        snapshots?: SnapshotMount[] | null;
        dirs?: (Omit<SyncDirMount, 'onconflicts'> & { onconflicts?: ExecutorConflictRules })[] | null;
      })
    | null;
  env?: FunctionSpec['env'] | null;
  /** Channel names (a forward's); any JSON from the server, checked where used. */
  channels?: unknown[] | null;
}

/** `SyncDirMount['onconflicts']` with every part optional. */
type ExecutorConflictRules = {
  [Phase in keyof SyncDirMount['onconflicts']]?: Partial<SyncDirMount['onconflicts'][Phase]>;
};

/** Prefix of every error the executor reports (kept from the original executors). */
export const ERROR_PREFIX = 'ContainerExecutor: ';

/** The original's wording: `ContainerExecutor: <error>: <context>`. */
export function executorError(error: string, context?: string): string {
  return `${ERROR_PREFIX}${error}${context ? `: ${context}` : ''}`;
}

function validateMemory(mem: unknown): string | undefined {
  if (typeof mem !== 'string') return `Invalid funcspec, conditions.mem must be a string such as "1000Mi", got ${JSON.stringify(mem)}`;
  if (mem.startsWith('-')) return 'Memory cannot be negative';
  if (mem === '') return 'Invalid memory value "", expected e.g. 1000Mi or 2Gi';
  if (parseMemoryBytes(mem) === undefined) return `Invalid memory value ${JSON.stringify(mem)}, expected e.g. 1000Mi or 2Gi`;
  return undefined;
}

function validateCpu(cpu: unknown): string | undefined {
  if (typeof cpu !== 'string') return `Invalid funcspec, conditions.cpu must be a string such as "1000m", got ${JSON.stringify(cpu)}`;
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
  // Then every number against SPEC_LIMITS and every string that reaches a
  // command, image or environment (issue #13, cases 5 and 6).
  return checkSpecNumbers(spec) ?? checkSpecStrings(spec);
}

/** The kwargs of an `execute` process, parsed. */
export interface ParsedKwargs {
  image: string;
  cmd: string;
  initCommand: string;
  rebuildImage: boolean;
  args: string[];
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
 * The job's shell command: `cmd` (a shell command line written by the
 * submitter, used as is) plus each arg with its first `{processid}` replaced,
 * each quoted as one shell word when it needs it (ordinary paths and words
 * stay byte-identical). The original joined the args unquoted, so an arg
 * `x;echo INJECTED $(id -u);.sh` ran the echo and `my script.py` was two
 * words (issue #13, case 5).
 */
export function buildCommand(kwargs: ParsedKwargs, processId: string): string {
  const cmd = substituteProcessId(kwargs.cmd, processId);
  const args = kwargs.args.map((arg) => quoteShellWord(substituteProcessId(arg, processId)));
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

