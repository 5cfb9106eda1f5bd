// @pollinator/cfs-sync: fast, safe sync between a local directory and the
// ColonyOS meta-filesystem (CFS: metadata in Colonies, blobs in a BlobStore).
export type { BlobStore, BlobLocation, GetOptions, PutOptions, PutResult, ResumeJournal } from './blob-store';
export { newObjectKey } from './blob-store';
export { createMemoryBlobStore, type MemoryBlobStore } from './memory-blob-store';
export { createLocalBlobStore, DEFAULT_PARTIAL_MAX_AGE_MS, type LocalBlobStoreOptions } from './local-blob-store';
export { createS3BlobStore, s3OptionsFromEnv, type S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store';
export { S3AccessDeniedError, S3UnreachableError, type S3Place } from './s3-errors';
export type { CfsFile, CfsMetadata, FileData, Label, S3ObjectRef, Snapshot } from './types';
export { cfsMetadataFromClient, type CfsClientLike } from './client-metadata';
export { createMemoryCfsMetadata, type MemoryCfsMetadata } from './memory-metadata';
export {
  planSync,
  listLabels,
  type PlanOptions,
  type PreparedSync,
  type SyncAction,
  type SyncPlan,
  type SyncPlanEntry,
  type SyncPlanSummary,
  type ConflictResolution,
  type SyncDirection,
  type SyncSource,
  type PlanRemoteFile,
} from './plan';
export { applySync, type ApplyOptions, type SyncEvent, type SyncResult } from './apply';
export { syncDirectory, type SyncDirectoryOptions } from './sync';
export { createSnapshot, materializeSnapshot, ROOT_KEEP_FILE, type MaterializeResult } from './snapshot';
export { DEFAULT_IGNORE_RULES, IGNORE_FILE, type IgnoreOptions, type IgnoreSource } from './ignore-rules';
export { defaultStateDir } from './sync-state';
export { SYMLINK_OPT_IN, SYMLINK_POLICIES, type SymlinkPolicy } from './symlink-policy';
export { removeStaleTempFiles, type RemoveStaleTempFilesOptions } from './stale-temp-files';
export { MARKER_FILE, BACKUP_INFIX, TEMP_PREFIX } from './paths';
export { sha256File, EMPTY_SHA256 } from './hash';
export {
  CfsError,
  /** The contract name (C2) of the package's base error class. */
  CfsError as CfsSyncError,
  UnsafePathError,
  ChecksumMismatchError,
  ConflictRefusedError,
  BlobNotFoundError,
  FileChangedError,
  SymlinkRefusedError,
  RemoteChangedError,
  LocalFileUnreadableError,
  type RemoteChangedFile,
  type CfsErrorCode,
} from './errors';
