// The statements of processes and their attributes (statements.ts groups them with the rest).
import type Database from 'better-sqlite3';
import type { Nanos } from './clock';
import type { AttributeRow, ProcessRow } from './model';
import { decodeAttribute, decodeProcess, decodeProcessId } from './stored-rows';
import { allRows, getRow, prepareExact, statementCache } from './statement-helpers';

/** A Go int8: larger nodes/procs/ppn values never match an executor (v1.9.12 stores them as int8). */
const MAX_INT8 = 127;

/** A process as `submitfuncspecmsg` stores it (the named parameters of the insert; the rest starts at zero). */
export type NewProcess = Pick<
  ProcessRow,
  | 'processid'
  | 'colonyname'
  | 'executortype'
  | 'executornames'
  | 'locationname'
  | 'label'
  | 'initiatorid'
  | 'initiatorname'
  | 'prioritytime'
  | 'submissiontime'
  | 'waitdeadline'
  | 'mem'
  | 'storage'
  | 'spec'
> &
  Record<'maxretries' | 'maxexectime' | 'maxwaittime' | 'cpu' | 'nodes' | 'procs' | 'ppn', number>;

/** What a waiting executor offers: the process it may take. */
export interface ProcessMatch {
  colonyname: string;
  executortype: string;
  executorname: string;
  locationname: string;
  /** Millicores available, -1 for unlimited. */
  cpu: number;
  /** Bytes available, -1 for unlimited. */
  mem: bigint;
}

/** The filter of `getprocessesmsg`: one of executor type, initiator name or label, or none. */
export type ProcessFilter = 'executortype' | 'initiatorname' | 'label' | 'none';

export interface ProcessPage {
  colonyname: string;
  state: number;
  filter: ProcessFilter;
  filterValue: string;
  count: number;
}

/** One prepared statement per filter and order, made when first used. */
function processPages(db: Database.Database): (page: ProcessPage) => ProcessRow[] {
  const prepared = statementCache((sql) => prepareExact(db, sql));
  return (page) => {
    const filter = page.filter === 'none' ? '' : `AND ${page.filter} = ?`;
    const order = page.state <= 1 ? 'prioritytime ASC, rowid ASC' : 'endtime DESC, rowid DESC';
    const sql = `SELECT * FROM processes WHERE colonyname = ? AND state = ? ${filter} ORDER BY ${order} LIMIT ?`;
    const statement = prepared(sql);
    const params = page.filter === 'none' ? [page.colonyname, page.state] : [page.colonyname, page.state, page.filterValue];
    return allRows(statement, decodeProcess, ...params, page.count);
  };
}

