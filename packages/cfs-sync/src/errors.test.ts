import { PollinatorError } from '@pollinator/errors';
import { describe, expect, it } from 'vitest';
import {
  BlobNotFoundError,
  CfsError,
  ChecksumMismatchError,
  ConflictRefusedError,
  FileChangedError,
  LocalFileUnreadableError,
  RemoteChangedError,
  SymlinkRefusedError,
  UnsafePathError,
  abortError,
} from './errors';

const examples = () => [
  { error: new UnsafePathError('../x', 'escapes'), type: UnsafePathError, name: 'UnsafePathError', code: 'UNSAFE_PATH' },
  { error: new ChecksumMismatchError('a', 'e', 'f'), type: ChecksumMismatchError, name: 'ChecksumMismatchError', code: 'CHECKSUM_MISMATCH' },
  { error: new ConflictRefusedError(['a']), type: ConflictRefusedError, name: 'ConflictRefusedError', code: 'CONFLICT_REFUSED' },
  { error: new BlobNotFoundError('k', 'memory'), type: BlobNotFoundError, name: 'BlobNotFoundError', code: 'BLOB_NOT_FOUND' },
  { error: new FileChangedError('a', 'grew'), type: FileChangedError, name: 'FileChangedError', code: 'FILE_CHANGED' },
  { error: new SymlinkRefusedError('/l', 'why'), type: SymlinkRefusedError, name: 'SymlinkRefusedError', code: 'SYMLINK_REFUSED' },
  {
    error: new RemoteChangedError([{ path: 'a', localSize: 1, remoteSize: 2, remoteChecksum: 'c', remoteAdded: '2026-12-03T09:00:00Z' }]),
    type: RemoteChangedError,
    name: 'RemoteChangedError',
    code: 'REMOTE_CHANGED',
  },
  { error: new LocalFileUnreadableError([{ path: 'a', reason: 'EACCES' }]), type: LocalFileUnreadableError, name: 'LocalFileUnreadableError', code: 'LOCAL_FILE_UNREADABLE' },
] as const;

describe('cfs-sync errors', () => {
  it('derive from PollinatorError and keep their names, codes and message prefix', () => {
    for (const { error, name, code } of examples()) {
      expect(error).toBeInstanceOf(CfsError);
      expect(PollinatorError.isInstance(error), name).toBe(true);
      expect(CfsError.isInstance(error), name).toBe(true);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.message).toMatch(/^\[pollinator\] \[cfs-sync\] /);
    }
  });

  it('isInstance of a subclass is exact: never a sibling or the base class', () => {
    for (const { error, type, name } of examples()) {
      for (const other of examples()) expect(other.type.isInstance(error), `${other.name} on ${name}`).toBe(other.type === type);
      expect(type.isInstance(new CfsError('SYNC_FAILED', 'base only'))).toBe(false);
    }
    expect(CfsError.isInstance(new PollinatorError('SYNC_FAILED', 'another package'))).toBe(false);
    expect(CfsError.isInstance(new Error('plain'))).toBe(false);
  });

  it('carries the Symbol.for markers: the shared base, its own class, and the one older copies look for', () => {
    const error = new FileChangedError('a', 'grew');
    for (const name of ['pollinator.error', 'pollinator.error.CfsError', 'pollinator.error.FileChangedError']) {
      expect(Symbol.for(name) in error, name).toBe(true);
    }
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for('pollinator.cfs-sync.error')]).toBe(true);
  });

  it('recognises an error of an older copy that only has the legacy marker', () => {
    const older = Object.assign(new Error('[pollinator] [cfs-sync] old'), { code: 'SYNC_FAILED' });
    Object.defineProperty(older, Symbol.for('pollinator.cfs-sync.error'), { value: true });
    expect(CfsError.isInstance(older)).toBe(true);
  });

  it('abortError keeps the reason as the cause', () => {
    const controller = new AbortController();
    const reason = new Error('user pressed Ctrl-C');
    controller.abort(reason);
    const error = abortError(controller.signal);
    expect(error.code).toBe('ABORTED');
    expect(error.message).toContain('user pressed Ctrl-C');
    expect(error.cause).toBe(reason);
  });
});
