/**
 * The ColonyOS FunctionSpec as Pollinator submits it (colonies-protocol.md
 * §3.8). Structurally the same as `FunctionSpec` of `@pollinator/colonies-client`,
 * repeated here so that spec building has no run-time dependency.
 */
export interface FunctionSpec {
  nodename: string;
  funcname: string;
  args: JsonValue[];
  kwargs: Record<string, JsonValue>;
  priority: number;
  maxwaittime: number;
  /** Seconds; never 0 (the server would fail the process at once). */
  maxexectime: number;
  maxretries: number;
  conditions: {
    colonyname: string;
    executornames: string[];
    executortype: string;
    dependencies: string[];
    nodes: number;
    cpu: string;
    processes: number;
    processespernode: number;
    mem: string;
    storage: string;
    gpu: { name: string; mem: string; count: number; nodecount: number };
    walltime: number;
  };
  label: string;
  fs: {
    mount: string;
    snapshots: SnapshotMount[];
    dirs: SyncDirMount[];
  };
  env: Record<string, string>;
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

/** A JSON value (what spec `args` and `kwargs` may hold). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
