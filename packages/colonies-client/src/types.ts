// Wire types of the Colonies v1.9.12 RPC protocol (colonies-protocol.md,
// Appendix B), refined: field names are the exact JSON keys, int64 nanosecond
// fields are `bigint`, lists the server may send as `null` are always arrays.

/** Process states (`process.state`). CANCELLED exists from v1.9.12. */
export const ProcessState = { WAITING: 0, RUNNING: 1, SUCCESS: 2, FAILED: 3, CANCELLED: 4 } as const;
export type ProcessState = (typeof ProcessState)[keyof typeof ProcessState];

/** Executor states (`executor.state`). */
export const ExecutorState = { PENDING: 0, APPROVED: 1, REJECTED: 2, UNREGISTERED: 3 } as const;
export type ExecutorState = (typeof ExecutorState)[keyof typeof ExecutorState];

/** Attribute types (`attribute.attributetype`). */
export const AttributeType = { IN: 0, OUT: 1, ERR: 2, ENV: 3 } as const;
export type AttributeType = (typeof AttributeType)[keyof typeof AttributeType];

/** SUCCESS, FAILED and CANCELLED: a process never leaves these. */
export const TERMINAL_PROCESS_STATES: readonly ProcessState[] = [
  ProcessState.SUCCESS,
  ProcessState.FAILED,
  ProcessState.CANCELLED,
];

export function isTerminalProcessState(state: number): boolean {
  return state === ProcessState.SUCCESS || state === ProcessState.FAILED || state === ProcessState.CANCELLED;
}

/** Names of the process states, for messages and logs. */
export function processStateName(state: number): string {
  return ['WAITING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED'][state] ?? `UNKNOWN(${state})`;
}

/** Any JSON value, with `bigint` for integers beyond 2^53 (lossless parsing). */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };

export interface Gpu {
  name: string;
  mem: string;
  count: number;
  nodecount: number;
}

export interface Conditions {
  colonyname: string;
  executornames: string[];
  executortype: string;
  locationname?: string;
  dependencies: string[];
  nodes: number;
  /** `"<n>m"` millicores: the only form the server parses. */
  cpu: string;
  processes: number;
  processespernode: number;
  /** `""` or `<int><unit>`; the server normalises to `"<n>Mi"` on read-back. */
  mem: string;
  /** Leave empty: a non-empty storage is never assigned in exclusive-assign mode. */
  storage: string;
  gpu: Gpu;
  /** Seconds; informational for executors (Slurm `--time`). */
  walltime: number;
}

export interface SnapshotMount {
  snapshotid: string;
  label: string;
  dir: string;
  keepfiles: boolean;
  keepsnapshot: boolean;
}

export interface SyncDirMount {
  label: string;
  dir: string;
  keepfiles: boolean;
  onconflicts: { onstart: { keeplocal: boolean }; onclose: { keeplocal: boolean } };
}

export interface FunctionSpec {
  nodename: string;
  funcname: string;
  args: JsonValue[];
  kwargs: Record<string, JsonValue>;
  /** [-50000, 50000]; one unit ≈ one day of queue age. */
  priority: number;
  /** Seconds in WAITING before the server fails the process; -1 or 0 = never. */
  maxwaittime: number;
  /** Seconds RUNNING before the server unassigns/fails it; -1 = never. Never 0. */
  maxexectime: number;
  /** -1 = unlimited re-queues on exec timeout. */
  maxretries: number;
  conditions: Conditions;
  label: string;
  fs: { mount: string; snapshots: SnapshotMount[]; dirs: SyncDirMount[] };
  env: Record<string, string>;
  channels?: string[];
}

/** What `submit()` accepts: every field but `funcname` and the colony may be left out. */
export interface FunctionSpecInput {
  nodename?: string;
  funcname: string;
  args?: JsonValue[];
  kwargs?: Record<string, JsonValue>;
  priority?: number;
  maxwaittime?: number;
  maxexectime?: number;
  maxretries?: number;
  conditions?: Partial<Omit<Conditions, 'gpu'>> & { gpu?: Partial<Gpu> };
  label?: string;
  fs?: { mount?: string; snapshots?: SnapshotMount[] | null; dirs?: SyncDirMount[] | null };
  env?: Record<string, string>;
  channels?: string[];
}

export interface Attribute {
  attributeid: string;
  targetid: string;
  targetcolonyname: string;
  targetprocessgraphid: string;
  state: number;
  attributetype: AttributeType;
  key: string;
  value: string;
}

export interface Process {
  processid: string;
  initiatorid: string;
  initiatorname: string;
  assignedexecutorid: string;
  isassigned: boolean;
  state: ProcessState;
  /** int64 ns, exact. Lower is assigned first. */
  prioritytime: bigint;
  /** RFC 3339; any time in year 0001 means "unset" (see `isUnsetTime`). */
  submissiontime: string;
  starttime: string;
  endtime: string;
  waitdeadline: string;
  /** Not carried by the assign reply: read it with `getProcess`. */
  execdeadline: string;
  retries: number;
  attributes: Attribute[];
  spec: FunctionSpec;
  waitforparents: boolean;
  parents: string[];
  children: string[];
  processgraphid: string;
  in: JsonValue[];
  out: JsonValue[];
  errors: string[];
}

