/**
 * CFS metadata shapes as they travel on the wire (colonies-protocol.md §4.1),
 * and the narrow slice of a Colonies client that cfs-sync needs.
 */

export interface S3ObjectRef {
  server: string;
  port: number;
  tls: boolean;
  accesskey: string;
  secretkey: string;
  region: string;
  encryptionkey: string;
  encryptionalg: string;
  object: string;
  bucket: string;
}

/** A file revision (`addfilemsg.file`, `getfilemsg` reply items). */
export interface CfsFile {
  fileid: string;
  colonyname: string;
  label: string;
  name: string;
  size: number;
  sequencenr: number;
  checksum: string;
  checksumalg: string;
  ref: { protocol: string; s3object: S3ObjectRef };
  added: string;
}

/** `getfilesmsg` items: the latest revision of each name directly in a label. */
export interface FileData {
  name: string;
  checksum: string;
  size: number;
  s3filename: string;
}

export interface Label {
  name: string;
  files: number;
}

export interface Snapshot {
  snapshotid: string;
  colonyname: string;
  label: string;
  name: string;
  fileids: string[] | null;
  added: string;
}

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
  /** Registers a new revision (`addfilemsg`); returns the stored file. */
  addFile(file: CfsFile): Promise<CfsFile>;
  createSnapshot(label: string, name: string): Promise<Snapshot>;
  getSnapshot(ref: { snapshotId: string } | { name: string }): Promise<Snapshot>;
}
