// The ColonyOS FunctionSpec as Pollinator submits it (colonies-protocol.md
// §3.8). The wire types live once, in `@pollinator/colonies-client`; this file
// only re-names them for spec-builder's public API. The import is type-only,
// so building a spec still loads no client code at run time.
import type {
  Conditions as ClientConditions,
  FunctionSpec as ClientFunctionSpec,
  JsonValue as ClientJsonValue,
  SnapshotMount as ClientSnapshotMount,
  SyncDirMount as ClientSyncDirMount,
} from '@pollinator/colonies-client';

/** The spec `buildFunctionSpec` returns and `submit` sends (`maxexectime` is never 0). */
export type FunctionSpec = ClientFunctionSpec;

/** `conditions` of a FunctionSpec: where and with what resources the process may run. */
export type Conditions = ClientConditions;

/** One snapshot in `fs.snapshots` (the project's `src` and `data`). */
export type SnapshotMount = ClientSnapshotMount;

/** One synchronised dir in `fs.dirs` (the project's `result`). */
export type SyncDirMount = ClientSyncDirMount;

/** A JSON value (what spec `args` and `kwargs` may hold). */
export type JsonValue = ClientJsonValue;
