import { FORWARD_PORTS_ENV, forwardChannelNames } from './forward-channels';
import type { FunctionSpec, JsonValue } from './function-spec';
import { containsNulOrLineBreak, SPEC_LIMITS, utf8ByteLength } from './limits';
import type { Project } from './parse-project';
import { MAX_NODES, MAX_PROCESSES_PER_NODE, validateCpu, validateMemory, validateWalltime } from './resources';
import { readStopSignal, stopSignalKwargs } from './stop-signal';
import { retryPolicyEnv } from './retry-policy';

/** Where executors mount the CFS staging directory inside the job. */
export const CFS_MOUNT = '/cfs';
/** The function Pollinator jobs call (the container executors implement it). */
export const EXECUTE_FUNCTION = 'execute';
/** Priority the original Pollinator submits with. */
export const DEFAULT_PRIORITY = 5;

/**
 * FunctionSpec `kwargs` keys for the Slurm placement a project may set. The
 * original Go executors ignore unknown kwargs, so adding them keeps specs
 * compatible; Pollinator's Slurm backend reads them (see `readSlurmPlacement`).
 */
export const SLURM_KWARGS = {
  account: 'slurm-account',
  partition: 'slurm-partition',
  qos: 'slurm-qos',
} as const;

/** CFS labels and executor-side directories of a project (executors.md §1.1, §3). */
export function projectPaths(projectName: string) {
  const root = `/pollinator/${projectName}`;
  return {
    /** `/pollinator/<p>` */
    root,
    /** CFS label of `cfs/src` (snapshotted per run). */
    srcLabel: `${root}/src`,
    /** CFS label of `cfs/data`. */
    dataLabel: `${root}/data`,
    /** CFS label of `cfs/result`. */
    resultLabel: `${root}/result`,
    /** Directory (under the mount) a snapshot of src is staged into. */
    snapshotDir: (snapshotId: string) => `${root}/${snapshotId}/src`,
    /** `PROJECT_DIR` as the job sees it. */
    projectDir: `${CFS_MOUNT}${root}`,
  };
}

export interface BuildFunctionSpecOptions {
  /** Colony to submit to (`conditions.colonyname`). */
  colonyName: string;
  /** Id of the snapshot of the src label created for this run. */
  snapshotId: string;
  /**
   * Id of the snapshot of the data label created for this run (metadata only).
   * The job's `data/` is staged from it, so rerunning the process later sees the
   * same data, whatever happened to the label since.
   */
  dataSnapshotId: string;
}

/**
 * The FunctionSpec `pollinator run` submits for `project`: field for field what
 * the original Go Pollinator submits (executors.md §1.1), with three deliberate,
 * documented fixes:
 *
 * - `maxexectime` is the walltime (the original sent walltime − 1, and 0 for a
 *   walltime of 1, which makes the server fail the process at once). It is
 *   never 0 and never above the walltime, which the executors reject.
 * - `label` is the project name instead of the constant `"test_label"`, so
 *   processes can be listed per project.
 * - `maxretries` comes from `retries` (default 3, as before); `retryOn` and
 *   `retryGrowth` add `env.POLLINATOR_RETRY_*` (retry-policy.ts).
 * - `data` is staged from a snapshot of the data label taken at submit
 *   (`fs.snapshots[1]`, at the same directory the job found it before) instead
 *   of a synced `fs.dirs` entry, so the process record names exactly the data
 *   the job saw and a rerun gets the same bytes (issue #14).
 *
 * Additions from optional project.yaml keys: `environment.env` entries join
 * `env`, `slurm.*` become `kwargs["slurm-…"]`, `conditions.executorType`
 * replaces `container-executor`, and a `tunnel` in mode `forward` declares the
 * forward channels (`channels`) and the port the executor may connect to
 * (`env.POLLINATOR_FORWARD_PORTS`). A project without them gives exactly the
 * original spec (apart from the fixes above).
 */