function processStatementsOnly(db: Database.Database) {
  const insert = db.prepare(`INSERT INTO processes (processid, colonyname, executortype, executornames, locationname,
    label, state, isassigned, assignedexecutorid, initiatorid, initiatorname, prioritytime, submissiontime, starttime,
    endtime, waitdeadline, execdeadline, retries, maxretries, maxexectime, maxwaittime, cpu, mem, storage, nodes,
    procs, ppn, spec, input, output, errors)
    VALUES (@processid, @colonyname, @executortype, @executornames, @locationname, @label, 0, 0, '', @initiatorid,
    @initiatorname, @prioritytime, @submissiontime, 0, 0, @waitdeadline, 0, 0, @maxretries, @maxexectime,
    @maxwaittime, @cpu, @mem, @storage, @nodes, @procs, @ppn, @spec, '[]', '[]', '[]')`);
  const get = prepareExact(db, 'SELECT * FROM processes WHERE processid = ?');
  const match = prepareExact(
    db,
    `SELECT * FROM processes
    WHERE colonyname = @colonyname AND state = 0 AND isassigned = 0 AND executortype = @executortype
      AND (executornames IN ('null', '[]') OR EXISTS (SELECT 1 FROM json_each(processes.executornames) WHERE value = @executorname))
      AND (locationname = '' OR lower(locationname) = lower(@locationname))
      AND nodes <= ${MAX_INT8} AND procs <= ${MAX_INT8} AND ppn <= ${MAX_INT8}
      AND storage <= 0
      AND (@cpu < 0 OR cpu <= @cpu) AND (@mem < 0 OR mem <= @mem)
    ORDER BY prioritytime, rowid LIMIT 1`,
  );
  const assign = db.prepare(
    'UPDATE processes SET state = 1, isassigned = 1, assignedexecutorid = ?, starttime = ?, execdeadline = ? WHERE processid = ? AND state = 0',
  );
  const setState = db.prepare('UPDATE processes SET state = ?, endtime = ? WHERE processid = ?');
  const closeSuccessfulWithOutput = db.prepare('UPDATE processes SET state = 2, endtime = ?, output = ? WHERE processid = ?');
  const closeFailed = db.prepare('UPDATE processes SET state = 3, endtime = ?, errors = ? WHERE processid = ?');
  const requeue = db.prepare(
    "UPDATE processes SET state = 0, isassigned = 0, assignedexecutorid = '', endtime = ?, retries = retries + 1 WHERE processid = ?",
  );
  const setOutput = db.prepare('UPDATE processes SET output = ? WHERE processid = ?');
  const remove = db.prepare('DELETE FROM processes WHERE processid = ?');
  const idsInState = db.prepare('SELECT processid FROM processes WHERE colonyname = ? AND state = ?');
  const idsNotRunning = db.prepare('SELECT processid FROM processes WHERE colonyname = ? AND state != 1');
  const expiredWaiting = prepareExact(
    db,
    'SELECT processid FROM processes WHERE state = 0 AND waitdeadline > 0 AND waitdeadline <= ? ORDER BY waitdeadline',
  );
  const expiredRunning = prepareExact(
    db,
    'SELECT processid FROM processes WHERE state = 1 AND maxexectime >= 0 AND execdeadline <= ? ORDER BY execdeadline',
  );
  return {
    insert: (process: NewProcess): void => void insert.run(process),
    get: (processId: string): ProcessRow | undefined => getRow(get, decodeProcess, processId),
    /** The first process in line that `offer` may take. */
    match: (offer: ProcessMatch): ProcessRow | undefined => getRow(match, decodeProcess, offer),
    page: processPages(db),
    assign: (processId: string, executorId: string, now: Nanos, execDeadline: Nanos): void =>
      void assign.run(executorId, now, execDeadline, processId),
    setState: (processId: string, state: number, now: Nanos): void => void setState.run(state, now, processId),
    closeSuccessfulWithOutput: (processId: string, now: Nanos, output: string): void =>
      void closeSuccessfulWithOutput.run(now, output, processId),
    closeFailed: (processId: string, now: Nanos, errors: string): void => void closeFailed.run(now, errors, processId),
    requeue: (processId: string, now: Nanos): void => void requeue.run(now, processId),
    setOutput: (processId: string, output: string): void => void setOutput.run(output, processId),
    remove: (processId: string): void => void remove.run(processId),
    /** Ids of the colony's processes in `state`, or (-1) in every state but RUNNING. */
    idsInState: (colonyName: string, state: number): string[] =>
      state === -1
        ? allRows(idsNotRunning, decodeProcessId, colonyName)
        : allRows(idsInState, decodeProcessId, colonyName, state),
    expiredWaiting: (now: Nanos): string[] => allRows(expiredWaiting, decodeProcessId, now),
    expiredRunning: (now: Nanos): string[] => allRows(expiredRunning, decodeProcessId, now),
  };
}

function attributeStatements(db: Database.Database) {
  const ofTarget = prepareExact(db, 'SELECT * FROM attributes WHERE targetid = ? ORDER BY seq');
  const get = prepareExact(db, 'SELECT * FROM attributes WHERE attributeid = ?');
  const upsert = db.prepare(`INSERT INTO attributes (attributeid, targetid, colonyname, state, type, key, value)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (attributeid) DO UPDATE SET value = excluded.value, state = excluded.state`);
  const setStates = db.prepare('UPDATE attributes SET state = ? WHERE targetid = ?');
  const removeOfTarget = db.prepare('DELETE FROM attributes WHERE targetid = ?');
  return {
    ofTarget: (targetId: string): AttributeRow[] => allRows(ofTarget, decodeAttribute, targetId),
    get: (attributeId: string): AttributeRow | undefined => getRow(get, decodeAttribute, attributeId),
    upsert: (attribute: AttributeRow): void =>
      void upsert.run(
        attribute.attributeid,
        attribute.targetid,
        attribute.colonyname,
        attribute.state,
        attribute.type,
        attribute.key,
        attribute.value,
      ),
    setStates: (targetId: string, state: number): void => void setStates.run(state, targetId),
    removeOfTarget: (targetId: string): void => void removeOfTarget.run(targetId),
  };
}

export function processStatements(db: Database.Database) {
  const processes = processStatementsOnly(db);
  const attributes = attributeStatements(db);
  return {
    processes: {
      ...processes,
      /** Sets a process's state and end time and its attributes' states (call inside a transaction). */
      transition: (processId: string, state: number, now: Nanos): void => {
        processes.setState(processId, state, now);
        attributes.setStates(processId, state);
      },
    },
    attributes,
  };
}
