import { randomBytes } from 'node:crypto';
import type { CfsFile, CfsMetadata, FileData, Label, Snapshot } from './types';

export interface MemoryCfsMetadata extends CfsMetadata {
  /** Every revision ever added, in order. */
  readonly revisions: CfsFile[];
  /** Number of calls per method (tests assert the metadata traffic). */
  readonly calls: Record<string, number>;
}

/**
 * An in-memory CFS metadata service with the real server's semantics,
 * quirks included (colonies-protocol.md §4.2): revisions with a global
 * sequence number, exact label lookups that return nothing when the label has
 * no direct files, plain prefix matching, snapshots of the latest revisions.
 * For unit tests; integration tests use `@pollinator/dev-server`.
 */
export function createMemoryCfsMetadata(colonyName = 'test-colony'): MemoryCfsMetadata {
  const revisions: CfsFile[] = [];
  const snapshots: Snapshot[] = [];
  const calls: Record<string, number> = {};
  let sequence = 0;
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const latest = (): Map<string, CfsFile> => {
    const map = new Map<string, CfsFile>();
    for (const file of revisions) map.set(`${file.label}\0${file.name}`, file);
    return map;
  };
  const labelCounts = (): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const file of latest().values()) counts.set(file.label, (counts.get(file.label) ?? 0) + 1);
    return counts;
  };
  return {
    colonyName,
    revisions,
    calls,
    async getFiles(label: string): Promise<FileData[]> {
      count('getFiles');
      return [...latest().values()]
        .filter((file) => file.label === label)
        .map((file) => ({ name: file.name, checksum: file.checksum, size: file.size, s3filename: file.ref.s3object.object }));
    },
    async getFileLabels(name: string, exact: boolean): Promise<Label[]> {
      count('getFileLabels');
      const counts = labelCounts();
      if (exact && !counts.has(name)) return []; // the server's quirk: no direct files → nothing
      return [...counts]
        .filter(([label]) => (name === '' ? true : exact ? label === name || label.startsWith(`${name}/`) : label.startsWith(name)))
        .map(([label, files]) => ({ name: label, files }));
    },
    async getFileById(fileId: string): Promise<CfsFile> {
      count('getFileById');
      const found = revisions.find((file) => file.fileid === fileId);
      if (!found) throw new Error(`file ${fileId} not found`);
      return structuredClone(found);
    },
    async getLatestFile(label: string, name: string): Promise<CfsFile> {
      count('getLatestFile');
      const found = latest().get(`${label}\0${name}`);
      if (!found) throw new Error(`file ${label}/${name} not found`);
      return structuredClone(found);
    },
    async addFile(file: CfsFile): Promise<CfsFile> {
      count('addFile');
      const stored: CfsFile = {
        ...structuredClone(file),
        colonyname: colonyName,
        fileid: randomBytes(32).toString('hex'),
        sequencenr: ++sequence,
        added: new Date().toISOString(),
      };
      revisions.push(stored);
      return structuredClone(stored);
    },
    async createSnapshot(label: string, name: string): Promise<Snapshot> {
      count('createSnapshot');
      const trimmed = label.replace(/\/+$/, '');
      if (snapshots.some((snapshot) => snapshot.name === name)) throw new Error(`snapshot ${name} exists`);
      const counts = labelCounts();
      const files = counts.has(trimmed)
        ? [...latest().values()].filter((file) => file.label === trimmed || file.label.startsWith(`${trimmed}/`))
        : [];
      const snapshot: Snapshot = {
        snapshotid: randomBytes(32).toString('hex'),
        colonyname: colonyName,
        label: trimmed,
        name,
        fileids: files.length ? files.map((file) => file.fileid) : null,
        added: new Date().toISOString(),
      };
      snapshots.push(snapshot);
      return structuredClone(snapshot);
    },
    async getSnapshot(ref: { snapshotId: string } | { name: string }): Promise<Snapshot> {
      count('getSnapshot');
      const found = snapshots.find((snapshot) => ('snapshotId' in ref ? snapshot.snapshotid === ref.snapshotId : snapshot.name === ref.name));
      if (!found) throw new Error('snapshot not found');
      return structuredClone(found);
    },
  };
}
