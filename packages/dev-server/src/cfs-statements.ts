// The statements of the CFS metadata: files and snapshots (statements.ts groups them with the rest).
import type Database from 'better-sqlite3';
import {
  decodeFile,
  decodeFileId,
  decodeLabel,
  decodeSnapshot,
  type FileRow,
  type LabelRow,
  type SnapshotRow,
  StoredRowError,
} from './stored-rows';
import { allRows, getRow, prepareExact } from './statement-helpers';

/** A file revision as `addfilemsg` stores it (the sequence number is the store's). */
export type NewFile = Omit<FileRow, 'sequencenr' | 'size'> & { size: number };

/** Only the newest revision of each name. */
const LATEST_REVISION =
  'f.sequencenr = (SELECT MAX(g.sequencenr) FROM files g WHERE g.colonyname = f.colonyname AND g.label = f.label AND g.name = f.name)';

function fileStatements(db: Database.Database) {
  const insert = db.prepare(`INSERT INTO files (fileid, colonyname, label, name, size, checksum, checksumalg, ref, added)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const bySequence = prepareExact(db, 'SELECT * FROM files WHERE sequencenr = ?');
  const byId = prepareExact(db, 'SELECT * FROM files WHERE fileid = ? AND colonyname = ?');
  const revisions = prepareExact(db, 'SELECT * FROM files WHERE colonyname = ? AND label = ? AND name = ? ORDER BY sequencenr DESC');
  const latestInLabel = prepareExact(
    db,
    `SELECT f.* FROM files f WHERE f.colonyname = ? AND f.label = ? AND ${LATEST_REVISION} ORDER BY f.sequencenr`,
  );
  const latestInTree = prepareExact(
    db,
    `SELECT f.fileid FROM files f WHERE f.colonyname = @colony AND (f.label = @label OR substr(f.label, 1, length(@label) + 1) = @label || '/')
    AND ${LATEST_REVISION} ORDER BY f.sequencenr`,
  );
  const labels = db.prepare('SELECT label AS name, COUNT(*) AS files FROM files WHERE colonyname = ? GROUP BY label ORDER BY label');
  const removeById = db.prepare('DELETE FROM files WHERE fileid = ? AND colonyname = ?');
  const removeByName = db.prepare('DELETE FROM files WHERE colonyname = ? AND label = ? AND name = ?');
  return {
    /** Stores a revision and returns it as stored. */
    insert: (file: NewFile): FileRow => {
      const info = insert.run(
        file.fileid,
        file.colonyname,
        file.label,
        file.name,
        file.size,
        file.checksum,
        file.checksumalg,
        file.ref,
        file.added,
      );
      const stored = getRow(bySequence, decodeFile, info.lastInsertRowid);
      if (!stored) throw new StoredRowError('files', `revision ${info.lastInsertRowid} is missing right after its insert`);
      return stored;
    },
    byId: (colonyName: string, fileId: string): FileRow | undefined => getRow(byId, decodeFile, fileId, colonyName),
    /** Every revision of one name, newest first. */
    revisions: (colonyName: string, label: string, name: string): FileRow[] =>
      allRows(revisions, decodeFile, colonyName, label, name),
    latestInLabel: (colonyName: string, label: string): FileRow[] => allRows(latestInLabel, decodeFile, colonyName, label),
    /** Ids of the newest revisions in `label` and every label below it. */
    latestIdsInTree: (colonyName: string, label: string): string[] =>
      allRows(latestInTree, decodeFileId, { colony: colonyName, label }),
    labels: (colonyName: string): LabelRow[] => allRows(labels, decodeLabel, colonyName),
    removeById: (colonyName: string, fileId: string): void => void removeById.run(fileId, colonyName),
    removeByName: (colonyName: string, label: string, name: string): void => void removeByName.run(colonyName, label, name),
  };
}

function snapshotStatements(db: Database.Database) {
  const insert = db.prepare('INSERT INTO snapshots (snapshotid, colonyname, name, label, fileids, added) VALUES (?, ?, ?, ?, ?, ?)');
  const byId = prepareExact(db, 'SELECT * FROM snapshots WHERE colonyname = ? AND snapshotid = ?');
  const byName = prepareExact(db, 'SELECT * FROM snapshots WHERE colonyname = ? AND name = ?');
  const list = prepareExact(db, 'SELECT * FROM snapshots WHERE colonyname = ? ORDER BY added DESC, rowid DESC');
  const removeById = db.prepare('DELETE FROM snapshots WHERE colonyname = ? AND snapshotid = ?');
  const removeByName = db.prepare('DELETE FROM snapshots WHERE colonyname = ? AND name = ?');
  const removeAll = db.prepare('DELETE FROM snapshots WHERE colonyname = ?');
  return {
    insert: (snapshot: SnapshotRow): void =>
      void insert.run(snapshot.snapshotid, snapshot.colonyname, snapshot.name, snapshot.label, snapshot.fileids, snapshot.added),
    byId: (colonyName: string, snapshotId: string): SnapshotRow | undefined => getRow(byId, decodeSnapshot, colonyName, snapshotId),
    byName: (colonyName: string, name: string): SnapshotRow | undefined => getRow(byName, decodeSnapshot, colonyName, name),
    list: (colonyName: string): SnapshotRow[] => allRows(list, decodeSnapshot, colonyName),
    removeById: (colonyName: string, snapshotId: string): void => void removeById.run(colonyName, snapshotId),
    removeByName: (colonyName: string, name: string): void => void removeByName.run(colonyName, name),
    removeAll: (colonyName: string): void => void removeAll.run(colonyName),
  };
}

export function cfsStatements(db: Database.Database) {
  return { files: fileStatements(db), snapshots: snapshotStatements(db) };
}
