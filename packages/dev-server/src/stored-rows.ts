// Rows as the SQLite store gives them back, decoded by small typed mappers
// instead of casts: a column of an unexpected type (a row written by hand or
// by an older server) fails here, with the table and column named, rather
// than somewhere later as a wrong value. Integer columns read with
// `safeIntegers` arrive as bigint, others as number: the mappers accept both.
import { defineErrorMarker, PollinatorError } from '@pollinator/errors';
import type { AttributeRow, ExecutorRow, ProcessRow } from './model';

const STORED_ROW_ERROR = defineErrorMarker<StoredRowError>('StoredRowError');

/** A stored row that does not have the shape its table promises. */
export class StoredRowError extends PollinatorError {
  declare readonly code: 'DEV_SERVER_STORED_ROW';

  constructor(table: string, detail: string) {
    super('DEV_SERVER_STORED_ROW', `stored ${table} row: ${detail}`, { details: { table } });
    this.name = 'StoredRowError';
    STORED_ROW_ERROR.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is StoredRowError {
    return STORED_ROW_ERROR.isMarked(value);
  }
}

/** Reads the columns of one row of `table`, each checked for its type. */
export class Columns {
  readonly #table: string;
  readonly #row: Readonly<Record<string, unknown>>;

  constructor(table: string, row: unknown) {
    if (row === null || typeof row !== 'object') throw new StoredRowError(table, 'not a row');
    this.#table = table;
    this.#row = row as Readonly<Record<string, unknown>>;
  }

  text(column: string): string {
    const value = this.#row[column];
    if (typeof value !== 'string') throw this.#wrongType(column, 'text');
    return value;
  }

  /** An INTEGER column as bigint (nanosecond times, sizes, int64 limits). */
  big(column: string): bigint {
    const value = this.#row[column];
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    throw this.#wrongType(column, 'integer');
  }

  /** An INTEGER column that may be NULL (an aggregate over no rows). */
  bigOrNull(column: string): bigint | null {
    return this.#row[column] === null ? null : this.big(column);
  }

  /** An INTEGER column known to be small (states, types, counts). */
  number(column: string): number {
    const value = this.#row[column];
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'bigint') return Number(value);
    throw this.#wrongType(column, 'integer');
  }

  #wrongType(column: string, expected: string): StoredRowError {
    return new StoredRowError(this.#table, `column ${column} is ${typeof this.#row[column]}, expected ${expected}`);
  }
}

export interface ColonyRow {
  name: string;
  colonyid: string;
  paused: number;
}

/** A colony as `getcoloniesmsg` lists it (field order is the reply's). */
export interface ColonySummary {
  name: string;
  colonyid: string;
}

export interface UserRow {
  colonyname: string;
  name: string;
  userid: string;
  email: string;
  phone: string;
}

export interface FunctionRow {
  functionid: string;
  colonyname: string;
  executorname: string;
}

export interface StaleExecutorRow {
  executorid: string;
  colonyname: string;
  name: string;
}

export interface LogRow {
  processid: string;
  colonyname: string;
  executorname: string;
  message: string;
  timestamp: bigint;
}

export interface FileRow {
  sequencenr: bigint;
  fileid: string;
  colonyname: string;
  label: string;
  name: string;
  size: bigint;
  checksum: string;
  checksumalg: string;
  ref: string;
  added: bigint;
}

export interface LabelRow {
  name: string;
  files: number;
}

export interface SnapshotRow {
  snapshotid: string;
  colonyname: string;
  name: string;
  label: string;
  fileids: string;
  added: bigint;
}

export function decodeColony(value: unknown): ColonyRow {
  const row = new Columns('colonies', value);
  return { name: row.text('name'), colonyid: row.text('colonyid'), paused: row.number('paused') };
}

export function decodeColonySummary(value: unknown): ColonySummary {
  const row = new Columns('colonies', value);
  return { name: row.text('name'), colonyid: row.text('colonyid') };
}

export function decodeUser(value: unknown): UserRow {
  const row = new Columns('users', value);
  return {
    colonyname: row.text('colonyname'),
    name: row.text('name'),
    userid: row.text('userid'),
    email: row.text('email'),
    phone: row.text('phone'),
  };
}

