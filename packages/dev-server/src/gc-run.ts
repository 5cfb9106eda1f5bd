// A garbage collection of one colony: gathers the rows and the blob
// directory, plans (gc-plan.ts), and, unless it is a dry run, removes the
// records in one transaction and then the blobs. Records go first: a crash in
// between leaves blobs nobody names (collected next time, after the grace
// period), never a record whose blob is gone.
import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { type GcBlob, type GcFile, type GcPlan, type GcProcess, type GcSnapshot, planGarbageCollection, type RetentionOptions } from './gc-plan';
import type { GcFileRow, GcProcessRow } from './gc-statements';
import type { Statements } from './statements';

/** Default: a blob nobody names is kept for an hour (an upload writes it just before its record). */
export const DEFAULT_GC_GRACE_SECONDS = 3600;

export interface GcRunOptions extends RetentionOptions {
  colonyName: string;
  dryRun: boolean;
  /** The server's blob directory; without one, no blob is looked at. */
  blobDir: string | undefined;
}

export interface GcReport {
  dryRun: boolean;
  retention: { keepLast: number; keepDays: number; graceSeconds: number };
  processes: Array<{ processid: string; label: string; state: number }>;
  logs: { lines: number; bytes: number };
  snapshots: Array<{ snapshotid: string; name: string; label: string }>;
  revisions: { count: number; bytes: number };
  blobs: { count: number; bytes: number };
  /** Staging dirs of waiting and running processes (CFS paths): a client removing staging must leave them. */
  activeStagingDirs: string[];
}

type JsonRecord = Record<string, unknown>;

function record(value: unknown): JsonRecord | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}

function entries(value: unknown): JsonRecord[] {
  return Array.isArray(value) ? value.map(record).filter((entry): entry is JsonRecord => entry !== undefined) : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The snapshots a stored spec stages and the dirs it stages into. */
function specReferences(row: GcProcessRow): { snapshotIds: string[]; stagingDirs: string[] } {
  let spec: JsonRecord | undefined;
  try {
    spec = record(JSON.parse(row.spec));
  } catch {
    spec = undefined;
  }
  const fs = record(spec?.fs);
  const snapshots = entries(fs?.snapshots);
  const dirs = [...snapshots.filter((entry) => text(entry.snapshotid) !== ''), ...entries(fs?.dirs)]
    .map((entry) => text(entry.dir).replace('{processid}', row.processid))
    .filter((dir) => dir !== '');
  return { snapshotIds: snapshots.map((entry) => text(entry.snapshotid)).filter((id) => id !== ''), stagingDirs: dirs };
}

function gatherProcesses(statements: Statements, colonyName: string): GcProcess[] {
  const named = new Map<string, string[]>();
  for (const attribute of statements.gc.snapshotAttributes(colonyName)) {
    named.set(attribute.targetid, [...(named.get(attribute.targetid) ?? []), attribute.value]);
  }
  return statements.gc.processes(colonyName).map((row) => {
    const references = specReferences(row);
    return {
      processid: row.processid,
      label: row.label,
      state: row.state,
      submissiontime: row.submissiontime,
      endtime: row.endtime,
      snapshotIds: [...references.snapshotIds, ...(named.get(row.processid) ?? [])],
      stagingDirs: references.stagingDirs,
    };
  });
}

function gatherSnapshots(statements: Statements, colonyName: string): GcSnapshot[] {
  return statements.snapshots.list(colonyName).map((row) => {
    let fileIds: string[] = [];
    try {
      const parsed: unknown = JSON.parse(row.fileids);
      if (Array.isArray(parsed)) fileIds = parsed.filter((id): id is string => typeof id === 'string');
    } catch {
      // An unreadable list holds nothing: its files are kept by being the newest, or not at all.
    }
    return { snapshotid: row.snapshotid, name: row.name, label: row.label, fileIds, added: row.added };
  });
}

/** The blob key a revision names (`ref.s3object.object`), '' when it names none. */
function objectOf(row: GcFileRow): string {
  try {
    return text(record(record(JSON.parse(row.ref))?.s3object)?.object);
  } catch {
    return '';
  }
}

/** The objects of the blob directory (regular files at its top; `.partial/` and other dot names are the store's own). */
function listBlobs(blobDir: string | undefined): GcBlob[] {
  if (blobDir === undefined) return [];
  const blobs: GcBlob[] = [];
  for (const entry of readdirSync(blobDir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || !entry.isFile()) continue;
    try {
      const info = lstatSync(join(blobDir, entry.name), { bigint: true });
      blobs.push({ key: entry.name, size: Number(info.size), modified: info.mtimeNs });
    } catch {
      // Removed meanwhile: nothing to collect.
    }
  }
  return blobs;
}

function gather(statements: Statements, options: GcRunOptions): Parameters<typeof planGarbageCollection>[0] {
  const files: GcFile[] = [];
  const otherReferences = new Set<string>();
  for (const row of statements.gc.files()) {
    const object = objectOf(row);
    if (row.colonyname !== options.colonyName) {
      otherReferences.add(object);
      continue;
    }
    files.push({ fileid: row.fileid, colonyname: row.colonyname, label: row.label, name: row.name, sequence: row.sequencenr, object, size: Number(row.size), added: row.added });
  }
  return {
    processes: gatherProcesses(statements, options.colonyName),
    snapshots: gatherSnapshots(statements, options.colonyName),
    files,
    otherReferences,
    blobs: listBlobs(options.blobDir),
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function report(plan: GcPlan, options: GcRunOptions, logs: { lines: number; bytes: number }): GcReport {
  return {
    dryRun: options.dryRun,
    retention: { keepLast: options.keepLast, keepDays: options.keepDays, graceSeconds: options.graceSeconds },
    processes: plan.processes.map((process) => ({ processid: process.processid, label: process.label, state: process.state })),
    logs,
    snapshots: plan.snapshots.map((snapshot) => ({ snapshotid: snapshot.snapshotid, name: snapshot.name, label: snapshot.label })),
    revisions: { count: plan.revisions.length, bytes: sum(plan.revisions.map((file) => file.size)) },
    blobs: { count: plan.blobs.length, bytes: sum(plan.blobs.map((blob) => blob.size)) },
    activeStagingDirs: plan.activeStagingDirs,
  };
}

/**
 * Plans and (unless `dryRun`) carries out a collection. Synchronous, like
 * every handler: no other request runs between the plan and the removal.
 */
export function runGarbageCollection(
  statements: Statements,
  transaction: (work: () => void) => void,
  options: GcRunOptions,
): GcReport {
  const plan = planGarbageCollection(gather(statements, options), options);
  const totals = plan.processes.map((process) => statements.gc.logTotals(process.processid));
  const logs = { lines: sum(totals.map((total) => total.lines)), bytes: sum(totals.map((total) => total.bytes)) };
  if (options.dryRun) return report(plan, options, logs);
  transaction(() => {
    for (const process of plan.processes) statements.processes.removeWithContents(process.processid);
    for (const snapshot of plan.snapshots) statements.snapshots.removeById(options.colonyName, snapshot.snapshotid);
    for (const file of plan.revisions) statements.files.removeById(file.colonyname, file.fileid);
  });
  const removedBlobs: GcBlob[] = [];
  const blobDir = options.blobDir ?? '';
  for (const blob of plan.blobs) {
    try {
      unlinkSync(join(blobDir, blob.key));
      removedBlobs.push(blob);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') removedBlobs.push(blob);
    }
  }
  return report({ ...plan, blobs: removedBlobs }, options, logs);
}
