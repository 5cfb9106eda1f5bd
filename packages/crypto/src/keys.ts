import { randomBytes } from 'node:crypto';
import * as secp256k1 from '@noble/secp256k1';
import { coldPublicKey, takeColdOperation } from './cold-start';
import { CryptoError } from './crypto-error';
import { sha3Hex } from './hash';
import { bytesToHex, hexToBytes } from './hex';

const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Parses a 64-hex-digit private key and checks 1 ≤ d < n, as the Go server does.
 * Nothing is remembered here: a caller that signs often with one key holds a
 * `createSigner(privateKey)`, which parses it once.
 */
export function privateKeyBytes(privateKey: string): Uint8Array {
  const bytes = hexToBytes(privateKey, 'private key', 32);
  const scalar = BigInt(`0x${privateKey}`);
  if (scalar === 0n || scalar >= CURVE_ORDER) {
    throw new CryptoError('CRYPTO_KEY_OUT_OF_RANGE', 'private key must be a number between 1 and the secp256k1 group order − 1');
  }
  return bytes;
}

/** A fresh, uniformly random private key as 64 lowercase hex digits. */
export function generatePrivateKey(): string {
  for (;;) {
    const candidate = randomBytes(32);
    const scalar = BigInt(`0x${candidate.toString('hex')}`);
    // Rejection sampling keeps the distribution uniform; a retry happens with probability ~2^-128.
    if (scalar !== 0n && scalar < CURVE_ORDER) return candidate.toString('hex');
  }
}

/** The 65-byte uncompressed public key (0x04 ‖ X ‖ Y) of a private key. */
export function publicKeyOf(privateKey: string): Uint8Array {
  const keyBytes = privateKeyBytes(privateKey);
  // The first base-point multiplications of a process skip noble's precomputed table (cold-start.ts).
  return takeColdOperation() ? coldPublicKey(keyBytes) : secp256k1.getPublicKey(keyBytes, false);
}

/**
 * The ColonyOS id of a public key: SHA3-256 of the lowercase *hex string* of
 * the uncompressed key (the ASCII text is hashed, not the raw bytes).
 */
export function idOfPublicKey(publicKey: Uint8Array | string): string {
  const bytes = typeof publicKey === 'string' ? hexToBytes(publicKey, 'public key') : publicKey;
  if (bytes.length !== 65 || bytes[0] !== 0x04) {
    throw new CryptoError('CRYPTO_INVALID_PUBLIC_KEY', 'public key must be 65 bytes, uncompressed (starting with 0x04)');
  }
  return sha3Hex(bytesToHex(bytes));
}

/** The ColonyOS id (server, colony, executor or user id) of a private key. */
export function idOf(privateKey: string): string {
  return idOfPublicKey(publicKeyOf(privateKey));
}
