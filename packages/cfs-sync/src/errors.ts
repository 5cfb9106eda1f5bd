import { defineErrorMarker, PollinatorError } from '@pollinator/errors';

/**
 * The marker this package used before it derived from PollinatorError. Still
 * set on every CfsError (and accepted by isInstance) so older copies of the
 * package, and code that checks the symbol directly, keep recognising them.
 */
const LEGACY_MARKER = Symbol.for('pollinator.cfs-sync.error');
const CFS_ERROR = defineErrorMarker<CfsError>('CfsError');
const UNSAFE_PATH = defineErrorMarker<UnsafePathError>('UnsafePathError');
const CHECKSUM_MISMATCH = defineErrorMarker<ChecksumMismatchError>('ChecksumMismatchError');
const CONFLICT_REFUSED = defineErrorMarker<ConflictRefusedError>('ConflictRefusedError');
const BLOB_NOT_FOUND = defineErrorMarker<BlobNotFoundError>('BlobNotFoundError');
const FILE_CHANGED = defineErrorMarker<FileChangedError>('FileChangedError');
const SYMLINK_REFUSED = defineErrorMarker<SymlinkRefusedError>('SymlinkRefusedError');
const REMOTE_CHANGED = defineErrorMarker<RemoteChangedError>('RemoteChangedError');
const LOCAL_FILE_UNREADABLE = defineErrorMarker<LocalFileUnreadableError>('LocalFileUnreadableError');

/** Stable codes of every error this package throws. */
export type CfsErrorCode =
  | 'UNSAFE_PATH'
  | 'CHECKSUM_MISMATCH'
  | 'CONFLICT_REFUSED'
  | 'BLOB_NOT_FOUND'
  | 'FILE_CHANGED'
  | 'SYMLINK_REFUSED'
  | 'REMOTE_CHANGED'
  | 'LOCAL_FILE_UNREADABLE'
  | 'S3_ACCESS_DENIED'
  | 'S3_UNREACHABLE'
  | 'INVALID_CONFIG'
  | 'ABORTED'
  | 'SYNC_FAILED';

/**
 * Base class of every error thrown by `@pollinator/cfs-sync` (a
 * `PollinatorError`). Messages are prefixed `[pollinator] [cfs-sync]`; `code`
 * is stable, the message is not. Each subclass has its own
 * `Symbol.for('pollinator.error.<Name>')` marker, so `X.isInstance(error)` is
 * exact and works across duplicate copies of the package.
 */
export class CfsError extends PollinatorError {
  declare readonly code: CfsErrorCode;

  constructor(code: CfsErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, `[pollinator] [cfs-sync] ${message}`, options);
    this.name = 'CfsError';
    CFS_ERROR.mark(this);
    Object.defineProperty(this, LEGACY_MARKER, { value: true });
  }

  /** `instanceof` that also works across two copies of this package (older ones included). */
  static override isInstance(value: unknown): value is CfsError {
    return CFS_ERROR.isMarked(value) || (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[LEGACY_MARKER] === true);
  }
}

/** A remote name or label (or a local path) that would escape the target directory. */
export class UnsafePathError extends CfsError {
  readonly path: string;
  constructor(path: string, why: string) {
    super('UNSAFE_PATH', `refusing unsafe path ${JSON.stringify(path)}: ${why}`);
    this.name = 'UnsafePathError';
    UNSAFE_PATH.mark(this);
    this.path = path;
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is UnsafePathError {
    return UNSAFE_PATH.isMarked(value);
  }
}

/** Downloaded bytes do not hash to the checksum recorded in CFS. */
export class ChecksumMismatchError extends CfsError {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'CHECKSUM_MISMATCH',
      `${path}: downloaded content has SHA-256 ${actual} but CFS records ${expected}; the file was not written`,
    );
    this.name = 'ChecksumMismatchError';
    CHECKSUM_MISMATCH.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is ChecksumMismatchError {
    return CHECKSUM_MISMATCH.isMarked(value);
  }
}

