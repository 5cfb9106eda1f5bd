import { createHash } from 'node:crypto';
import { bytesToHex } from './hex';

/**
 * FIPS-202 SHA3-256 (not Keccak) of the UTF-8 bytes of `message`. OpenSSL's,
 * through node:crypto: about ten times the pure-JavaScript speed, which the
 * dev-server needs for large signed payloads and every client pays per request.
 */
export function sha3(message: string | Uint8Array): Uint8Array {
  const digest = createHash('sha3-256').update(message).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}
/** SHA3-256 as lowercase hex. */
export function sha3Hex(message: string | Uint8Array): string {
  return bytesToHex(sha3(message));
}