export function buildFunctionSpec(project: Project, options: BuildFunctionSpecOptions): FunctionSpec {
  const { colonyName, snapshotId, dataSnapshotId } = options;
  if (colonyName === '') throw new TypeError('buildFunctionSpec: colonyName must not be empty');
  if (snapshotId === '') throw new TypeError('buildFunctionSpec: snapshotId must not be empty');
  if (typeof dataSnapshotId !== 'string' || dataSnapshotId === '') {
    throw new TypeError('buildFunctionSpec: dataSnapshotId must not be empty (the id of the snapshot of the data label)');
  }
  const problems = resourceProblems(project);
  if (problems.length > 0) {
    throw new RangeError(`buildFunctionSpec: the executors would reject this spec: ${problems.join('; ')}`);
  }
  const paths = projectPaths(project.projectName);
  const { conditions, environment } = project;

  const kwargs: Record<string, JsonValue> = {
    cmd: environment.cmd,
    'init-cmd': environment.initCmd,
    'docker-image': environment.docker,
    'rebuild-image': environment.rebuildImage,
    args:
      environment.source === undefined
        ? []
        : [`${CFS_MOUNT}${paths.snapshotDir(snapshotId)}/${environment.source}`],
  };
  for (const [field, key] of Object.entries(SLURM_KWARGS) as [keyof typeof SLURM_KWARGS, string][]) {
    const value = project.slurm[field];
    if (value !== undefined) kwargs[key] = value;
  }
  // Only when asked for: a spec without it stays the original's, field for field.
  if (environment.stopSignal) Object.assign(kwargs, stopSignalKwargs(environment.stopSignal));

  const spec: FunctionSpec = {
    nodename: '',
    funcname: EXECUTE_FUNCTION,
    args: [],
    kwargs,
    priority: DEFAULT_PRIORITY,
    maxwaittime: -1,
    maxexectime: conditions.walltime,
    maxretries: project.retries,
    conditions: {
      colonyname: colonyName,
      executornames: [...conditions.executorNames],
      executortype: conditions.executorType,
      dependencies: [],
      nodes: conditions.nodes,
      cpu: conditions.cpu,
      processes: 0,
      processespernode: conditions.processesPerNode,
      mem: conditions.mem,
      storage: '',
      gpu: { name: conditions.gpu.name, mem: '', count: conditions.gpu.count, nodecount: 0 },
      walltime: conditions.walltime,
    },
    label: project.projectName,
    fs: {
      mount: CFS_MOUNT,
      snapshots: [
        {
          label: paths.srcLabel,
          snapshotid: snapshotId,
          dir: paths.snapshotDir(snapshotId),
          keepfiles: true,
          keepsnapshot: true,
        },
        {
          label: paths.dataLabel,
          snapshotid: dataSnapshotId,
          dir: paths.dataLabel,
          keepfiles: true,
          keepsnapshot: true,
        },
      ],
      dirs: [
        {
          label: paths.resultLabel,
          dir: paths.resultLabel,
          keepfiles: false,
          onconflicts: { onstart: { keeplocal: false }, onclose: { keeplocal: true } },
        },
      ],
    },
    // The retry policy travels with the spec: the executor that sees a failure decides (none for the defaults).
    env: { ...environment.env, PROJECT_DIR: paths.projectDir, ...retryPolicyEnv(project.retryPolicy ?? {}) },
  };
  return project.tunnel?.mode === 'forward' ? withForward(spec, project.tunnel.port) : spec;
}

/**
 * A keyless forward needs the spec itself to say so: ColonyOS creates a
 * process's channels only for the names its spec lists (at submit, never
 * later), and the executor relays only to the ports the spec's env lists, so
 * a forward cannot reach any other port of the node. An SSH tunnel needs
 * neither (the CLI connects through the jump host on its own).
 */
function withForward(spec: FunctionSpec, port: number): FunctionSpec {
  return { ...spec, env: { ...spec.env, [FORWARD_PORTS_ENV]: String(port) }, channels: forwardChannelNames() };
}

/**
 * The Slurm placement a spec asks for (`kwargs["slurm-account"]`, …), for
 * executors. Non-string values are ignored.
 */
