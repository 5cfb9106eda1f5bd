// Every SQL statement of the engine, prepared once, each a typed, named
// function whose rows come back through the mappers of stored-rows.ts. The
// handlers never see SQL or `better-sqlite3` types.
import type Database from 'better-sqlite3';
import type { Nanos } from './clock';
import type { ExecutorRow } from './model';
import { cfsStatements } from './cfs-statements';
import { gcStatements } from './gc-statements';
import { logStatements } from './log-statements';
import { processStatements } from './process-statements';
import { allRows, getRow, prepareExact } from './statement-helpers';
import {
  type ColonyRow,
  type ColonySummary,
  decodeColony,
  decodeColonySummary,
  decodeCount,
  decodeExecutor,
  decodeFunction,
  decodeFunctionBody,
  decodeStaleExecutor,
  decodeUser,
  type FunctionRow,
  type StaleExecutorRow,
  type UserRow,
} from './stored-rows';

/** The tables a colony's removal empties, children first. */
const COLONY_TABLES = ['users', 'executors', 'functions', 'logs', 'files', 'snapshots', 'attributes', 'processes'] as const;

function colonyStatements(db: Database.Database) {
  const get = db.prepare('SELECT name, colonyid, paused FROM colonies WHERE name = ?');
  const list = db.prepare('SELECT name, colonyid FROM colonies ORDER BY rowid');
  const insert = db.prepare('INSERT INTO colonies (name, colonyid) VALUES (?, ?)');
  const setPaused = db.prepare('UPDATE colonies SET paused = ? WHERE name = ?');
  const deleteFrom = COLONY_TABLES.map((table) => db.prepare(`DELETE FROM ${table} WHERE colonyname = ?`));
  const deleteColony = db.prepare('DELETE FROM colonies WHERE name = ?');
  return {
    get: (name: string): ColonyRow | undefined => getRow(get, decodeColony, name),
    list: (): ColonySummary[] => allRows(list, decodeColonySummary),
    insert: (name: string, colonyId: string): void => void insert.run(name, colonyId),
    setPaused: (name: string, paused: boolean): void => void setPaused.run(paused ? 1 : 0, name),
    /** The colony and everything in it (call inside a transaction). */
    deleteWithContents: (name: string): void => {
      for (const statement of deleteFrom) statement.run(name);
      deleteColony.run(name);
    },
  };
}

function userStatements(db: Database.Database) {
  const byId = db.prepare('SELECT * FROM users WHERE colonyname = ? AND userid = ?');
  const byName = db.prepare('SELECT * FROM users WHERE colonyname = ? AND name = ?');
  const list = db.prepare('SELECT * FROM users WHERE colonyname = ? ORDER BY rowid');
  const insert = db.prepare('INSERT INTO users (colonyname, name, userid, email, phone) VALUES (?, ?, ?, ?, ?)');
  const remove = db.prepare('DELETE FROM users WHERE colonyname = ? AND name = ?');
  return {
    byId: (colonyName: string, userId: string): UserRow | undefined => getRow(byId, decodeUser, colonyName, userId),
    byName: (colonyName: string, name: string): UserRow | undefined => getRow(byName, decodeUser, colonyName, name),
    list: (colonyName: string): UserRow[] => allRows(list, decodeUser, colonyName),
    insert: (user: UserRow): void => void insert.run(user.colonyname, user.name, user.userid, user.email, user.phone),
    remove: (colonyName: string, name: string): void => void remove.run(colonyName, name),
  };
}

/** An executor as `addexecutormsg` stores it (never heard from yet). */
export type NewExecutor = Omit<ExecutorRow, 'lastheard'>;

