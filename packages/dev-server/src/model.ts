// JSON shapes of the Colonies objects, normalised the way the Go server
// marshals its structs (field order, zero values, omitempty fields).
import { formatTime, type Nanos } from './clock';
import { sortMapKeys } from './go-json';
import { arr, bool, boundedInt, int, type JsonObject, obj, objArr, str, strArr, strMap } from './json-reader';
import { REQUEST_LIMITS } from './request-limits';
import { badRequest } from './rpc-error';
import { formatCpu, formatMemory, parseCpu, parseMemory } from './resources';

export const ProcessState = { WAITING: 0, RUNNING: 1, SUCCESS: 2, FAILED: 3, CANCELLED: 4 } as const;
export const ExecutorState = { PENDING: 0, APPROVED: 1, REJECTED: 2, UNREGISTERED: 3 } as const;
export const AttributeType = { IN: 0, OUT: 1, ERR: 2, ENV: 3 } as const;

/** The scheduling-relevant numbers extracted from a submitted spec. */
export interface NormalisedSpec {
  /** The FunctionSpec as stored (env is rebuilt from ENV attributes on read). */
  spec: JsonObject;
  env: Record<string, string>;
  colonyName: string;
  executorType: string;
  executorNames: string[] | null;
  locationName: string;
  label: string;
  priority: number;
  maxWaitTime: number;
  maxExecTime: number;
  maxRetries: number;
  cpu: number;
  mem: bigint;
  storage: bigint;
  nodes: number;
  processes: number;
  processesPerNode: number;
}

function gpu(source: JsonObject | null): JsonObject {
  return {
    name: str(source, 'name'),
    mem: formatMemory(parseMemory(str(source, 'mem'), 'conditions.gpu.mem')),
    count: int(source, 'count'),
    nodecount: int(source, 'nodecount'),
  };
}

function snapshotMount(source: JsonObject): JsonObject {
  return {
    snapshotid: str(source, 'snapshotid'),
    label: str(source, 'label'),
    dir: str(source, 'dir'),
    keepfiles: bool(source, 'keepfiles'),
    keepsnapshot: bool(source, 'keepsnapshot'),
  };
}

function syncDirMount(source: JsonObject): JsonObject {
  const conflicts = obj(source, 'onconflicts');
  return {
    label: str(source, 'label'),
    dir: str(source, 'dir'),
    keepfiles: bool(source, 'keepfiles'),
    onconflicts: {
      onstart: { keeplocal: bool(obj(conflicts, 'onstart'), 'keeplocal') },
      onclose: { keeplocal: bool(obj(conflicts, 'onclose'), 'keeplocal') },
    },
  };
}

/**
 * A duration in seconds: any negative value means "never", the maximum is
 * REQUEST_LIMITS.durationSeconds (deadlines are int64 nanoseconds).
 */
function duration(source: JsonObject | null, key: string): number {
  return boundedInt(source, key, Number.MIN_SAFE_INTEGER, REQUEST_LIMITS.durationSeconds);
}

