// @pollinator/cfs-sync: fast, safe sync between a local directory and the
// ColonyOS meta-filesystem (CFS: metadata in Colonies, blobs in a BlobStore).
export type { BlobStore, BlobLocation, GetOptions, PutOptions, PutResult, ResumeJournal } from './blob-store.ts';
export { newObjectKey } from './blob-store.ts';
export { createMemoryBlobStore, type MemoryBlobStore } from './memory-blob-store.ts';
export { createLocalBlobStore, type LocalBlobStoreOptions } from './local-blob-store.ts';
export { createS3BlobStore, s3OptionsFromEnv, type S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.ts';
export type { CfsFile, CfsMetadata, FileData, Label, S3ObjectRef, Snapshot } from './types.ts';
export { cfsMetadataFromClient, type CfsClientLike } from './client-metadata.ts';
export { createMemoryCfsMetadata, type MemoryCfsMetadata } from './memory-metadata.ts';
export {
  planSync,
  listLabels,
  type PlanOptions,
  type SyncAction,
  type SyncPlan,
  type SyncPlanEntry,
  type SyncPlanSummary,
  type ConflictResolution,
} from './plan.ts';
export { applySync, type ApplyOptions, type SyncEvent, type SyncResult } from './apply.ts';
export { syncDirectory, type SyncDirectoryOptions } from './sync.ts';
export { createSnapshot, materializeSnapshot, ROOT_KEEP_FILE, type MaterializeResult } from './snapshot.ts';
export { DEFAULT_IGNORE_RULES, IGNORE_FILE, type IgnoreOptions, type IgnoreSource } from './ignore-rules.ts';
export { defaultStateDir } from './sync-state.ts';
export { MARKER_FILE, BACKUP_INFIX, TEMP_PREFIX } from './paths.ts';
export { sha256File, EMPTY_SHA256 } from './hash.ts';
export {
  CfsError,
  UnsafePathError,
  ChecksumMismatchError,
  ConflictRefusedError,
  BlobNotFoundError,
  FileChangedError,
  type CfsErrorCode,
} from './errors.ts';
