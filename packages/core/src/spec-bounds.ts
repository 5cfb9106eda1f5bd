/**
 * Bounds an executor checks on every number and string of an assigned spec
 * before using any of them (issue #13, cases 5 and 6). The spec comes from
 * any member of the colony: a walltime of 1e10 s overflowed timers, a
 * `mem` of `99999999999999Gi` failed deep inside a backend with "bigint too
 * big", and a NUL or line break in an image name or env key failed later
 * with a misleading exit code. Each check names the spec field, so the
 * process is closed failed with a message the submitter can act on.
 *
 * The limits are the shared `SPEC_LIMITS` (the project.yaml schema and the
 * dev-server check the same ones).
 */
import { containsNulOrLineBreak, SPEC_LIMITS, utf8ByteLength } from '@pollinator/spec-builder';
import { parseCpuMillicores, parseMemoryBytes } from './resource-units';
import type { ExecutorSpec } from './validate-spec';

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
}

/** A whole number in `[min, max]`, or the reason it is not. */
function wholeNumberProblem(value: unknown, min: number, max: number, unit = ''): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, got ${describe(value)}`;
  if (!Number.isInteger(value)) return `must be a whole number, got ${value}`;
  if (value < min) return `must be at least ${min}, got ${value}`;
  if (value > max) return `is ${value}${unit}, above the limit of ${max}${unit}`;
  return undefined;
}

/**
 * The first number of the spec out of its bounds, as `Invalid funcspec,
 * <field> …`, or undefined. Run after the original rules (which give the
 * original messages for 0 and negative values).
 */
export function checkSpecNumbers(spec: ExecutorSpec): string | undefined {
  const c = spec.conditions;
  const checks: [string, unknown, number, number, string?][] = [
    ['conditions.walltime', c.walltime, 1, SPEC_LIMITS.walltimeSeconds, ' s'],
    ['maxexectime', spec.maxexectime, 1, SPEC_LIMITS.walltimeSeconds, ' s'],
    ['maxretries', spec.maxretries, 1, SPEC_LIMITS.retries],
    ['conditions.nodes', c.nodes, 1, SPEC_LIMITS.nodes],
    ['conditions.processespernode', c.processespernode, 1, SPEC_LIMITS.processesPerNode],
    ['conditions.gpu.count', c.gpu?.count ?? 0, 0, SPEC_LIMITS.gpuCount],
  ];
  for (const [field, value, min, max, unit] of checks) {
    const problem = wholeNumberProblem(value, min, max, unit);
    if (problem) return `Invalid funcspec, ${field} ${problem}`;
  }
  const cpu = parseCpuMillicores(c.cpu);
  if (cpu !== undefined && cpu > SPEC_LIMITS.cpuMillicores) {
    return `Invalid funcspec, conditions.cpu ${JSON.stringify(c.cpu)} is above the limit of ${SPEC_LIMITS.cpuMillicores}m`;
  }
  const memory = parseMemoryBytes(c.mem);
  if (memory !== undefined && !(memory <= SPEC_LIMITS.memoryBytes)) {
    return `Invalid funcspec, conditions.mem ${JSON.stringify(c.mem)} is above the limit of ${SPEC_LIMITS.memoryBytes / 1024 ** 3}Gi`;
  }
  return undefined;
}

const NUL = '\0';

interface StringRule {
  field: string;
  value: unknown;
  /** Line breaks cannot work here (names, images, keys), only NUL is refused otherwise. */
  singleLine: boolean;
}

function stringRules(spec: ExecutorSpec): StringRule[] {
  const kwargs = spec.kwargs ?? {};
  const rules: StringRule[] = [
    // cmd and init-cmd are shell command lines: a line break there is a second command.
    { field: 'kwargs.cmd', value: kwargs.cmd, singleLine: false },
    { field: 'kwargs.init-cmd', value: kwargs['init-cmd'], singleLine: false },
    { field: 'kwargs.docker-image', value: kwargs['docker-image'], singleLine: true },
    { field: 'conditions.executortype', value: spec.conditions.executortype, singleLine: true },
    { field: 'conditions.gpu.name', value: spec.conditions.gpu?.name, singleLine: true },
    { field: 'fs.mount', value: spec.fs?.mount, singleLine: true },
  ];
  for (const key of ['slurm-partition', 'slurm-account', 'slurm-qos']) {
    rules.push({ field: `kwargs.${key}`, value: kwargs[key], singleLine: true });
  }
  if (Array.isArray(kwargs.args)) {
    // Each arg is one quoted shell word: a line break inside it is carried intact.
    for (const [index, arg] of kwargs.args.entries()) rules.push({ field: `kwargs.args[${index}]`, value: arg, singleLine: false });
  }
  for (const [key, value] of Object.entries(spec.env ?? {})) {
    rules.push({ field: `env key ${JSON.stringify(key.slice(0, 64))}`, value: key, singleLine: true });
    // Every backend carries a multi-line value (quoted, or as a Kubernetes env value); none carries NUL.
    rules.push({ field: `env.${key.slice(0, 64)}`, value, singleLine: false });
  }
  return rules;
}

/**
 * The first string of the spec that cannot reach a command, an image name or
 * an environment intact — a NUL anywhere, a line break where it cannot work,
 * or more than `SPEC_LIMITS.maxStringBytes` — as `Invalid funcspec, <field>
 * …`, or undefined. Non-string values are left to the kwargs parser.
 */
export function checkSpecStrings(spec: ExecutorSpec): string | undefined {
  for (const { field, value, singleLine } of stringRules(spec)) {
    if (typeof value !== 'string') continue;
    if (value.includes(NUL)) return `Invalid funcspec, ${field} contains a NUL character`;
    if (singleLine && containsNulOrLineBreak(value)) return `Invalid funcspec, ${field} contains a line break`;
    if (utf8ByteLength(value) > SPEC_LIMITS.maxStringBytes) {
      return `Invalid funcspec, ${field} is longer than ${SPEC_LIMITS.maxStringBytes} bytes`;
    }
  }
  return undefined;
}