/** Validates and normalises `submitfuncspecmsg.spec` (colonies-protocol.md §3.4, §3.8). */
export function normaliseSpec(source: JsonObject | null): NormalisedSpec {
  const conditions = obj(source, 'conditions');
  const priority = int(source, 'priority');
  const cpu = parseCpu(str(conditions, 'cpu'), 'conditions.cpu');
  const mem = parseMemory(str(conditions, 'mem'), 'conditions.mem');
  const storage = parseMemory(str(conditions, 'storage'), 'conditions.storage');
  const gpuSpec = gpu(obj(conditions, 'gpu'));
  if (priority < -50000 || priority > 50000) {
    throw badRequest('Failed to submit function spec, priority outside range [-50000, 50000]');
  }
  const locationName = str(conditions, 'locationname');
  const executorNames = strArr(conditions, 'executornames');
  const normalisedConditions: JsonObject = {
    colonyname: str(conditions, 'colonyname'),
    executornames: executorNames,
    executortype: str(conditions, 'executortype'),
    ...(locationName ? { locationname: locationName } : {}),
    dependencies: strArr(conditions, 'dependencies'),
    nodes: int(conditions, 'nodes'),
    cpu: formatCpu(cpu),
    processes: int(conditions, 'processes'),
    processespernode: int(conditions, 'processespernode'),
    mem: formatMemory(mem),
    storage: formatMemory(storage),
    gpu: gpuSpec,
    walltime: duration(conditions, 'walltime'),
  };
  const fs = obj(source, 'fs');
  const snapshots = objArr(fs, 'snapshots');
  const dirs = objArr(fs, 'dirs');
  const channels = strArr(source, 'channels');
  const env = strMap(source, 'env') ?? {};
  const kwargs = obj(source, 'kwargs');
  const spec: JsonObject = {
    nodename: str(source, 'nodename'),
    funcname: str(source, 'funcname'),
    args: sortMapKeys(arr(source, 'args') ?? []),
    kwargs: sortMapKeys(kwargs ?? {}),
    priority,
    maxwaittime: duration(source, 'maxwaittime'),
    maxexectime: duration(source, 'maxexectime'),
    maxretries: int(source, 'maxretries'),
    conditions: normalisedConditions,
    label: str(source, 'label'),
    fs: {
      mount: str(fs, 'mount'),
      snapshots: snapshots === null ? null : snapshots.map(snapshotMount),
      dirs: dirs === null ? null : dirs.map(syncDirMount),
    },
    env: {},
    ...(channels && channels.length > 0 ? { channels } : {}),
  };
  return {
    spec,
    env,
    colonyName: normalisedConditions.colonyname as string,
    executorType: normalisedConditions.executortype as string,
    executorNames,
    locationName,
    label: spec.label as string,
    priority,
    maxWaitTime: spec.maxwaittime as number,
    maxExecTime: spec.maxexectime as number,
    maxRetries: spec.maxretries as number,
    cpu,
    mem,
    storage,
    nodes: normalisedConditions.nodes as number,
    processes: normalisedConditions.processes as number,
    processesPerNode: normalisedConditions.processespernode as number,
  };
}

function hardware(source: JsonObject): JsonObject {
  return {
    model: str(source, 'model'),
    nodes: int(source, 'nodes'),
    cpu: str(source, 'cpu'),
    cores: int(source, 'cores'),
    mem: str(source, 'mem'),
    storage: str(source, 'storage'),
    gpu: (() => {
      const g = obj(source, 'gpu');
      return { name: str(g, 'name'), mem: str(g, 'mem'), count: int(g, 'count'), nodecount: int(g, 'nodecount') };
    })(),
    platform: str(source, 'platform'),
    architecture: str(source, 'architecture'),
    network: strArr(source, 'network'),
  };
}

function software(source: JsonObject): JsonObject {
  return { name: str(source, 'name'), type: str(source, 'type'), version: str(source, 'version') };
}

/** `capabilities` of an executor (v1.9.6+ arrays; the old object form is invalid JSON). */
export function normaliseCapabilities(source: JsonObject | null): JsonObject {
  const hw = objArr(source, 'hardware');
  const sw = objArr(source, 'software');
  return { hardware: hw === null ? null : hw.map(hardware), software: sw === null ? null : sw.map(software) };
}

/** `allocations` of an executor. */
export function normaliseAllocations(source: JsonObject | null): JsonObject {
  const projects = obj(source, 'projects');
  if (projects === null) return { projects: null };
  const out: JsonObject = {};
  for (const name of Object.keys(projects).sort()) {
    const project = obj(projects, name);
    out[name] = {
      allocatedcpu: int(project, 'allocatedcpu'),
      usedcpu: int(project, 'usedcpu'),
      allocatedgpu: int(project, 'allocatedgpu'),
      usedgpu: int(project, 'usedgpu'),
      allocatedstorage: int(project, 'allocatedstorage'),
      usedstorage: int(project, 'usedstorage'),
    };
  }
  return { projects: out };
}

