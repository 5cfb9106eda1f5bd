// Reply JSON → typed values: `null` lists become `[]`, int64 fields `bigint`.
// Unknown fields are kept as they came (newer servers may add some).
import { ColoniesBadReplyError } from './errors';
import type {
  CfsFile,
  Colony,
  ColoniesFunction,
  Executor,
  FileData,
  FunctionSpec,
  JsonValue,
  Label,
  Log,
  Process,
  Snapshot,
} from './types';

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function arr<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

function obj<T extends object>(v: unknown, fallback: T): T {
  return isObject(v) ? (v as T) : fallback;
}

/** An int64 that arrived as a bigint (beyond 2^53) or a safe number. */
export function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

export function expectObject(payloadtype: string, v: JsonValue): Obj {
  if (!isObject(v)) throw new ColoniesBadReplyError(payloadtype, 200, `expected a JSON object, got ${describe(v)}`);
  return v;
}

/** A list reply: `null` is the server's empty list. */
export function expectList<T>(payloadtype: string, v: JsonValue, item: (x: Obj) => T): T[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new ColoniesBadReplyError(payloadtype, 200, `expected a JSON array, got ${describe(v)}`);
  return v.map((x) => item(expectObject(payloadtype, x)));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

const NO_GPU = { name: '', mem: '', count: 0, nodecount: 0 };

export function toFunctionSpec(raw: unknown): FunctionSpec {
  const s = obj<Obj>(raw, {});
  const c = obj<Obj>(s.conditions, {});
  const fs = obj<Obj>(s.fs, {});
  return {
    ...(s as unknown as FunctionSpec),
    args: arr(s.args),
    kwargs: obj(s.kwargs, {}),
    conditions: {
      ...(c as unknown as FunctionSpec['conditions']),
      executornames: arr(c.executornames),
      dependencies: arr(c.dependencies),
      gpu: obj(c.gpu, { ...NO_GPU }),
    },
    fs: { ...(fs as unknown as FunctionSpec['fs']), mount: typeof fs.mount === 'string' ? fs.mount : '', snapshots: arr(fs.snapshots), dirs: arr(fs.dirs) },
    env: obj(s.env, {}),
  };
}

export function toProcess(raw: Obj): Process {
  return {
    ...(raw as unknown as Process),
    prioritytime: toBigInt(raw.prioritytime),
    attributes: arr(raw.attributes),
    spec: toFunctionSpec(raw.spec),
    parents: arr(raw.parents),
    children: arr(raw.children),
    in: arr(raw.in),
    out: arr(raw.out),
    errors: arr(raw.errors),
  };
}

export function toLog(raw: Obj): Log {
  return { ...(raw as unknown as Log), timestamp: toBigInt(raw.timestamp) };
}

export function toExecutor(raw: Obj): Executor {
  const caps = obj<Obj>(raw.capabilities, {});
  const alloc = obj<Obj>(raw.allocations, {});
  return {
    ...(raw as unknown as Executor),
    capabilities: {
      hardware: arr<Obj>(caps.hardware).map((h) => ({
        ...(h as unknown as Executor['capabilities']['hardware'][number]),
        gpu: obj(h.gpu, { ...NO_GPU }),
        network: arr(h.network),
      })),
      software: arr(caps.software),
    },
    allocations: { projects: obj(alloc.projects, {}) },
  };
}

export function toSnapshot(raw: Obj): Snapshot {
  return { ...(raw as unknown as Snapshot), fileids: arr(raw.fileids) };
}

export function toFunction(raw: Obj): ColoniesFunction {
  return { ...(raw as unknown as ColoniesFunction), args: arr(raw.args) };
}

export const asIs = <T>(raw: Obj): T => raw as T;
export const toColony = asIs<Colony>;
export const toCfsFile = asIs<CfsFile>;
export const toFileData = asIs<FileData>;
export const toLabel = asIs<Label>;
