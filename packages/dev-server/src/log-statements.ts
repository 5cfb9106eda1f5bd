// The statements of process and executor logs (statements.ts groups them with the rest).
import type Database from 'better-sqlite3';
import type { Nanos } from './clock';
import { decodeCount, decodeLog, type LogRow } from './stored-rows';
import { iterateRows, prepareExact, statementCache } from './statement-helpers';

/** Whose log lines a page reads: one executor's, or one process's. */
export type LogSource = { executorName: string; colonyName: string } | { processId: string };

export interface LogPage {
  source: LogSource;
  count: number;
  /** Only lines after this time (0: from the start). */
  since: Nanos;
  /** The newest `count` lines, newest first (the caller restores their order). */
  latest: boolean;
}

function pageSql(page: LogPage): string {
  const where = 'executorName' in page.source ? 'colonyname = ? AND executorname = ?' : 'processid = ?';
  if (page.latest) return `SELECT * FROM logs WHERE ${where} ORDER BY timestamp DESC LIMIT ?`;
  if (page.since > 0n) return `SELECT * FROM logs WHERE ${where} AND timestamp > ? ORDER BY timestamp LIMIT ?`;
  return `SELECT * FROM logs WHERE ${where} ORDER BY timestamp LIMIT ?`;
}

function pageParams(page: LogPage): unknown[] {
  const key = 'executorName' in page.source ? [page.source.colonyName, page.source.executorName] : [page.source.processId];
  return !page.latest && page.since > 0n ? [...key, page.since, page.count] : [...key, page.count];
}

export function logStatements(db: Database.Database) {
  const insert = db.prepare('INSERT INTO logs (processid, colonyname, executorname, message, timestamp) VALUES (?, ?, ?, ?, ?)');
  const removeOfProcess = db.prepare('DELETE FROM logs WHERE processid = ?');
  const latestTimestamp = prepareExact(db, 'SELECT MAX(timestamp) AS n FROM logs');
  const search = prepareExact(
    db,
    'SELECT * FROM logs WHERE colonyname = ? AND timestamp > ? AND instr(message, ?) > 0 ORDER BY timestamp LIMIT ?',
  );
  const pages = statementCache((sql) => prepareExact(db, sql));
  return {
    insert: (row: LogRow): void => void insert.run(row.processid, row.colonyname, row.executorname, row.message, row.timestamp),
    removeOfProcess: (processId: string): void => void removeOfProcess.run(processId),
    /** The newest stored timestamp (0 when there is no log yet). */
    latestTimestamp: (): Nanos => decodeCount(latestTimestamp.get()),
    /** Read lazily, so a byte budget can stop the cursor early. */
    page: (page: LogPage): Iterable<LogRow> => iterateRows(pages(pageSql(page)), decodeLog, ...pageParams(page)),
    /** Lines of the colony after `after` that contain `text`. */
    search: (colonyName: string, after: Nanos, text: string, count: number): Iterable<LogRow> =>
      iterateRows(search, decodeLog, colonyName, after, text, count),
  };
}
