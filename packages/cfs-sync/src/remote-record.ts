import { assertSafeKey } from './blob-store';
import { assertSafeName } from './paths';
import type { FileData } from './types';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Why a remote record cannot be downloaded as it stands, or undefined when it
 * can: a name that is not one safe path segment, a checksum that is not
 * lowercase SHA-256 hex, a size that is not a non-negative integer, or (for
 * non-empty files) an object key that is not a flat key. Such records are
 * skipped, one file at a time, instead of failing the whole sync.
 */
export function invalidRecordReason(file: FileData, label: string): string | undefined {
  const unsafe = unsafeNameReason(file.name, label);
  if (unsafe !== undefined) return unsafe;
  if (typeof file.checksum !== 'string' || !SHA256_HEX.test(file.checksum)) return `checksum ${JSON.stringify(file.checksum)} is not a SHA-256`;
  if (!Number.isSafeInteger(file.size) || file.size < 0) return `size ${JSON.stringify(file.size)} is not a byte count`;
  if (file.size > 0) {
    try {
      assertSafeKey(file.s3filename);
    } catch {
      return `object key ${JSON.stringify(file.s3filename)} is not a valid key`;
    }
  }
  return undefined;
}

/** Why a remote file name is not one safe path segment (see assertSafeName), or undefined. */
export function unsafeNameReason(name: string, label: string): string | undefined {
  try {
    assertSafeName(name, label);
    return undefined;
  } catch (error) {
    return `unsafe name: ${(error as Error).message.replace(/^\[pollinator\] \[cfs-sync\] /, '')}`;
  }
}
