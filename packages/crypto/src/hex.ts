import { CryptoError } from './crypto-error';

const HEX_PATTERN = /^[0-9a-fA-F]*$/;

/**
 * Decodes hex from the edge of the API (keys, ids, signatures travel as hex).
 * Upper case is accepted, as the Go server does; odd length or other
 * characters are rejected with the name of what was being decoded.
 */
export function hexToBytes(hex: string, what: string, expectedLength?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX_PATTERN.test(hex) || hex.length % 2 !== 0) {
    throw new CryptoError('CRYPTO_INVALID_HEX', `${what} must be a string of hex digits (0-9, a-f) of even length`);
  }
  if (expectedLength !== undefined && hex.length !== expectedLength * 2) {
    throw new CryptoError(
      'CRYPTO_INVALID_LENGTH',
      `${what} must be ${expectedLength} bytes (${expectedLength * 2} hex digits), got ${hex.length} hex digits`,
    );
  }
  return Buffer.from(hex, 'hex');
}

/** Lowercase hex, as the Go server emits it. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
