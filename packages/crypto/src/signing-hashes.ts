import { createHash, createHmac } from 'node:crypto';
import * as secp256k1 from '@noble/secp256k1';

/**
 * @noble/secp256k1 signs synchronously only once `hashes.sha256` and
 * `hashes.hmacSha256` are set, and it offers no way to pass them per call
 * (@noble/curves does, but signs ~1.7× slower here). So they are set on the
 * first signature, not at import: importing this package (which declares
 * `sideEffects: false`) changes nothing. A hook the application set itself is
 * kept: HMAC-SHA256 has one right answer, so signatures are the same either way.
 * OpenSSL's HMAC is used because RFC 6979 calls it several times per signature.
 */
export function ensureSigningHashes(): void {
  secp256k1.hashes.sha256 ??= (message) => createHash('sha256').update(message).digest();
  secp256k1.hashes.hmacSha256 ??= (key, message) => createHmac('sha256', key).update(message).digest();
}
