import { secp256k1 as curves } from '@noble/curves/secp256k1.js';
import { CryptoError } from './crypto-error';
import { sha3 } from './hash';
import { bytesToHex, hexToBytes } from './hex';
import { idOfPublicKey } from './keys';

const HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Recovers the signer's id from a signature, accepting exactly what the Go
 * server accepts: 65 bytes, r and s in range, s in the lower half (no
 * malleable twins), recovery id 0–7 (4–7 are btcec's "compressed" variants of
 * 0–3 and recover the same key). Throws `CryptoError`; never returns a wrong id.
 */
export function recoverId(message: string | Uint8Array, signature: string): string {
  const bytes = hexToBytes(signature, 'signature', 65);
  const r = BigInt(`0x${bytesToHex(bytes.subarray(0, 32))}`);
  const s = BigInt(`0x${bytesToHex(bytes.subarray(32, 64))}`);
  const v = bytes[64] ?? 0;
  if (v > 7) {
    throw new CryptoError(
      'CRYPTO_RECOVERY_ID_OUT_OF_RANGE',
      `signature recovery id must be 0–7 (ColonyOS puts v = 0 or 1 last, not 27/28), got ${v}`,
    );
  }
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s >= CURVE_ORDER) {
    throw new CryptoError('CRYPTO_RECOVERY_FAILED', 'signature r and s must be between 1 and the group order − 1');
  }
  if (s > HALF_CURVE_ORDER) {
    throw new CryptoError('CRYPTO_SIGNATURE_MALLEABLE', 'signature s value is over half the curve order (high-S signatures are rejected)');
  }
  const recoverable = new Uint8Array(65);
  recoverable[0] = v & 3;
  recoverable.set(bytes.subarray(0, 64), 1);
  let publicKey: Uint8Array;
  try {
    // @noble/curves recovers ~1.8× faster than @noble/secp256k1 (GLV endomorphism
    // for the arbitrary-point multiplication), which matters to the dev-server:
    // it recovers the signer of every request. Signing stays on @noble/secp256k1,
    // which is the faster of the two there. Both are byte-identical (tests).
    publicKey = curves.recoverPublicKey(recoverable, sha3(message), { prehash: false });
    publicKey = curves.Point.fromBytes(publicKey).toBytes(false);
  } catch (error) {
    throw new CryptoError('CRYPTO_RECOVERY_FAILED', 'no public key can be recovered from this signature and message', {
      cause: error,
    });
  }
  return idOfPublicKey(publicKey);
}

/**
 * True when `signature` is a valid ColonyOS signature of `message` by the key
 * whose id is `expectedId`. Malformed input still throws: a caller that passes
 * garbage should hear about it rather than get a quiet `false`.
 */
export function verify(message: string | Uint8Array, signature: string, expectedId: string): boolean {
  hexToBytes(expectedId, 'expected id', 32);
  return recoverId(message, signature) === expectedId.toLowerCase();
}
