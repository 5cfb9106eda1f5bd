import type { CfsFile, CfsMetadata, FileData, Label, Snapshot } from './types';
import { CfsError } from './errors';

/**
 * The methods of a `@pollinator/colonies-client` client that cfs-sync calls
 * (structural, so any client with these methods fits, and unit tests need none).
 */
export interface CfsClientLike {
  readonly colonyName?: string | undefined;
  addFile(file: CfsFile): Promise<CfsFile>;
  getFile(query: { fileId: string; colonyName?: string } | { label: string; name: string; colonyName?: string }): Promise<CfsFile>;
  getFiles(label: string, options?: { colonyName?: string }): Promise<FileData[]>;
  getFileLabels(query: { name?: string; exact?: boolean; colonyName?: string }): Promise<Label[]>;
  createSnapshot(query: { label: string; name: string; colonyName?: string }): Promise<Snapshot>;
  getSnapshot(query: { snapshotId: string; colonyName?: string } | { name: string; colonyName?: string }): Promise<Snapshot>;
}

/** Binds a Colonies client to one colony as the CfsMetadata that planSync/applySync/snapshots use. */
export function cfsMetadataFromClient(client: CfsClientLike, colonyName?: string): CfsMetadata {
  const colony = colonyName ?? client.colonyName;
  if (!colony) throw new CfsError('INVALID_CONFIG', 'no colony name: pass one or configure the client with a colonyName (COLONIES_COLONY_NAME)');
  return {
    colonyName: colony,
    getFiles: (label) => client.getFiles(label, { colonyName: colony }),
    getFileLabels: (name, exact) => client.getFileLabels({ name, exact, colonyName: colony }),
    getFileById: (fileId) => client.getFile({ fileId, colonyName: colony }),
    getLatestFile: (label, name) => client.getFile({ label, name, colonyName: colony }),
    addFile: (file) => client.addFile({ ...file, colonyname: colony }),
    createSnapshot: (label, name) => client.createSnapshot({ label, name, colonyName: colony }),
    getSnapshot: (ref) => client.getSnapshot({ ...ref, colonyName: colony }),
  };
}
