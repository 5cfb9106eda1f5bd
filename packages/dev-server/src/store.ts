// The durable state: one SQLite database (better-sqlite3, one connection, all
// access synchronous on the event loop). Durability: WAL journal with
// synchronous=NORMAL by default. A transaction is committed — appended to the
// WAL with write(2) — before its reply is sent, so a `kill -9` of the server
// process at any moment loses no acknowledged write: the bytes are in the
// kernel's page cache, which outlives the process. Only an operating-system
// crash or power cut can lose the last commits; `durability: 'fsync'`
// (synchronous=FULL) closes that gap at the cost of one fsync per write.
import Database from 'better-sqlite3';

export type Durability = 'process' | 'fsync';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS colonies (
  name TEXT PRIMARY KEY, colonyid TEXT NOT NULL, paused INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS users (
  colonyname TEXT NOT NULL, name TEXT NOT NULL, userid TEXT NOT NULL, email TEXT NOT NULL, phone TEXT NOT NULL,
  PRIMARY KEY (colonyname, name)
);
CREATE INDEX IF NOT EXISTS users_by_id ON users (userid, colonyname);
CREATE TABLE IF NOT EXISTS executors (
  executorid TEXT PRIMARY KEY, colonyname TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
  state INTEGER NOT NULL, locationname TEXT NOT NULL, commissiontime INTEGER NOT NULL,
  lastheard INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS executors_by_name ON executors (colonyname, name);
CREATE TABLE IF NOT EXISTS functions (
  functionid TEXT PRIMARY KEY, colonyname TEXT NOT NULL, executorname TEXT NOT NULL, funcname TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS functions_by_executor ON functions (colonyname, executorname);
CREATE TABLE IF NOT EXISTS processes (
  processid TEXT PRIMARY KEY,
  colonyname TEXT NOT NULL,
  executortype TEXT NOT NULL,
  executornames TEXT NOT NULL,          -- JSON array or 'null'
  locationname TEXT NOT NULL,
  label TEXT NOT NULL,
  state INTEGER NOT NULL,
  isassigned INTEGER NOT NULL,
  assignedexecutorid TEXT NOT NULL,
  initiatorid TEXT NOT NULL,
  initiatorname TEXT NOT NULL,
  prioritytime INTEGER NOT NULL,
  submissiontime INTEGER NOT NULL,
  starttime INTEGER NOT NULL,
  endtime INTEGER NOT NULL,
  waitdeadline INTEGER NOT NULL,
  execdeadline INTEGER NOT NULL,
  retries INTEGER NOT NULL,
  maxretries INTEGER NOT NULL,
  maxexectime INTEGER NOT NULL,
  maxwaittime INTEGER NOT NULL,
  cpu INTEGER NOT NULL,
  mem INTEGER NOT NULL,
  storage INTEGER NOT NULL,
  nodes INTEGER NOT NULL,
  procs INTEGER NOT NULL,
  ppn INTEGER NOT NULL,
  spec TEXT NOT NULL,                   -- normalised FunctionSpec JSON without env
  input TEXT NOT NULL,
  output TEXT NOT NULL,
  errors TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS processes_queue ON processes (colonyname, state, executortype, prioritytime);
CREATE INDEX IF NOT EXISTS processes_waitdeadline ON processes (waitdeadline) WHERE state = 0 AND waitdeadline > 0;
CREATE INDEX IF NOT EXISTS processes_running ON processes (state, execdeadline) WHERE state = 1;
CREATE TABLE IF NOT EXISTS attributes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  attributeid TEXT NOT NULL UNIQUE, targetid TEXT NOT NULL, colonyname TEXT NOT NULL,
  state INTEGER NOT NULL, type INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attributes_by_target ON attributes (targetid);
CREATE TABLE IF NOT EXISTS logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  processid TEXT NOT NULL, colonyname TEXT NOT NULL, executorname TEXT NOT NULL,
  message TEXT NOT NULL, timestamp INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_process ON logs (processid, timestamp);
CREATE INDEX IF NOT EXISTS logs_by_executor ON logs (colonyname, executorname, timestamp);
CREATE TABLE IF NOT EXISTS files (
  sequencenr INTEGER PRIMARY KEY AUTOINCREMENT,
  fileid TEXT NOT NULL UNIQUE, colonyname TEXT NOT NULL, label TEXT NOT NULL, name TEXT NOT NULL,
  size INTEGER NOT NULL, checksum TEXT NOT NULL, checksumalg TEXT NOT NULL, ref TEXT NOT NULL, added INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_label ON files (colonyname, label, name, sequencenr);
CREATE TABLE IF NOT EXISTS snapshots (
  snapshotid TEXT PRIMARY KEY, colonyname TEXT NOT NULL, name TEXT NOT NULL, label TEXT NOT NULL,
  fileids TEXT NOT NULL, added INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS snapshots_by_name ON snapshots (colonyname, name);
`;

export function openStore(path: string, durability: Durability = 'process'): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = OFF');
  db.pragma('busy_timeout = 5000');
  // Checkpoint (and fsync) every ~40 MB of WAL instead of every 4 MB: fewer stalls under write load.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('journal_size_limit = 67108864');
  db.exec(SCHEMA);
  return db;
}
