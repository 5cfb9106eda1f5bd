// The statements of a garbage collection (gc-run.ts): every process, snapshot
// reference and file revision at once, as the plan needs them, and the size
// of the log lines a process removal drops.
import type Database from 'better-sqlite3';
import type { Nanos } from './clock';
import { SNAPSHOT_KEYS } from './gc-plan';
import { Columns } from './stored-rows';
import { allRows, prepareExact } from './statement-helpers';

export interface GcProcessRow {
  processid: string;
  label: string;
  state: number;
  submissiontime: Nanos;
  endtime: Nanos;
  spec: string;
}

export interface GcAttributeRow {
  targetid: string;
  value: string;
}

export interface GcFileRow {
  fileid: string;
  colonyname: string;
  label: string;
  name: string;
  size: bigint;
  sequencenr: bigint;
  ref: string;
  added: Nanos;
}

function decodeProcess(value: unknown): GcProcessRow {
  const row = new Columns('processes', value);
  return {
    processid: row.text('processid'),
    label: row.text('label'),
    state: row.number('state'),
    submissiontime: row.big('submissiontime'),
    endtime: row.big('endtime'),
    spec: row.text('spec'),
  };
}

function decodeAttribute(value: unknown): GcAttributeRow {
  const row = new Columns('attributes', value);
  return { targetid: row.text('targetid'), value: row.text('value') };
}

function decodeFile(value: unknown): GcFileRow {
  const row = new Columns('files', value);
  return {
    fileid: row.text('fileid'),
    colonyname: row.text('colonyname'),
    label: row.text('label'),
    name: row.text('name'),
    size: row.big('size'),
    sequencenr: row.big('sequencenr'),
    ref: row.text('ref'),
    added: row.big('added'),
  };
}

function decodeLogTotals(value: unknown): { lines: number; bytes: number } {
  const row = new Columns('logs', value);
  return { lines: row.number('n'), bytes: row.number('bytes') };
}

export function gcStatements(db: Database.Database) {
  const processes = prepareExact(db, 'SELECT processid, label, state, submissiontime, endtime, spec FROM processes WHERE colonyname = ?');
  const keys = SNAPSHOT_KEYS.map((key) => `'${key}'`).join(', ');
  const snapshotAttributes = prepareExact(db, `SELECT targetid, value FROM attributes WHERE colonyname = ? AND key IN (${keys})`);
  const files = prepareExact(db, 'SELECT fileid, colonyname, label, name, size, sequencenr, ref, added FROM files');
  const logTotals = prepareExact(
    db,
    'SELECT COUNT(*) AS n, COALESCE(SUM(length(CAST(message AS BLOB))), 0) AS bytes FROM logs WHERE processid = ?',
  );
  return {
    processes: (colonyName: string): GcProcessRow[] => allRows(processes, decodeProcess, colonyName),
    /** The POLLINATOR_*_SNAPSHOT attributes of the colony's processes. */
    snapshotAttributes: (colonyName: string): GcAttributeRow[] => allRows(snapshotAttributes, decodeAttribute, colonyName),
    /** Every revision of every colony. */
    files: (): GcFileRow[] => allRows(files, decodeFile),
    logTotals: (processId: string): { lines: number; bytes: number } => decodeLogTotals(logTotals.get(processId)),
  };
}