export function decodeExecutor(value: unknown): ExecutorRow {
  const row = new Columns('executors', value);
  return {
    executorid: row.text('executorid'),
    colonyname: row.text('colonyname'),
    name: row.text('name'),
    type: row.text('type'),
    state: row.number('state'),
    locationname: row.text('locationname'),
    commissiontime: row.big('commissiontime'),
    lastheard: row.big('lastheard'),
    body: row.text('body'),
  };
}

export function decodeStaleExecutor(value: unknown): StaleExecutorRow {
  const row = new Columns('executors', value);
  return { executorid: row.text('executorid'), colonyname: row.text('colonyname'), name: row.text('name') };
}

export function decodeFunction(value: unknown): FunctionRow {
  const row = new Columns('functions', value);
  return { functionid: row.text('functionid'), colonyname: row.text('colonyname'), executorname: row.text('executorname') };
}

/** The stored function JSON (`body` column). */
export function decodeFunctionBody(value: unknown): string {
  return new Columns('functions', value).text('body');
}

/** A row of a query selecting only `processid`. */
export function decodeProcessId(value: unknown): string {
  return new Columns('processes', value).text('processid');
}

export function decodeProcess(value: unknown): ProcessRow {
  const row = new Columns('processes', value);
  return {
    processid: row.text('processid'),
    colonyname: row.text('colonyname'),
    executortype: row.text('executortype'),
    executornames: row.text('executornames'),
    locationname: row.text('locationname'),
    label: row.text('label'),
    state: row.big('state'),
    isassigned: row.big('isassigned'),
    assignedexecutorid: row.text('assignedexecutorid'),
    initiatorid: row.text('initiatorid'),
    initiatorname: row.text('initiatorname'),
    prioritytime: row.big('prioritytime'),
    submissiontime: row.big('submissiontime'),
    starttime: row.big('starttime'),
    endtime: row.big('endtime'),
    waitdeadline: row.big('waitdeadline'),
    execdeadline: row.big('execdeadline'),
    retries: row.big('retries'),
    maxretries: row.big('maxretries'),
    maxexectime: row.big('maxexectime'),
    maxwaittime: row.big('maxwaittime'),
    cpu: row.big('cpu'),
    mem: row.big('mem'),
    storage: row.big('storage'),
    nodes: row.big('nodes'),
    procs: row.big('procs'),
    ppn: row.big('ppn'),
    spec: row.text('spec'),
    input: row.text('input'),
    output: row.text('output'),
    errors: row.text('errors'),
  };
}

export function decodeAttribute(value: unknown): AttributeRow {
  const row = new Columns('attributes', value);
  return {
    attributeid: row.text('attributeid'),
    targetid: row.text('targetid'),
    colonyname: row.text('colonyname'),
    state: row.number('state'),
    type: row.number('type'),
    key: row.text('key'),
    value: row.text('value'),
  };
}

export function decodeLog(value: unknown): LogRow {
  const row = new Columns('logs', value);
  return {
    processid: row.text('processid'),
    colonyname: row.text('colonyname'),
    executorname: row.text('executorname'),
    message: row.text('message'),
    timestamp: row.big('timestamp'),
  };
}

export function decodeFile(value: unknown): FileRow {
  const row = new Columns('files', value);
  return {
    sequencenr: row.big('sequencenr'),
    fileid: row.text('fileid'),
    colonyname: row.text('colonyname'),
    label: row.text('label'),
    name: row.text('name'),
    size: row.big('size'),
    checksum: row.text('checksum'),
    checksumalg: row.text('checksumalg'),
    ref: row.text('ref'),
    added: row.big('added'),
  };
}

/** A row of a query selecting only `fileid`. */
export function decodeFileId(value: unknown): string {
  return new Columns('files', value).text('fileid');
}

export function decodeLabel(value: unknown): LabelRow {
  const row = new Columns('files', value);
  return { name: row.text('name'), files: row.number('files') };
}

export function decodeSnapshot(value: unknown): SnapshotRow {
  const row = new Columns('snapshots', value);
  return {
    snapshotid: row.text('snapshotid'),
    colonyname: row.text('colonyname'),
    name: row.text('name'),
    label: row.text('label'),
    fileids: row.text('fileids'),
    added: row.big('added'),
  };
}

/** A `COUNT(*) AS n` or `MAX(…) AS n` row; `null` (MAX of no rows) reads as 0. */
export function decodeCount(value: unknown): bigint {
  return new Columns('count', value).bigOrNull('n') ?? 0n;
}