function executorStatements(db: Database.Database) {
  const byId = prepareExact(db, 'SELECT * FROM executors WHERE executorid = ?');
  const byName = prepareExact(db, 'SELECT * FROM executors WHERE colonyname = ? AND name = ?');
  const list = prepareExact(db, 'SELECT * FROM executors WHERE colonyname = ? ORDER BY rowid');
  const insert = db.prepare(
    'INSERT INTO executors (executorid, colonyname, name, type, state, locationname, commissiontime, lastheard, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const remove = db.prepare('DELETE FROM executors WHERE executorid = ?');
  const setState = db.prepare('UPDATE executors SET state = ? WHERE executorid = ?');
  const heartbeat = db.prepare('UPDATE executors SET lastheard = ? WHERE executorid = ?');
  const setBody = db.prepare('UPDATE executors SET body = ? WHERE executorid = ?');
  const stale = prepareExact(db, 'SELECT executorid, colonyname, name FROM executors WHERE lastheard > 0 AND lastheard < ?');
  return {
    byId: (executorId: string): ExecutorRow | undefined => getRow(byId, decodeExecutor, executorId),
    byName: (colonyName: string, name: string): ExecutorRow | undefined => getRow(byName, decodeExecutor, colonyName, name),
    list: (colonyName: string): ExecutorRow[] => allRows(list, decodeExecutor, colonyName),
    insert: (executor: NewExecutor): void =>
      void insert.run(
        executor.executorid,
        executor.colonyname,
        executor.name,
        executor.type,
        executor.state,
        executor.locationname,
        executor.commissiontime,
        0n,
        executor.body,
      ),
    remove: (executorId: string): void => void remove.run(executorId),
    setState: (executorId: string, state: number): void => void setState.run(state, executorId),
    heartbeat: (executorId: string, now: Nanos): void => void heartbeat.run(now, executorId),
    setBody: (executorId: string, body: string): void => void setBody.run(body, executorId),
    /** Executors last heard from before `limit` (never-heard ones are not stale). */
    staleSince: (limit: Nanos): StaleExecutorRow[] => allRows(stale, decodeStaleExecutor, limit),
  };
}

function functionStatements(db: Database.Database) {
  const insert = db.prepare(
    'INSERT OR REPLACE INTO functions (functionid, colonyname, executorname, funcname, body) VALUES (?, ?, ?, ?, ?)',
  );
  const byExecutor = db.prepare('SELECT body FROM functions WHERE colonyname = ? AND executorname = ? ORDER BY rowid');
  const byColony = db.prepare('SELECT body FROM functions WHERE colonyname = ? ORDER BY rowid');
  const byId = db.prepare('SELECT * FROM functions WHERE functionid = ?');
  const removeOfExecutor = db.prepare('DELETE FROM functions WHERE colonyname = ? AND executorname = ?');
  const remove = db.prepare('DELETE FROM functions WHERE functionid = ?');
  return {
    insert: (functionId: string, colonyName: string, executorName: string, funcName: string, body: string): void =>
      void insert.run(functionId, colonyName, executorName, funcName, body),
    /** The stored function JSON texts of one executor, or of the whole colony. */
    bodies: (colonyName: string, executorName: string): string[] =>
      executorName
        ? allRows(byExecutor, decodeFunctionBody, colonyName, executorName)
        : allRows(byColony, decodeFunctionBody, colonyName),
    byId: (functionId: string): FunctionRow | undefined => getRow(byId, decodeFunction, functionId),
    removeOfExecutor: (colonyName: string, executorName: string): void => void removeOfExecutor.run(colonyName, executorName),
    remove: (functionId: string): void => void remove.run(functionId),
  };
}

/** The counts of `getcolonystatsmsg`. */
function statisticsStatements(db: Database.Database) {
  const executorsInState = db.prepare('SELECT COUNT(*) AS n FROM executors WHERE colonyname = ? AND state = ?');
  const executorsNotInState = db.prepare('SELECT COUNT(*) AS n FROM executors WHERE colonyname = ? AND state != ?');
  const processesInState = db.prepare('SELECT COUNT(*) AS n FROM processes WHERE colonyname = ? AND state = ?');
  const count = (statement: Database.Statement, ...params: unknown[]): number => Number(decodeCount(statement.get(...params)));
  return {
    executorsInState: (colonyName: string, state: number): number => count(executorsInState, colonyName, state),
    executorsNotInState: (colonyName: string, state: number): number => count(executorsNotInState, colonyName, state),
    processesInState: (colonyName: string, state: number): number => count(processesInState, colonyName, state),
  };
}

/** All statements of the engine, grouped by the table they serve. */
export function prepareStatements(db: Database.Database) {
  const { processes, attributes } = processStatements(db);
  const logs = logStatements(db);
  return {
    colonies: colonyStatements(db),
    users: userStatements(db),
    executors: executorStatements(db),
    functions: functionStatements(db),
    statistics: statisticsStatements(db),
    processes: {
      ...processes,
      /** The process with its attributes and logs (call inside a transaction). */
      removeWithContents: (processId: string): void => {
        processes.remove(processId);
        attributes.removeOfTarget(processId);
        logs.removeOfProcess(processId);
      },
    },
    attributes,
    logs,
    ...cfsStatements(db),
    gc: gcStatements(db),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
