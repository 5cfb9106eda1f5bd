/**
 * The CFS wire shapes cfs-sync reads and writes (colonies-protocol.md §4.1),
 * defined once in `@pollinator/colonies-client` and only re-exported here,
 * and the narrow slice of a Colonies client that cfs-sync needs.
 */
import type { CfsFile, FileData, Label, S3Object, Snapshot as WireSnapshot } from '@pollinator/colonies-client';

export type { CfsFile, FileData, Label };

/** Where a file revision's bytes are (`CfsFile.ref.s3object`); the wire type's name in colonies-client is `S3Object`. */
export type S3ObjectRef = S3Object;

/**
 * A snapshot as a `CfsMetadata` returns it. Wider than the client's, which
 * turns the server's `null` (an empty snapshot) into `[]`: a `CfsMetadata`
 * implemented straight over the wire (or the in-memory one) may hand back `null`.
 */
export type Snapshot = Omit<WireSnapshot, 'fileids'> & { fileids: string[] | null };

/**
 * The CFS metadata operations cfs-sync uses, bound to one colony. Build one
 * from a `@pollinator/colonies-client` client with `cfsMetadataFromClient()`,
 * or implement it directly (tests use an in-memory one).
 */
export interface CfsMetadata {
  readonly colonyName: string;
  /** Latest revision of every name directly in `label` (`getfilesmsg`). */
  getFiles(label: string): Promise<FileData[]>;
  /** `getfilelabelsmsg`: exact → label + sub-labels (server quirk: nothing when the label has no direct files); otherwise a plain prefix match. */
  getFileLabels(name: string, exact: boolean): Promise<Label[]>;
  /** One revision by id (`getfilemsg {fileid}`). */
  getFileById(fileId: string): Promise<CfsFile>;
  /** The newest revision of `label` + `name` (`getfilemsg {label, name, latest: true}`). */
  getLatestFile(label: string, name: string): Promise<CfsFile>;
  /** Registers a new revision (`addfilemsg`); returns the stored file. */
  addFile(file: CfsFile): Promise<CfsFile>;
  createSnapshot(label: string, name: string): Promise<Snapshot>;
  getSnapshot(ref: { snapshotId: string } | { name: string }): Promise<Snapshot>;
}