export interface Log {
  processid: string;
  colonyname: string;
  executorname: string;
  /** Verbatim, usually with its trailing newline. */
  message: string;
  /** int64 UnixNano, exact: use it as the `since` cursor. */
  timestamp: bigint;
}

export interface Colony {
  colonyid: string;
  name: string;
}

export interface ColonyStatistics {
  colonies: number;
  executors: number;
  activeexecutors: number;
  unregisteredexecutors: number;
  waitingprocesses: number;
  runningprocesses: number;
  successfulprocesses: number;
  failedprocesses: number;
  cancelledprocesses: number;
  waitingworkflows: number;
  runningworkflows: number;
  successfulworkflows: number;
  failedworkflows: number;
  cancelledworkflows: number;
}

export interface User {
  colonyname: string;
  userid: string;
  name: string;
  email: string;
  phone: string;
}

export interface Hardware {
  model: string;
  nodes: number;
  cpu: string;
  cores: number;
  mem: string;
  storage: string;
  gpu: Gpu;
  platform: string;
  architecture: string;
  network: string[];
}

export interface Software {
  name: string;
  type: string;
  version: string;
}

/** v1.9.6+ shape: arrays (the older object shape is rejected by the server). */
export interface Capabilities {
  hardware: Hardware[];
  software: Software[];
}

export interface ProjectAllocation {
  allocatedcpu: number;
  usedcpu: number;
  allocatedgpu: number;
  usedgpu: number;
  allocatedstorage: number;
  usedstorage: number;
}

export interface Executor {
  executorid: string;
  executortype: string;
  executorname: string;
  colonyname: string;
  state: ExecutorState;
  requirefuncreg: boolean;
  commissiontime: string;
  lastheardfromtime: string;
  locationname?: string;
  capabilities: Capabilities;
  allocations: { projects: Record<string, ProjectAllocation> };
  blueprintid?: string;
  blueprintgen?: number;
}

/** What `addExecutor()` accepts. The server forces state PENDING and sets the times. */
export interface ExecutorInput {
  executorid: string;
  executorname: string;
  executortype: string;
  colonyname?: string;
  requirefuncreg?: boolean;
  locationname?: string;
  capabilities?: { hardware?: Partial<Hardware>[]; software?: Software[] };
}

export interface FunctionArg {
  name: string;
  type: string;
  description?: string;
  required?: boolean;
  enum?: string[];
}

export interface ColoniesFunction {
  functionid: string;
  executorname: string;
  executortype: string;
  colonyname: string;
  funcname: string;
  description?: string;
  args?: FunctionArg[];
  counter: number;
  minwaittime: number;
  maxwaittime: number;
  minexectime: number;
  maxexectime: number;
  avgwaittime: number;
  avgexectime: number;
  locationname?: string;
}

export interface FunctionInput {
  funcname: string;
  executorname?: string;
  executortype?: string;
  colonyname?: string;
  description?: string;
  args?: FunctionArg[];
}

export interface S3Object {
  server: string;
  port: number;
  tls: boolean;
  /** Leave empty: every colony member can read file records. */
  accesskey: string;
  secretkey: string;
  region: string;
  encryptionkey: string;
  encryptionalg: string;
  object: string;
  bucket: string;
}

export interface CfsFile {
  fileid: string;
  colonyname: string;
  label: string;
  name: string;
  size: number;
  sequencenr: number;
  checksum: string;
  checksumalg: string;
  ref: { protocol: string; s3object: S3Object };
  added: string;
}

/** What `addFile()` accepts; the server generates `fileid`, `sequencenr` and `added`. */
export interface CfsFileInput {
  colonyname?: string;
  label: string;
  name: string;
  size: number;
  checksum: string;
  checksumalg?: string;
  ref: { protocol?: string; s3object: Partial<S3Object> & { object: string } };
  fileid?: string;
  sequencenr?: number;
  added?: string;
}

/** `getFiles()` items: the newest revision of each name directly in a label. */
export interface FileData {
  name: string;
  checksum: string;
  size: number;
  s3filename: string;
}

export interface Label {
  name: string;
  files: number;
}

export interface Snapshot {
  snapshotid: string;
  colonyname: string;
  label: string;
  name: string;
  fileids: string[];
  added: string;
}

export interface ServerBackend {
  type: string;
  host: string;
  port: number;
  tls?: boolean;
  insecure?: boolean;
}

export interface ServerInfo {
  buildversion: string;
  buildtime: string;
  backends: ServerBackend[];
}

export interface VersionInfo {
  buildversion: string;
  buildtime: string;
}

/** True for Go's zero time in any zone (any time in year 0001). */
export function isUnsetTime(time: string): boolean {
  return time === '' || time.startsWith('0001-');
}