/** A conflict where the remote side wins would overwrite a local change and backups are disabled. */
export class ConflictRefusedError extends CfsError {
  constructor(readonly paths: string[]) {
    super(
      'CONFLICT_REFUSED',
      `${paths.length} local file(s) differ from CFS and the remote version would win: ${paths.slice(0, 5).join(', ')}` +
        `${paths.length > 5 ? ', …' : ''}. Nothing was overwritten. To resolve: keep your version with keepLocal ` +
        `(uploads it as a new revision), or move/delete the local file(s) to take the remote version, or allow ` +
        `backups (onConflict: "backup") so the local version is kept next to it as <name>.pollinator-conflict-<time>.`,
    );
    this.name = 'ConflictRefusedError';
    CONFLICT_REFUSED.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is ConflictRefusedError {
    return CONFLICT_REFUSED.isMarked(value);
  }
}

/** The blob store has no object with this key. */
export class BlobNotFoundError extends CfsError {
  constructor(readonly key: string, store: string) {
    super('BLOB_NOT_FOUND', `object ${key} not found in the ${store} blob store`);
    this.name = 'BlobNotFoundError';
    BLOB_NOT_FOUND.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is BlobNotFoundError {
    return BLOB_NOT_FOUND.isMarked(value);
  }
}

/** A local file changed between planning and transferring it. */
export class FileChangedError extends CfsError {
  constructor(readonly path: string, detail: string) {
    super('FILE_CHANGED', `${path} changed during the sync (${detail}); nothing was lost, run the sync again`);
    this.name = 'FileChangedError';
    FILE_CHANGED.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is FileChangedError {
    return FILE_CHANGED.isMarked(value);
  }
}

/**
 * A symbolic link where the sync must not follow one: the synced directory
 * itself, a component between `confineTo` and it, or a path a file is about
 * to be read from or written to. Nothing was read or written through it.
 */
export class SymlinkRefusedError extends CfsError {
  readonly path: string;
  constructor(path: string, detail: string) {
    super('SYMLINK_REFUSED', `${path} is a symbolic link; refusing to follow it: ${detail}`);
    this.name = 'SymlinkRefusedError';
    SYMLINK_REFUSED.mark(this);
    this.path = path;
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is SymlinkRefusedError {
    return SYMLINK_REFUSED.isMarked(value);
  }
}

export function abortError(signal: AbortSignal | undefined): CfsError {
  const reason: unknown = signal?.reason;
  return new CfsError('ABORTED', `sync aborted${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/** One file a stale local copy would overwrite in CFS (see RemoteChangedError). */
export interface RemoteChangedFile {
  /** POSIX path relative to the synced directory. */
  path: string;
  localSize: number;
  remoteSize: number;
  remoteChecksum: string;
  /** RFC 3339 time the newer remote revision was added, when the server said. */
  remoteAdded?: string;
}

/**
 * A keepLocal sync would upload local files over remote revisions that
 * changed since this directory last synced them (a teammate's upload, another
 * clone): the newer remote revision would silently stop being the current one.
 * Nothing was uploaded. Re-plan with `force: true` to upload anyway.
 */
export class RemoteChangedError extends CfsError {
  constructor(readonly files: RemoteChangedFile[]) {
    const named = files
      .slice(0, 5)
      .map((file) => `${file.path}${file.remoteAdded ? ` (changed in CFS at ${file.remoteAdded})` : ''}`)
      .join(', ');
    super(
      'REMOTE_CHANGED',
      `${files.length} file(s) changed in CFS since this directory last synced them: ${named}${files.length > 5 ? ', …' : ''}. ` +
        `Nothing was uploaded. Take the remote version (move your local file away and sync again, or pull), or upload ` +
        `yours over it with force (the remote revision stays in CFS as an older revision).`,
    );
    this.name = 'RemoteChangedError';
    REMOTE_CHANGED.mark(this);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is RemoteChangedError {
    return REMOTE_CHANGED.isMarked(value);
  }
}

/** Local files the sync would have to read but cannot open (permissions, I/O errors). Nothing was transferred. */
export class LocalFileUnreadableError extends CfsError {
  constructor(readonly files: { path: string; reason: string }[]) {
    const named = files
      .slice(0, 5)
      .map((file) => `${file.path} (${file.reason})`)
      .join(', ');
    super(
      'LOCAL_FILE_UNREADABLE',
      `${files.length} local file(s) cannot be read: ${named}${files.length > 5 ? ', …' : ''}. Nothing was transferred. ` +
        `Make them readable (chmod u+r), or add them to .pollinatorignore to leave them out of the sync.`,
    );
    this.name = 'LocalFileUnreadableError';
    LOCAL_FILE_UNREADABLE.mark(this);
  }

  /** The paths (relative to the synced directory). */
  get paths(): string[] {
    return this.files.map((file) => file.path);
  }

  /** Works across duplicate copies of the package, where `instanceof` does not. */
  static override isInstance(value: unknown): value is LocalFileUnreadableError {
    return LOCAL_FILE_UNREADABLE.isMarked(value);
  }
}
