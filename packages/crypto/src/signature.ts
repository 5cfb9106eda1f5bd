import * as secp256k1 from '@noble/secp256k1';
import { coldSignRecovered, takeColdOperation } from './cold-start';
import { sha3 } from './hash';
import { bytesToHex } from './hex';
import { privateKeyBytes } from './keys';
import { ensureSigningHashes } from './signing-hashes';

// Recovering a signer (recoverId, verify) is in recover.ts: it needs
// @noble/curves, which a client that only signs does not load.

/**
 * Signs `message` (in RPC: the base64 payload text) the ColonyOS way:
 * ECDSA over SHA3-256(message), RFC 6979 nonce, low-S, encoded as 130 hex
 * digits r ‖ s ‖ v with v ∈ {0, 1}. Byte-identical to the Go server's signer.
 */
export function sign(message: string | Uint8Array, privateKey: string): string {
  return signWithKeyBytes(message, privateKeyBytes(privateKey));
}

/** `sign` with a key already parsed and range-checked by `privateKeyBytes`. */
export function signWithKeyBytes(message: string | Uint8Array, keyBytes: Uint8Array): string {
  // The first signatures of a process skip noble's precomputed table (cold-start.ts).
  const recovered = takeColdOperation()
    ? coldSignRecovered(sha3(message), keyBytes)
    : (ensureSigningHashes(), secp256k1.sign(sha3(message), keyBytes, { prehash: false, format: 'recovered' }));
  // noble puts the recovery byte first; ColonyOS wants it last.
  const signature = new Uint8Array(65);
  signature.set(recovered.subarray(1), 0);
  signature[64] = recovered[0] ?? 0;
  return bytesToHex(signature);
}
