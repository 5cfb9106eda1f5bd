import type { ColoniesClient } from '@pollinator/colonies-client';
import { cfsMetadataFromClient, type CfsMetadata } from '@pollinator/cfs-sync';
import { errorText } from './error-text';
import { getRunRecord, type RunRecord } from './run-record';
import { diffFiles, snapshotFiles, type FilesDiff } from './snapshot-files';

/** A spec field that differs between two runs (`path` like `conditions.cpu` or `env.MODE`). */
export interface SpecChange {
  path: string;
  /** Absent when the field is missing on that side. */
  a?: unknown;
  b?: unknown;
}

/** Files of one input compared through the two runs' snapshots, or why they could not be. */
export type InputDiff = ({ available: true } & FilesDiff) | { available: false; reason: string };

export interface ValueChange<T> {
  a?: T;
  b?: T;
  changed: boolean;
}

/** What differs between two runs (plain JSON). */
export interface RunDiff {
  a: RunRecord;
  b: RunRecord;
  /**
   * Spec fields that differ. Each run's own snapshot ids are replaced by
   * `{src-snapshot}` / `{data-snapshot}` first, so that a new snapshot of the
   * same files is no change here: the file lists below say what changed.
   */
  spec: SpecChange[];
  src: InputDiff;
  data: InputDiff;
  image: ValueChange<string>;
  imageDigest: ValueChange<string>;
  exitCode: ValueChange<number>;
  /** Run time (start to end) of finished runs, in milliseconds. */
  durationMs: { a?: number; b?: number };
}

/** Compares two runs: spec field by field, src and data files by checksum through their snapshots, image, exit codes, durations. */
export async function diffRunRecords(options: {
  client: ColoniesClient;
  a: string | RunRecord;
  b: string | RunRecord;
  colonyName?: string;
  signal?: AbortSignal;
}): Promise<RunDiff> {
  const read = (run: string | RunRecord) =>
    typeof run === 'string' ? getRunRecord({ client: options.client, processId: run, ...(options.signal === undefined ? {} : { signal: options.signal }) }) : run;
  const [a, b] = await Promise.all([read(options.a), read(options.b)]);
  const metadata = cfsMetadataFromClient(options.client, options.colonyName);
  const [src, data] = await Promise.all([
    inputDiff(metadata, 'src', a.srcSnapshotId, b.srcSnapshotId),
    inputDiff(metadata, 'data', a.dataSnapshotId, b.dataSnapshotId),
  ]);
  return {
    a,
    b,
    spec: diffValues(normalizedSpec(a), normalizedSpec(b), ''),
    src,
    data,
    image: valueChange(imageLabel(a), imageLabel(b)),
    imageDigest: valueChange(a.imageDigest, b.imageDigest),
    exitCode: valueChange(a.exitCode, b.exitCode),
    durationMs: { ...optional('a', duration(a)), ...optional('b', duration(b)) },
  };
}

async function inputDiff(metadata: CfsMetadata, target: 'src' | 'data', a: string | undefined, b: string | undefined): Promise<InputDiff> {
  if (a === undefined || b === undefined) {
    const which = a === undefined && b === undefined ? 'neither run' : a === undefined ? 'the first run' : 'the second run';
    return { available: false, reason: `${which} recorded a ${target} snapshot (submitted before runs were records, or by another tool)` };
  }
  const list = async (snapshotId: string) => {
    try {
      return await snapshotFiles(metadata, snapshotId);
    } catch (error) {
      throw new Error(`the ${target} snapshot ${snapshotId} cannot be read (removed by \`pollinator gc\`?): ${errorText(error)}`);
    }
  };
  try {
    const [before, after] = await Promise.all([list(a), a === b ? null : list(b)]);
    return { available: true, ...diffFiles(before, after ?? before) };
  } catch (error) {
    return { available: false, reason: errorText(error) };
  }
}

function normalizedSpec(record: RunRecord): unknown {
  let text = JSON.stringify(record.spec);
  for (const [id, placeholder] of [
    [record.srcSnapshotId, '{src-snapshot}'],
    [record.dataSnapshotId, '{data-snapshot}'],
  ] as const) {
    if (id !== undefined && id !== '') text = text.split(id).join(placeholder);
  }
  return JSON.parse(text) as unknown;
}

/** Leaf-by-leaf differences of two JSON values (arrays by index). */
export function diffValues(a: unknown, b: unknown, path: string): SpecChange[] {
  if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].sort(Array.isArray(a) ? (x, y) => Number(x) - Number(y) : undefined).flatMap((key) => {
      const child = Array.isArray(a) ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
      const left = (a as Record<string, unknown>)[key];
      const right = (b as Record<string, unknown>)[key];
      if (left === undefined || right === undefined) {
        return left === right ? [] : [{ path: child, ...optional('a', left), ...optional('b', right) }];
      }
      return diffValues(left, right, child);
    });
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path: path === '' ? '(spec)' : path, a, b }];
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

function valueChange<T>(a: T | undefined, b: T | undefined): ValueChange<T> {
  return { ...optional('a', a), ...optional('b', b), changed: a !== b };
}

function duration(record: RunRecord): number | undefined {
  if (record.started === undefined || record.ended === undefined) return undefined;
  const ms = Date.parse(record.ended) - Date.parse(record.started);
  return Number.isNaN(ms) || ms < 0 ? undefined : ms;
}

function optional<K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: T };
}

/** The image as compared: one asked for but not used (no containers) differs from one a job ran in. */
function imageLabel(record: RunRecord): string | undefined {
  if (record.image === undefined) return undefined;
  return record.imageUsed === false ? `${record.image} (not used: ran without containers)` : record.image;
}