export interface ExecutorRow {
  executorid: string;
  colonyname: string;
  name: string;
  type: string;
  state: number;
  locationname: string;
  commissiontime: bigint;
  lastheard: bigint;
  body: string;
}

/** Executor JSON (§3.10) from a stored row. */
export function executorJson(row: ExecutorRow): JsonObject {
  const body = JSON.parse(row.body) as JsonObject;
  return {
    executorid: row.executorid,
    executortype: row.type,
    executorname: row.name,
    colonyname: row.colonyname,
    state: Number(row.state),
    requirefuncreg: body.requirefuncreg === true,
    commissiontime: formatTime(row.commissiontime),
    lastheardfromtime: formatTime(row.lastheard),
    ...(row.locationname ? { locationname: row.locationname } : {}),
    capabilities: body.capabilities,
    allocations: body.allocations,
    ...(body.blueprintid ? { blueprintid: body.blueprintid } : {}),
    ...(body.blueprintgen ? { blueprintgen: body.blueprintgen } : {}),
  };
}

export interface AttributeRow {
  attributeid: string;
  targetid: string;
  colonyname: string;
  state: number;
  type: number;
  key: string;
  value: string;
}

export function attributeJson(row: AttributeRow): JsonObject {
  return {
    attributeid: row.attributeid,
    targetid: row.targetid,
    targetcolonyname: row.colonyname,
    targetprocessgraphid: '',
    state: Number(row.state),
    attributetype: Number(row.type),
    key: row.key,
    value: row.value,
  };
}

export interface ProcessRow {
  processid: string;
  colonyname: string;
  executortype: string;
  executornames: string;
  locationname: string;
  label: string;
  state: bigint;
  isassigned: bigint;
  assignedexecutorid: string;
  initiatorid: string;
  initiatorname: string;
  prioritytime: bigint;
  submissiontime: bigint;
  starttime: bigint;
  endtime: bigint;
  waitdeadline: bigint;
  execdeadline: bigint;
  retries: bigint;
  maxretries: bigint;
  maxexectime: bigint;
  maxwaittime: bigint;
  cpu: bigint;
  mem: bigint;
  storage: bigint;
  nodes: bigint;
  procs: bigint;
  ppn: bigint;
  spec: string;
  input: string;
  output: string;
  errors: string;
}

export interface ProcessJsonOptions {
  /** Fractional digits of `starttime` (the assign reply echoes it from memory: 9). */
  startTimePrecision?: 6 | 9;
  /** Overrides `execdeadline` (the assign reply carries the previous value). */
  execDeadline?: Nanos;
}

/** Process JSON (§3.9) from a stored row and its attributes. */
export function processJson(row: ProcessRow, attributes: AttributeRow[], options: ProcessJsonOptions = {}): JsonObject {
  const spec = JSON.parse(row.spec) as JsonObject;
  const env: Record<string, string> = {};
  for (const attribute of attributes) if (Number(attribute.type) === AttributeType.ENV) env[attribute.key] = attribute.value;
  spec.env = sortMapKeys(env);
  return {
    processid: row.processid,
    initiatorid: row.initiatorid,
    initiatorname: row.initiatorname,
    assignedexecutorid: row.assignedexecutorid,
    isassigned: row.isassigned !== 0n,
    state: Number(row.state),
    prioritytime: row.prioritytime,
    submissiontime: formatTime(row.submissiontime),
    starttime: formatTime(row.starttime, options.startTimePrecision ?? 6),
    endtime: formatTime(row.endtime),
    waitdeadline: formatTime(row.waitdeadline),
    execdeadline: formatTime(options.execDeadline ?? row.execdeadline),
    retries: Number(row.retries),
    attributes: attributes.map(attributeJson),
    spec,
    waitforparents: false,
    parents: [],
    children: [],
    processgraphid: '',
    in: JSON.parse(row.input) as unknown,
    out: JSON.parse(row.output) as unknown,
    errors: JSON.parse(row.errors) as unknown,
  };
}
