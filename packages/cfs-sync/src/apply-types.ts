import type { BlobStore } from './blob-store';

/** Progress events of applySync (JSON-serialisable). */
export type SyncEvent =
  | { type: 'sync-start'; dir: string; label: string; files: number; bytes: number }
  | { type: 'file-start'; path: string; action: 'upload' | 'download'; size: number }
  | {
      type: 'file-done';
      path: string;
      action: 'upload' | 'download';
      size: number;
      checksum: string;
      /** Bytes an interrupted upload had already stored (not sent again). */
      resumedBytes?: number;
      /** Where the local version was kept when the remote version won a conflict. */
      backup?: string;
    }
  | {
      type: 'progress';
      filesDone: number;
      filesTotal: number;
      bytesDone: number;
      bytesTotal: number;
      /** Average transfer rate since the start. */
      bytesPerSecond: number;
      /** Seconds left at that rate; null until there is a rate. */
      etaSeconds: number | null;
      elapsedMs: number;
    }
  | { type: 'file-skipped'; path: string; reason: string }
  | { type: 'sync-done'; result: SyncResult };

export interface SyncResult {
  dir: string;
  label: string;
  uploaded: number;
  downloaded: number;
  unchanged: number;
  ignored: number;
  bytesUploaded: number;
  bytesDownloaded: number;
  /** Local versions kept aside when the remote version won a conflict (paths relative to dir). */
  backups: { path: string; backup: string }[];
  /**
   * Remote files not downloaded because their record is bad (invalid in the
   * plan, object missing from the store, content not matching the recorded
   * checksum); the other files were synced.
   */
  skipped: { path: string; reason: string }[];
  /** True when `skipped` is not empty: the sync did what it could, not everything. */
  partial: boolean;
  durationMs: number;
}

export interface ApplyOptions {
  store: BlobStore;
  /** Files transferred in parallel. Default 32. */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: SyncEvent) => void;
  /** Minimum time between two `progress` events. Default 100 ms. */
  progressIntervalMs?: number;
  /** fsync downloaded files before renaming them into place (survives an OS crash, not only a killed process). Default false. */
  fsync?: boolean;
  /** Files at least this large keep a resume journal while uploading. Default 8 MiB. */
  resumeThreshold?: number;
}