export function readSlurmPlacement(spec: { kwargs?: Record<string, unknown> | null }): {
  account?: string;
  partition?: string;
  qos?: string;
} {
  const placement: { account?: string; partition?: string; qos?: string } = {};
  for (const [field, key] of Object.entries(SLURM_KWARGS) as [keyof typeof SLURM_KWARGS, string][]) {
    const value = spec.kwargs?.[key];
    if (typeof value === 'string' && value !== '') placement[field] = value;
  }
  return placement;
}

/**
 * The resource rules of the executors (executors.md §1.3–1.6), checked again
 * on the spec's values so that a `Project` built by hand (not parsed) cannot
 * put a spec on a queue that every executor would fail.
 */
export function resourceProblems(project: Project): string[] {
  const { conditions } = project;
  const problems: string[] = [];
  const integerIn = (value: number, min: number, max: number) => Number.isInteger(value) && value >= min && value <= max;
  if (!integerIn(conditions.nodes, 1, MAX_NODES)) problems.push(`nodes must be 1–${MAX_NODES}, got ${conditions.nodes}`);
  if (!integerIn(conditions.processesPerNode, 1, MAX_PROCESSES_PER_NODE)) {
    problems.push(`processesPerNode must be 1–${MAX_PROCESSES_PER_NODE}, got ${conditions.processesPerNode}`);
  }
  const cpu = validateCpu(conditions.cpu);
  if (cpu !== undefined) problems.push(`cpu ${JSON.stringify(conditions.cpu)}: ${cpu}`);
  const mem = validateMemory(conditions.mem);
  if (mem !== undefined) problems.push(`mem ${JSON.stringify(conditions.mem)}: ${mem}`);
  const walltime = validateWalltime(conditions.walltime);
  if (walltime !== undefined) problems.push(walltime);
  if (!integerIn(conditions.gpu.count, 0, SPEC_LIMITS.gpuCount)) {
    problems.push(`gpu.count must be 0–${SPEC_LIMITS.gpuCount}, got ${conditions.gpu.count}`);
  }
  if (!integerIn(project.retries, 1, SPEC_LIMITS.retries)) problems.push(`retries must be 1–${SPEC_LIMITS.retries}, got ${project.retries}`);
  problems.push(...textProblems(project));
  const stopSignal = project.environment.stopSignal;
  const stopRead = stopSignal && readStopSignal({ kwargs: stopSignalKwargs(stopSignal), conditions: { walltime: conditions.walltime } });
  if (stopRead && 'error' in stopRead) problems.push(stopRead.error.replace(/^Invalid funcspec, /, 'stopSignal: '));
  return problems;
}

/** The text fields that reach a shell, an image pull, Slurm or the job's environment. */
function textProblems(project: Project): string[] {
  const { conditions, environment } = project;
  const fields: Array<[string, string | undefined]> = [
    ['projectname', project.projectName],
    ['executorType', conditions.executorType],
    ...conditions.executorNames.map((name, index): [string, string] => [`executorNames[${index}]`, name]),
    ['gpu.name', conditions.gpu.name],
    ['docker', environment.docker],
    ['init-cmd', environment.initCmd],
    ['cmd', environment.cmd],
    ['source', environment.source],
    ...Object.entries(environment.env).flatMap(([key, value]): Array<[string, string]> => [
      [`env key ${JSON.stringify(key.slice(0, 80))}`, key],
      [`env.${key.slice(0, 80)}`, value],
    ]),
    ['slurm.account', project.slurm.account],
    ['slurm.partition', project.slurm.partition],
    ['slurm.qos', project.slurm.qos],
  ];
  const problems: string[] = [];
  for (const [field, value] of fields) {
    if (value === undefined) continue;
    if (containsNulOrLineBreak(value)) problems.push(`${field} contains a NUL character or a line break`);
    if (utf8ByteLength(value) > SPEC_LIMITS.maxStringBytes) problems.push(`${field} is longer than ${SPEC_LIMITS.maxStringBytes} bytes`);
  }
  return problems;
}
