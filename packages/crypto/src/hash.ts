import { sha3_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from './hex';

const encoder = new TextEncoder();

/** FIPS-202 SHA3-256 (not Keccak) of the UTF-8 bytes of `message`. */
export function sha3(message: string | Uint8Array): Uint8Array {
  return sha3_256(typeof message === 'string' ? encoder.encode(message) : message);
}

/** SHA3-256 as lowercase hex. */
export function sha3Hex(message: string | Uint8Array): string {
  return bytesToHex(sha3(message));
}
